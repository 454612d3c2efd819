"""liquidwarp: motion imitation, appearance transfer and novel view synthesis by 3D liquid warping."""

__version__ = "0.1.0"
