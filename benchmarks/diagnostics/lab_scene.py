"""The lab self-imitation scene the diagnostics share: ``lab_throw_cam01.mp4``, frame 0 the
source, every 4th other frame a target, at 256²."""

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from liquidwarp.body.model import BodyModel
from liquidwarp.data.evaluation import EvaluationData, open_evaluation_data
from liquidwarp.geometry.crops import crop_camera
from liquidwarp.metrics.protocols import Trial, make_trials
from liquidwarp.rendering.rasterize import rasterize
from liquidwarp.scene.views import PreparedSource
from liquidwarp.tasks.evaluate import _prepare, _views

VIDEO = Path(__file__).resolve().parents[3] / "shared" / "samples" / "lab_throw_cam01.mp4"
SIZE = 256


@dataclass
class LabScene:
    body: BodyModel
    data: EvaluationData
    trial: Trial  # the source frame and the targets
    source: PreparedSource
    target_masks: np.ndarray  # (T, S, S) bool: the fitted target bodies
    truth: list[np.ndarray]  # (S, S, 3) uint8 real target frames


def lab_scene(every: int = 4) -> LabScene:
    body = BodyModel()
    data = open_evaluation_data(VIDEO, body, None, False)
    trials = make_trials("self-imitation", [s.found for s in data.subjects], [s.views for s in data.subjects], 1)
    trial = replace(trials[0], targets=trials[0].targets[::every])
    views = _views(data, body)
    subject = data.subjects[0]
    masks, truth = [], []
    for ref in trial.targets:
        camera = crop_camera(subject.cameras.index(ref.view), views[(0, ref.view)], SIZE)
        with torch.no_grad():
            frags = rasterize(camera.project(body(subject.params.index(ref.frame)).vertices), body.faces, (SIZE, SIZE))
        masks.append(frags.mask[0].numpy())
        from liquidwarp.geometry.crops import crop_image

        truth.append(crop_image(subject.frame(ref.view, ref.frame), views[(0, ref.view)], SIZE))
    source = _prepare(body, data, trial.source, views[(0, 0)], SIZE)
    return LabScene(body, data, trial, source, np.stack(masks), truth)
