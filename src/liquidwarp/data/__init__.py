"""Data: procedural textures and motions, the synthetic data engine and its on-disk format."""
