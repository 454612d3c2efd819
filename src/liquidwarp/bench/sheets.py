"""Contact sheets: what a user sees on real photos, for ``BENCHMARKS.md``.

For each real photo (portrait, landscape, two people in view; frames of ``../shared/samples``)
the lab clip's motion is imitated with ``warp`` and ``lwg``, and the person is turned to new views;
the sheets put source | reference | ``warp`` | ``lwg`` side by side at one height, so that a reader
can judge the framing, the background, the unseen body and the pose at a glance.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "samples"
LAB = SAMPLES / "lab_throw_cam01.mp4"
OUTDOOR = SAMPLES / "outdoor_walk.mp4"

#: (name, video, frame index): the photos; the lab frame is the reference's own first frame, so its
#: imitation row is self-imitation and the reference column is the truth.
PHOTOS = (("portrait", LAB, 0), ("landscape", OUTDOOR, 131), ("two-people", OUTDOOR, 60))
REFERENCE_FRAMES = (12, 30, 48)  # frames of the lab clip shown (of the first 49 imitated)
ANGLES = (90.0, 180.0)
HEIGHT = 320  # rows of every panel
METHODS = ("warp", "lwg")


def _frame(video: Path, index: int) -> np.ndarray:
    from liquidwarp.io.media import iter_video_frames

    for k, frame in enumerate(iter_video_frames(video, max_frames=index + 1)):
        if k == index:
            return frame
    raise ValueError(f"{video} has no frame {index}")


def _label(image: np.ndarray, text: str) -> np.ndarray:
    import cv2

    out = image.copy()
    cv2.putText(out, text, (6, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(out, text, (6, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def run(out: Path, size: int = 256, progress: bool = False) -> dict:
    """Write ``imitate-<photo>.jpg`` and ``view-<photo>.jpg`` into ``out``; return what was made
    and how long each run took."""
    from liquidwarp.body import BodyModel
    from liquidwarp.io.media import iter_video_frames, write_image
    from liquidwarp.tasks.imitate import ImitateConfig, imitate
    from liquidwarp.tasks.view import ViewConfig, novel_views
    from liquidwarp.tasks.views import to_height

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    body = BodyModel()
    reference = [to_height(f, HEIGHT) for k, f in enumerate(iter_video_frames(LAB, max_frames=max(REFERENCE_FRAMES) + 1)) if k in REFERENCE_FRAMES]
    results: dict = {"size": size, "height": HEIGHT, "reference": str(LAB.name), "reference_frames": list(REFERENCE_FRAMES), "sheets": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, video, index in PHOTOS:
            photo = Path(tmp) / f"{name}.png"
            write_image(photo, _frame(video, index))
            source_panel = to_height(_frame(video, index), HEIGHT)
            made: dict[str, list[np.ndarray]] = {}
            seconds: dict[str, float] = {}
            views: dict[str, list[np.ndarray]] = {}
            for method in METHODS:
                start = time.perf_counter()
                clip = Path(tmp) / f"{name}-{method}.mp4"
                config = ImitateConfig(method=method, size=size, height=HEIGHT, max_frames=max(REFERENCE_FRAMES) + 1)
                imitate([photo], LAB, clip, config, body=body, progress=progress)
                frames = [f for k, f in enumerate(iter_video_frames(clip)) if k in REFERENCE_FRAMES]
                made[method] = frames
                seconds[f"imitate_{method}"] = round(time.perf_counter() - start, 1)
                start = time.perf_counter()
                views[method] = []
                for angle in ANGLES:
                    still = Path(tmp) / f"{name}-{method}-{angle:g}.png"
                    novel_views([photo], still, ViewConfig(angles=(angle,), method=method, size=size, height=HEIGHT), body=body, progress=progress)
                    from liquidwarp.io.media import read_image

                    views[method].append(read_image(still))
                seconds[f"view_{method}"] = round(time.perf_counter() - start, 1)
            rows = []
            for k in range(len(REFERENCE_FRAMES)):
                panels = [_label(source_panel, "source"), _label(reference[k], f"reference {REFERENCE_FRAMES[k]}")]
                panels += [_label(made[m][k], m) for m in METHODS]
                rows.append(np.concatenate(panels, axis=1))
            sheet = out / f"imitate-{name}.jpg"
            write_image(sheet, np.concatenate(rows, axis=0))
            view_rows = []
            for m in METHODS:
                panels = [_label(source_panel, "source")] + [_label(v, f"{m} {a:g} deg") for v, a in zip(views[m], ANGLES)]
                view_rows.append(np.concatenate(panels, axis=1))
            view_sheet = out / f"view-{name}.jpg"
            write_image(view_sheet, np.concatenate(view_rows, axis=0))
            results["sheets"][name] = {"photo": f"{video.name} frame {index}", "imitate": sheet.name, "view": view_sheet.name, "seconds": seconds}
    return results
