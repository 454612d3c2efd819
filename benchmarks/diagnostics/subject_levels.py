"""Where lwg and warp differ on the benchmark's synthetic self-imitation, per held-out subject:
the share of pixels where they differ by more than 8/255, the mean level and spread (0-255) of
the truth, warp and lwg there, and each method's squared error there. Needs bench quality's
synthetic data. Usage: python subject_levels.py BENCH_OUT_DIR
"""

import sys
from pathlib import Path

import numpy as np

from liquidwarp.body.model import BodyModel
from liquidwarp.data.evaluation import open_evaluation_data
from liquidwarp.metrics.protocols import make_trials
from liquidwarp.tasks.evaluate import generate

body = BodyModel()
data = open_evaluation_data(Path(sys.argv[1]) / "synthetic-data", body, None, False)
trials = make_trials("self-imitation", [s.found for s in data.subjects], [s.views for s in data.subjects], 2)
subject = np.concatenate([[t.source.subject] * len(t.targets) for t in trials])
frames = {}
for method in ("warp", "lwg"):
    gen = generate(body, data, trials, method, 256, progress=False)
    frames[method] = np.stack(gen.frames).astype(np.float64)
    frames["truth"] = np.stack(gen.truth).astype(np.float64)
for k in np.unique(subject):
    t, w, g = (frames[m][subject == k] for m in ("truth", "warp", "lwg"))
    differ = np.abs(w - g).max(-1) > 8
    print(f"subject {k}: differ {differ.mean():.3f} | mean truth {t[differ].mean():.1f} warp {w[differ].mean():.1f} lwg {g[differ].mean():.1f}"
          f" | spread truth {t[differ].std():.1f} warp {w[differ].std():.1f} lwg {g[differ].std():.1f}"
          f" | mse warp {((w - t) ** 2)[differ].mean():.0f} lwg {((g - t) ** 2)[differ].mean():.0f}")
