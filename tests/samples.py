"""Where the real footage for tests lives: ../shared/samples beside the repository."""

from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
LAB = SAMPLES / "lab_throw_cam01.mp4"
OUTDOOR = SAMPLES / "outdoor_walk.mp4"
needs_samples = pytest.mark.skipif(not LAB.is_file() or not OUTDOOR.is_file(), reason="sample videos not found in ../shared/samples")


def lab_photo(folder: Path) -> Path:
    """The lab clip's first frame written as ``folder/thrower.png`` (a photo of a real person)."""
    from liquidwarp.io.media import iter_video_frames, write_image

    path = folder / "thrower.png"
    write_image(path, next(iter_video_frames(LAB, max_frames=1)))
    return path
