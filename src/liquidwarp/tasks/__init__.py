"""Tasks: what users run (imitation, transfer, views, evaluation), composed from the pipeline's stages."""

#: Imitation methods (built by :func:`liquidwarp.tasks.methods.build_method`); named here so the
#: command line can list them without importing the networks.
METHODS: tuple[str, ...] = ("lwg", "warp", "affine2d", "copy")
#: The methods appearance transfer (``swap``) takes: those that fuse several sources by body part.
SWAP_METHODS: tuple[str, ...] = ("lwg", "warp")
