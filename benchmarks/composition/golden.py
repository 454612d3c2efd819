"""Outputs of every composition path on the built-in person at 128² (each method with one source,
two sources and part by part; lwg personalised 2 steps; a training pair; a personalisation pair;
the personalised weights), saved to compare two trees with compare.py.
Usage: PYTHONPATH=TREE/src python golden.py OUT.pt  (runs against whatever liquidwarp is importable;
the tree before the composition layer has prepare_source in tasks.methods)"""
import sys, numpy as np, torch
torch.set_num_threads(2)
from liquidwarp.body.model import BodyModel
from liquidwarp.tasks.demo import demo_scene
from liquidwarp.tasks.imitate import target_params
try:
    from liquidwarp.scene.views import prepare_source
except ImportError:
    from liquidwarp.tasks.methods import prepare_source
from liquidwarp.tasks.methods import build_method
body = BodyModel()
out = {}
scene = demo_scene(body, 6, 128)
src = prepare_source(body, scene.photo, scene.params, scene.camera, (0.0, 0.0, 128.0), 128)
other = demo_scene(body, 1, 128, seed=5)
src2 = prepare_source(body, other.photo, other.params, other.camera, (0.0, 0.0, 128.0), 128)
targets = target_params(scene.params, scene.motion, in_place=True)
for name in ("copy", "affine2d", "warp", "lwg"):
    r = build_method(name, body, [src])
    out[name] = np.stack([r.render(targets.index(t), scene.camera) for t in (1, 3, 5)])
for name in ("warp", "lwg"):
    r = build_method(name, body, [src, src2], parts={0: 1, 1: 1, 2: 0})
    out[name + "_parts"] = np.stack([r.render(targets.index(t), scene.camera) for t in (2, 4)])
    r = build_method(name, body, [src, src2])
    out[name + "_two"] = np.stack([r.render(targets.index(t), scene.camera) for t in (2,)])
# training pair
from liquidwarp.data.pairs import make_pair
from liquidwarp.rendering.correspondence import surface_codes
from liquidwarp.training.personalize import personal_pair, PersonalizeConfig, personalize
codes = surface_codes(body.rest_vertices)
pair = make_pair(body, codes, scene.photo, scene.params, scene.camera, scene.photo, targets.index(4), scene.camera)
out["pair"] = {k: v for k, v in pair.__dict__.items()}
p, hidden = personal_pair(body, codes, [src, src2], np.random.default_rng(3), PersonalizeConfig())
out["personal_pair"] = {k: v for k, v in p.__dict__.items()}
out["personal_hidden"] = hidden
from liquidwarp.tasks.methods import load_lwg_generator
g, _ = load_lwg_generator(None)
tuned, _ = personalize(g, body, [src], PersonalizeConfig(steps=2), progress=False)
out["tuned"] = {k: v.clone() for k, v in tuned.state_dict().items()}
r = build_method("lwg", body, [src], personalize=2, progress=False)
out["lwg_p2"] = np.stack([r.render(targets.index(t), scene.camera) for t in (3,)])
torch.save(out, sys.argv[1])
print("saved", list(out))
