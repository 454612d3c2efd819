"""Shipped model files: ``lwg-small.pt``, the default generator of the ``lwg`` method (inference
weights in fp16, made by ``liquidwarp export`` from the run of ``configs/lwg-small.yaml``)."""

from pathlib import Path

DEFAULT_GENERATOR = Path(__file__).with_name("lwg-small.pt")
