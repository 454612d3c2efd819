"""Training of the Liquid Warping GAN: configuration, the loop (G and D steps), checkpoints, DDP."""
