"""Is `lwg`'s person blurrier than `warp`'s? On held-out synthetic people (bench unseen's 4, seed
1000, shaded), self-imitation: source view 0 frame 0, targets frames 1-3 of the same view. On the
target's inner body pixels: the mean absolute Laplacian (0-255 units, grey) of each method's frame
and of the truth, and each method's mean absolute error.
Usage: PYTHONPATH=src python benchmarks/diagnostics/person_sharpness.py [--checkpoint BUNDLE]
"""

import argparse
from dataclasses import replace

import cv2
import numpy as np
import torch

from liquidwarp.bench.unseen import SYNTH
from liquidwarp.body.model import BodyModel
from liquidwarp.data.synthetic import SyntheticEngine
from liquidwarp.io.images import unit_to_uint8
from liquidwarp.rendering.rasterize import rasterize
from liquidwarp.scene.views import prepare_source
from liquidwarp.tasks.methods import build_method


def laplacian(image: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return np.abs(cv2.Laplacian(grey, cv2.CV_32F, ksize=3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="the lwg generator (default: the shipped model)")
    args = parser.parse_args()
    body = BodyModel()
    engine = SyntheticEngine(replace(SYNTH, shading=True), body)
    size = engine.config.size
    sums = {k: 0.0 for k in ("truth sharpness", "warp sharpness", "lwg sharpness", "warp error", "lwg error")}
    count = 0
    for index in range(SYNTH.subjects):
        subject = engine.make_subject(index)
        camera = subject.cameras.index(0)
        frames = engine.render_view(subject, 0)["rgb"]
        image = unit_to_uint8(frames[0])
        source = prepare_source(body, image, subject.params.index(0), camera, (0.0, 0.0, float(size)), size)
        methods = {name: build_method(name, body, [source], checkpoint=args.checkpoint if name == "lwg" else None) for name in ("warp", "lwg")}
        for t in range(1, SYNTH.frames):
            target = subject.params.index(t)
            truth = unit_to_uint8(frames[t])
            with torch.no_grad():
                frags = rasterize(camera.project(body(target).vertices), body.faces, (size, size))
            inner = (torch.nn.functional.avg_pool2d(frags.mask[:, None].float(), 5, 1, 2)[0, 0] == 1).numpy()
            sums["truth sharpness"] += laplacian(truth)[inner].sum()
            for name, method in methods.items():
                frame = method.render(target, camera)
                sums[f"{name} sharpness"] += laplacian(frame)[inner].sum()
                sums[f"{name} error"] += np.abs(frame.astype(float) - truth.astype(float)).mean(-1)[inner].sum()
            count += int(inner.sum())
    for name, value in sums.items():
        print(f"{name:16s} {value / count:7.2f}")


if __name__ == "__main__":
    main()
