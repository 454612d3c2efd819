"""Personalisation with a moved target body (``PersonalizeConfig.jitter``): does learning to render
the photo from a slightly wrong body help lab self-imitation, where the fitted target bodies are
off the real person? Same scene and regions as personalisation_regions.py; each variant is
STEPS:JITTER:FOCUS[:SEED]. Usage: python personal_jitter.py 60:0.05:all 60:0.1:hidden:1 ...
"""

import sys

import cv2
import numpy as np
import torch

from lab_scene import lab_scene
from liquidwarp.metrics.registry import METRICS
from liquidwarp.tasks.evaluate import generate
from liquidwarp.training.personalize import PersonalizeConfig

scene = lab_scene()
body, data, trial, masks = scene.body, scene.data, scene.trial, scene.target_masks
band = np.stack([cv2.dilate(m.astype(np.uint8), np.ones((25, 25), np.uint8)).astype(bool) & ~m for m in masks])
truth = np.stack(scene.truth).astype(np.float32)
t = lambda x: torch.from_numpy(x).permute(0, 3, 1, 2) / 255


def report(name: str, frames: np.ndarray) -> None:
    err = ((frames - truth) ** 2).mean(-1)
    ssim = float(METRICS["ssim"].compute(t(frames), t(truth)).mean())
    psnr = float(METRICS["psnr"].compute(t(frames), t(truth)).mean())
    vgg = float(METRICS["vgg19_perceptual"].compute(t(frames), t(truth)).mean())
    print(f"{name:18s} ssim {ssim:.4f} psnr {psnr:.3f} vgg {vgg:.3f} | mse body {err[masks].mean():.1f} band {err[band].mean():.1f}", flush=True)


report("lwg", np.stack(generate(body, data, [trial], "lwg", 256, progress=False).frames).astype(np.float32))
for variant in sys.argv[1:]:
    steps, jitter, focus, *seed = variant.split(":")
    config = PersonalizeConfig(steps=int(steps), jitter=float(jitter), focus=focus, seed=int(seed[0]) if seed else 0)
    frames = np.stack(generate(body, data, [trial], "lwg", 256, progress=False, personalize=config).frames).astype(np.float32)
    report(f"lwg+p{variant}", frames)
