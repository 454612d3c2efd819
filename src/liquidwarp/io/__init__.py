"""Reading and writing images and videos (uint8 RGB at this boundary)."""
