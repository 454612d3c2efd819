"""Lab self-imitation (frame 0 the source, every 4th frame a target): the share of the squared
error in the source's in-painted hole away from the target body, near the target body (within
12 px), and elsewhere, for lwg and warp. Usage: python lab_error_regions.py
"""
import cv2, numpy as np, torch
from lab_scene import lab_scene
from liquidwarp.tasks.evaluate import generate
from liquidwarp.warping.inpaint import HOLE_DILATION
torch.set_num_threads(1)
scene = lab_scene()
body, data, trial, src, masks = scene.body, scene.data, scene.trial, scene.source, scene.target_masks
r = int(round(HOLE_DILATION * 256))
hole = cv2.dilate(src.fragments.mask[0].numpy().astype(np.uint8), np.ones((2*r+1, 2*r+1), np.uint8)).astype(bool)
near = np.stack([cv2.dilate(m.astype(np.uint8), np.ones((25, 25), np.uint8)).astype(bool) for m in masks])
for method in ("lwg", "warp"):
    gen = generate(body, data, [trial], method, 256, progress=False)
    err = ((np.stack(gen.frames).astype(np.float32) - np.stack(gen.truth).astype(np.float32)) ** 2).mean(-1)
    h = hole[None] & ~near
    print(method, "hole (not near target) share %.2f mse %.1f | near target share %.2f | elsewhere share %.2f mse %.1f, hole px %d" % (
        err[h].sum() / err.sum(), err[h].mean(), err[near].sum() / err.sum(), err[~h & ~near].sum() / err.sum(), err[~h & ~near].mean(), hole.sum()))
