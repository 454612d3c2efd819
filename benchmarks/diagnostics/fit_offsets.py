"""How far the fitted bodies of the lab scene (lab_scene.py: frame 0 and every 4th frame) are off
the real person: per frame, the pixels of mediapipe's person mask (> 0.5) outside the fitted
silhouette, the fitted pixels outside the mask, and their IoU. Usage: python fit_offsets.py
"""

import numpy as np
import torch

from lab_scene import lab_scene
from liquidwarp.io.images import unit_to_uint8 as to_uint8
from liquidwarp.perception import MediaPipePose

torch.set_num_threads(1)
scene = lab_scene()
frames = [to_uint8(scene.source.image)] + list(scene.truth)
fits = [scene.source.fragments.mask[0].numpy()] + list(scene.target_masks)
outside, ious = [], []
with MediaPipePose() as pose:
    for i, (image, fit) in enumerate(zip(frames, fits)):
        obs = pose.observe(image)
        if obs is None:
            print(f"frame {i}: no person found")
            continue
        real, fit = obs.mask > 0.5, fit.astype(bool)
        outside.append((real & ~fit).sum())
        ious.append((real & fit).sum() / (real | fit).sum())
        print(f"frame {i}: person {real.sum()} px, fitted {fit.sum()} px | person outside fit {outside[-1]} | fit outside person {(fit & ~real).sum()} | IoU {ious[-1]:.3f}")
print(f"{len(outside)} frames: person outside fit {min(outside)}-{max(outside)} px (median {int(np.median(outside))}), IoU {min(ious):.3f}-{max(ious):.3f}")
