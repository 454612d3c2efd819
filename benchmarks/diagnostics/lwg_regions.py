"""(lwg here with G_BG's background.) Where lwg and warp differ: mean abs error (0-255) on target body pixels the source sees,
body pixels it does not see, and background, synthetic self-imitation (first 10 frames per subject)."""
from pathlib import Path
import sys, numpy as np, torch
torch.set_num_threads(2)
from liquidwarp.body.model import BodyModel
from liquidwarp.data.evaluation import open_evaluation_data, person_view
from liquidwarp.metrics.protocols import make_trials
from liquidwarp.tasks import methods as m
from liquidwarp.tasks.views import crop_camera, crop_image
from liquidwarp.rendering.rasterize import rasterize
from liquidwarp.warping.flow import transfer_flow
body = BodyModel()
data = open_evaluation_data(str(Path(__file__).resolve().parents[1] / "quality" / "synthetic-data"), body, 10, progress=False)
trials = make_trials("self-imitation", [s.found for s in data.subjects], [s.views for s in data.subjects], 2)
sums = {}
for trial in trials:
    subj = data.subjects[trial.source.subject]
    crop = person_view(body, subj, 0)
    src = m.prepare_source(body, subj.frame(0, trial.source.frame), subj.params.index(trial.source.frame), subj.cameras.index(0), crop, 256)
    renders = {"warp": m.build_method("warp", body, [src]), "lwg": m.LiquidWarpingRenderer(body, [src], m.load_lwg_generator(sys.argv[1] if len(sys.argv) > 1 else None)[0])}
    cam = crop_camera(subj.cameras.index(0), crop, 256)
    for ref in trial.targets[::3]:
        truth = crop_image(subj.frame(0, ref.frame), crop, 256).astype(float)
        with torch.no_grad():
            frags = rasterize(cam.project(body(subj.params.index(ref.frame)).vertices), body.faces, (256, 256))
        seen = transfer_flow(body.faces, src.vertices, src.camera, src.fragments, frags).valid[0].numpy()
        bodym = frags.mask[0].numpy()
        regions = {"body_seen": bodym & seen, "body_unseen": bodym & ~seen, "background": ~bodym}
        for name, r in renders.items():
            err = np.abs(r.render(subj.params.index(ref.frame), cam).astype(float) - truth).mean(-1)
            for k, mask in regions.items():
                a = sums.setdefault((name, k), [0.0, 0])
                a[0] += err[mask].sum(); a[1] += mask.sum()
for (name, k), (s, n) in sorted(sums.items()):
    print(f"{name:5s} {k:12s} {s / max(n, 1):6.2f}  ({n} px)")
