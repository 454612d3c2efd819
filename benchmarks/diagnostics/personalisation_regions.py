"""Where personalisation changes the lab self-imitation frames, and whether it helps there.

Source = frame 0 of lab_throw_cam01.mp4, targets = every 4th other frame; for the shipped lwg and
lwg personalised N steps: mean squared error (0-255) on the target body (rendered mesh), on a
band of 12 px around it (where the real person's outline and the fitted mesh disagree), on the
rest, and PSNR/SSIM of the whole frame. Usage: python personalisation_regions.py [STEPS [WEIGHTS]]
where WEIGHTS overrides the personalisation loss weights, e.g. perceptual=0,face=0.
"""

import sys
from dataclasses import replace

import cv2
import numpy as np
import torch

from lab_scene import lab_scene
from liquidwarp.metrics.registry import METRICS
from liquidwarp.tasks.evaluate import generate
from liquidwarp.training.personalize import PersonalizeConfig

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 60
tuning = PersonalizeConfig(steps=steps)
if len(sys.argv) > 2:
    changes = {k: float(v) for k, v in (item.split("=") for item in sys.argv[2].split(","))}
    tuning = replace(tuning, weights=replace(tuning.weights, **changes))
    print("personalisation weights:", tuning.weights)
scene = lab_scene()
body, data, trial, masks = scene.body, scene.data, scene.trial, scene.target_masks
band = np.stack([cv2.dilate(m.astype(np.uint8), np.ones((25, 25), np.uint8)).astype(bool) & ~m for m in masks])
rest = ~masks & ~band
runs = {"lwg": generate(body, data, [trial], "lwg", 256, progress=True)}
runs[f"lwg+p{steps}"] = generate(body, data, [trial], "lwg", 256, progress=True, personalize=tuning)
truth = np.stack(runs["lwg"].truth).astype(np.float32)
for name, gen in runs.items():
    frames = np.stack(gen.frames).astype(np.float32)
    err = ((frames - truth) ** 2).mean(-1)
    t = lambda x: torch.from_numpy(x).permute(0, 3, 1, 2) / 255
    ssim = float(METRICS["ssim"].compute(t(frames), t(truth)).mean())
    psnr = float(METRICS["psnr"].compute(t(frames), t(truth)).mean())
    print(f"{name:10s} ssim {ssim:.4f} psnr {psnr:.2f} | mse body {err[masks].mean():.1f} band {err[band].mean():.1f} rest {err[rest].mean():.1f}"
          f" | share of squared error body {err[masks].sum() / err.sum():.2f} band {err[band].sum() / err.sum():.2f}")
a, b = (np.stack(g.frames).astype(np.float32) for g in runs.values())
changed = np.abs(a - b).max(-1) > 2
print(f"pixels changed by > 2: body {changed[masks].mean():.3f} band {changed[band].mean():.3f} rest {changed[rest].mean():.3f}")
