"""Body mesh recovery: fit body parameters to perception output; recover a photo or a video (cached)."""
