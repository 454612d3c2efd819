"""Personalising G_BG: fine-tune the shipped G_BG on frame 0 of the lab clip (person-shaped holes
shifted over the known background, L1 + VGG19 on the known pixels of the shifted hole), then
compare its in-painting of the real hole with Telea against the later frames, on hole pixels
away from the target body. Usage: python personal_background.py STEPS LR (writes /tmp/bg_STEPS.png)
"""
import copy
import sys
import time

import cv2
import numpy as np
import torch

from lab_scene import lab_scene
from liquidwarp.losses.terms import PerceptualLoss
from liquidwarp.methods.classic import inpainted_background
from liquidwarp.tasks.methods import load_lwg_generator
from liquidwarp.warping.composite import blank_background
from liquidwarp.warping.inpaint import HOLE_DILATION

torch.set_num_threads(1)
steps, lr = int(sys.argv[1]), float(sys.argv[2])
scene = lab_scene()
src = scene.source
mask = src.fragments.mask[None].float()  # (1,1,S,S)
image = src.image * 2 - 1
g, _ = load_lwg_generator(None, "cpu")
bg = copy.deepcopy(g.background_stream).train()
perc = PerceptualLoss()
inp = blank_background(image, mask, HOLE_DILATION)
hole = inp[:, 3:4]
opt = torch.optim.Adam(bg.parameters(), lr=lr, betas=(0.5, 0.999))
rng = np.random.default_rng(0)
t0 = time.time()
for step in range(steps):
    dy, dx = rng.integers(-100, 101, size=2)
    fake = torch.roll(hole, (int(dy), int(dx)), dims=(-2, -1))
    if rng.random() < 0.5: fake = torch.flip(fake, dims=(-1,))
    both = torch.maximum(hole, fake)
    x = torch.cat([image * (1 - both), both], 1)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = bg.background(x)
    out = out.float()
    w = fake * (1 - hole)
    comp = torch.where(w > 0, out, image)
    loss = 10 * (comp - image).abs().sum() / (3 * w.sum()).clamp(min=1) + 10 * perc(comp, image)
    opt.zero_grad(); loss.backward(); opt.step()
print("tune s", round(time.time() - t0, 1))
bg.eval()
with torch.no_grad():
    learned = ((bg.background(inp).float() + 1) / 2).clamp(0, 1)
telea = inpainted_background(src)
h = hole[0, 0].numpy().astype(bool)
errs = {"telea": [], "learned": []}
for target_mask, truth in zip(scene.target_masks, scene.truth):
    near = cv2.dilate(target_mask.astype(np.uint8), np.ones((25, 25), np.uint8)).astype(bool)
    sel = h & ~near
    for k, b in (("telea", telea), ("learned", learned)):
        arr = b[0].permute(1, 2, 0).numpy() * 255
        errs[k].append(((arr - truth.astype(np.float32)) ** 2).mean(-1)[sel])
for k, v in errs.items():
    print(k, "hole mse %.1f" % np.concatenate(v).mean())
cv2.imwrite("/tmp/bg_%d.png" % steps, cv2.cvtColor(np.concatenate([(telea[0].permute(1,2,0).numpy()*255).astype(np.uint8), (learned[0].permute(1,2,0).numpy()*255).astype(np.uint8)], 1), cv2.COLOR_RGB2BGR))
