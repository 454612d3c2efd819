"""Body mesh recovery: fit body parameters to perception output."""
