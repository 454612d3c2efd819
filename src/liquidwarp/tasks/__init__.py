"""Tasks: what users run (imitation, transfer, views, evaluation), composed from the pipeline's stages."""
