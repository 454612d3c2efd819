"""The lwg method's unseen body pixels on the benchmark's synthetic self-imitation, per held-out
subject: the mean level (0-255) of the truth, of the two fills G_TSF's input averages there (the
push-pull fill of the seen pixels and the baked-texture guess), of that average, and of lwg's
output, with the share of the body that is unseen. Does G_TSF darken its input, or is its input
already dark? Needs bench quality's synthetic data. Usage: python fill_levels.py BENCH_OUT_DIR
"""

import sys
from pathlib import Path

import numpy as np
import torch

from liquidwarp.body.model import BodyModel
from liquidwarp.data.evaluation import open_evaluation_data
from liquidwarp.methods.lwg import LwgOptions
from liquidwarp.metrics.protocols import make_trials
from liquidwarp.tasks.evaluate import generate
from liquidwarp.warping.fill import push_pull_fill
from liquidwarp.warping.flow import merge_sources, warp

records = []  # per rendered frame: (unseen body pixels, body pixels, push-pull fill, guess) at the output's size


def level(x: torch.Tensor) -> np.ndarray:
    return ((x.float().clamp(-1, 1) + 1) * 127.5).permute(1, 2, 0).cpu().numpy()


def record(encoded, inputs) -> None:
    """G_TSF's unseen-body input, as the generator makes it (``fill_unseen_body``)."""
    warped = torch.stack([warp(encoded.foreground[:, i].float(), f) for i, f in enumerate(inputs.flows)], dim=1)
    merged, seen = merge_sources(warped, torch.stack([f.valid for f in inputs.flows], dim=1))
    hole = (inputs.mask & ~seen)[0].cpu().numpy()
    push = push_pull_fill(merged, (~seen)[:, None].float())[0]
    records.append((hole, inputs.mask[0].cpu().numpy(), level(push), None if inputs.guess is None else level(inputs.guess[0])))


body = BodyModel()
data = open_evaluation_data(Path(sys.argv[1]) / "synthetic-data", body, None, False)
trials = make_trials("self-imitation", [s.found for s in data.subjects], [s.views for s in data.subjects], 2)
subject = np.concatenate([[t.source.subject] * len(t.targets) for t in trials])
out = generate(body, data, trials, "lwg", 256, progress=False, options=LwgOptions(on_frame=record))
assert len(records) == len(out.frames), (len(records), len(out.frames))
for k in np.unique(subject):
    rows = [i for i in np.nonzero(subject == k)[0] if records[i][0].any()]
    pick = lambda f: np.concatenate([f(i)[records[i][0]] for i in rows]).astype(np.float64)
    truth = pick(lambda i: out.truth[i])
    push, guess, lwg = pick(lambda i: records[i][2]), pick(lambda i: records[i][3]), pick(lambda i: out.frames[i])
    unseen = sum(records[i][0].sum() for i in rows) / max(sum(records[i][1].sum() for i in rows), 1)
    print(f"subject {k}: unseen {unseen:.3f} of the body | mean truth {truth.mean():.1f} push-pull {push.mean():.1f} "
          f"guess {guess.mean():.1f} input {(push + guess).mean() / 2:.1f} lwg {lwg.mean():.1f} | spread truth {truth.std():.1f} "
          f"input {((push + guess) / 2).std():.1f} lwg {lwg.std():.1f}", flush=True)
