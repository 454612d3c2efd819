"""Where the real footage for tests lives: ../shared/samples beside the repository."""

from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
LAB = SAMPLES / "lab_throw_cam01.mp4"
OUTDOOR = SAMPLES / "outdoor_walk.mp4"
needs_samples = pytest.mark.skipif(not LAB.is_file() or not OUTDOOR.is_file(), reason="sample videos not found in ../shared/samples")
