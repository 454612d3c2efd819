"""``liquidwarp bench fitting``: accuracy and speed of body mesh recovery.

Synthetic (held-out subjects of the data engine, seed 1000, first frame of each, 256 x 256), two
ways: ``perceived`` runs the whole pipeline (MediaPipe on the rendered image, then fitting);
``ideal`` feeds the fitter perfect observations (the paired body keypoints, camera-axis 3D
keypoints, the exact mask), so it measures the optimiser alone. Figures, per way:

- ``keypoint_error_px``: mean distance at 256 x 256 between the fitted and true body keypoints (the
  25 that have a MediaPipe counterpart, the knuckles included since 2026-12-03), each projected by its own camera;
- ``silhouette_iou``: fitted mesh silhouette vs the true mask;
- ``joint_error_mm``: mean 3D error of the 17 COCO joints after aligning the hip centres, in
  camera axes (so a wrong global orientation counts).

Real (``../shared/samples/lab_throw_cam01.mp4``, all frames): ``silhouette_iou`` (fitted mesh vs
MediaPipe's mask), ``keypoint_error_rel`` (2D landmark error / person height in pixels),
``fit_frames_per_s_after_warm_start`` (frames after the first, over the fitting time after the
first frame's own fit) and ``perception_frames_per_s``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from liquidwarp.body.model import BodyModel
from liquidwarp.data.synthetic import SynthConfig, SyntheticEngine
from liquidwarp.fitting import landmarks
from liquidwarp.fitting.fit import FitConfig, fit_frames
from liquidwarp.fitting.targets import WORLD_TO_CAMERA, build_targets, default_camera
from liquidwarp.io.images import unit_to_uint8
from liquidwarp.rendering.rasterize import rasterize

SIZE = 256
SAMPLE = Path(__file__).resolve().parents[3] / ".." / "shared" / "samples" / "lab_throw_cam01.mp4"


def _ideal_observation(body, subject):
    cam = subject.cameras.index(0)
    keypoints = body(subject.params.index(0)).keypoints
    pixels = cam.project(keypoints)[0, :, :2]
    in_camera = keypoints[0] @ cam.rotation[0].T
    l2, vis, l3 = np.zeros((33, 2), np.float32), np.zeros(33, np.float32), np.zeros((33, 3), np.float32)
    for li, ki in zip(landmarks.LANDMARK_INDEX, landmarks.KEYPOINT_INDEX):
        l2[li], vis[li], l3[li] = pixels[ki].numpy(), 1.0, in_camera[ki].numpy()
    return l2, vis, l3


def _score(body, params, subject, true_mask) -> tuple[float, float, float]:
    cam = subject.cameras.index(0)
    truth = body(subject.params.index(0)).keypoints
    mesh = body(params)
    fit_cam = default_camera((SIZE, SIZE))
    ki = list(landmarks.KEYPOINT_INDEX)
    px = (fit_cam.project(mesh.keypoints)[0, ki, :2] - cam.project(truth)[0, ki, :2]).norm(dim=-1).mean().item()
    frags = rasterize(fit_cam.project(mesh.vertices), body.faces, (SIZE, SIZE))
    iou = ((frags.mask[0] & true_mask).sum() / (frags.mask[0] | true_mask).sum()).item()
    a = mesh.keypoints[0] @ WORLD_TO_CAMERA.T
    b = truth[0] @ cam.rotation[0].T
    a, b = a - 0.5 * (a[11] + a[12]), b - 0.5 * (b[11] + b[12])
    return px, iou, (a - b)[:17].norm(dim=-1).mean().item() * 1000


def synthetic(body: BodyModel, subjects: int, config: FitConfig = FitConfig()) -> dict:
    from liquidwarp.perception.mediapipe_pose import MediaPipePose

    engine = SyntheticEngine(SynthConfig(subjects=subjects, frames=1, views=1, size=SIZE, seed=1000), body)
    results: dict[str, list] = {"ideal": [], "perceived": []}
    missed = 0
    with MediaPipePose(video=False) as pose:
        for s in range(subjects):
            subject = engine.make_subject(s)
            rendered = engine.render_view(subject, 0)
            mask = rendered["mask"][0]
            l2, vis, l3 = _ideal_observation(body, subject)
            targets = build_targets(l2[None], vis[None], l3[None], mask.numpy()[None].astype(np.float32), (SIZE, SIZE))
            results["ideal"].append(_score(body, fit_frames(body, targets, config), subject, mask))
            image = unit_to_uint8(rendered["rgb"])
            obs = pose.observe(image)
            if obs is None:
                missed += 1
                continue
            targets = build_targets(obs.landmarks_2d[None], obs.visibility[None], obs.landmarks_3d[None], obs.mask[None], (SIZE, SIZE))
            results["perceived"].append(_score(body, fit_frames(body, targets, config), subject, mask))
    out = {}
    for way, rows in results.items():
        arr = np.array(rows) if rows else np.full((1, 3), np.nan)
        out[way] = {
            "keypoint_error_px": float(np.mean(arr[:, 0])),
            "silhouette_iou": float(np.mean(arr[:, 1])),
            "joint_error_mm": float(np.mean(arr[:, 2])),
            "subjects": len(rows),
        }
    out["perceived"]["no_person_found"] = missed
    return out


def real(body: BodyModel, path: Path, max_frames: int | None) -> dict:
    from liquidwarp.fitting import recover as rec

    recovery = rec.recover(path, body, max_frames=max_frames, require_full_body=False, progress=False, use_cache=False)
    observations = recovery.observations
    seen = [o for o in observations if o is not None]
    # The first frame's own fit (a cold start), timed alone, is taken out of the video's fitting time.
    t0 = time.perf_counter()
    fit_frames(body, rec._targets(seen[:1], recovery.footage.frames.shape[1:3]), FitConfig())
    first = time.perf_counter() - t0
    quality = rec.fit_quality(body, recovery)
    return {
        "video": path.name,
        "frames": len(observations),
        "frames_with_person": len(seen),
        "silhouette_iou": quality["mean_silhouette_iou"],
        "keypoint_error_rel": quality["mean_keypoint_error_rel"],
        "fit_frames_per_s_after_warm_start": (len(seen) - 1) / max(recovery.fit_seconds - first, 1e-6),
        "fit_seconds_total": recovery.fit_seconds,
        "perception_frames_per_s": len(observations) / recovery.perception_seconds,
    }


def run(subjects: int = 6, video: Path | None = None, max_frames: int | None = None) -> dict:
    from liquidwarp.bench.geometry import machine_description

    body = BodyModel()
    video = Path(video) if video is not None else SAMPLE.resolve()
    result = {"synthetic": synthetic(body, subjects)}
    if video.is_file():
        result["real"] = real(body, video, max_frames)
    else:
        result["real"] = None
        result["real_unavailable_reason"] = f"{video} not found"
    result["machine"] = machine_description()
    return result
