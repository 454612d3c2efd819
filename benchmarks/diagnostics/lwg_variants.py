"""lwg against warp on held-out synthetic self-imitation (first 10 frames of each subject of
`liquidwarp bench quality`'s synthetic data), SSIM and PSNR, with G_BG at two hole margins and
with the classical (Telea) background. Usage: python benchmarks/diagnostics/lwg_variants.py MODEL.pt"""
from pathlib import Path
import sys, numpy as np, torch
torch.set_num_threads(1)
from liquidwarp.body.model import BodyModel
from liquidwarp.data.evaluation import open_evaluation_data
from liquidwarp.metrics.protocols import make_trials
import liquidwarp.tasks.evaluate as ev
from liquidwarp.tasks import methods as m
from liquidwarp.training.checkpoint import load_generator
body = BodyModel()
data = open_evaluation_data(str(Path(__file__).resolve().parents[1] / "quality" / "synthetic-data"), body, 10, progress=False)
trials = make_trials("self-imitation", [s.found for s in data.subjects], [s.views for s in data.subjects], 2)
gen, _ = load_generator(sys.argv[1])
variants = {
  "warp": lambda b, s: m.build_method("warp", b, s),
  "lwg_gbg_0.06": lambda b, s: m.LiquidWarpingRenderer(b, s, gen, margin=0.06),
  "lwg_gbg_0.03": lambda b, s: m.LiquidWarpingRenderer(b, s, gen, margin=0.03),
  "lwg_telea": lambda b, s: m.LiquidWarpingRenderer(b, s, gen, background=m.inpainted_background(s[0])),
}
from liquidwarp.metrics.registry import METRICS
for name, make in variants.items():
    ev.build_method = lambda method, b, s, **k: make(b, s)
    g = ev.generate(body, data, trials, "lwg", 256, progress=False)
    fake = torch.from_numpy(np.stack(g.frames)).permute(0,3,1,2).float()/255
    real = torch.from_numpy(np.stack(g.truth)).permute(0,3,1,2).float()/255
    print(name, "ssim %.4f psnr %.2f" % (float(METRICS["ssim"].compute(fake, real).mean()), float(METRICS["psnr"].compute(fake, real).mean())), flush=True)
