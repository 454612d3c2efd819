"""Learned networks: the generator streams, the discriminator and the frozen feature extractors.

Importing this package imports none of the optional packages that supply pretrained weights; each
feature network loads its package or file when it is built (see ``liquidwarp.networks.features``).
"""
