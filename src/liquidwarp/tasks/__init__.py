"""Tasks: what users run (recovery, imitation, evaluation), composed from the pipeline's stages."""
