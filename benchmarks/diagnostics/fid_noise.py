"""How much FID moves with the choice of frames: synthetic self-imitation on the benchmark's
held-out subjects (bench quality's synthetic-data), lwg against warp.

For both methods the same generated/real frame pairs are scored: the FID of all frames, the FID
with each subject left out in turn (both methods on the same frames), and over 200 random halves
of the frames (paired: the same indices for both methods), the spread of lwg - warp.
Usage: python fid_noise.py BENCH_OUT_DIR [--json FILE]
"""

import argparse
import json
from pathlib import Path

import numpy as np

from liquidwarp.body.model import BodyModel
from liquidwarp.data.evaluation import open_evaluation_data
from liquidwarp.metrics.protocols import make_trials
from liquidwarp.metrics.registry import extract_features, frechet_distance_of_features
from liquidwarp.networks.features import inception_pool3
from liquidwarp.tasks.evaluate import _to_tensor, generate

parser = argparse.ArgumentParser()
parser.add_argument("out", type=Path)
parser.add_argument("--json", type=Path)
args = parser.parse_args()
body = BodyModel()
data = open_evaluation_data(args.out / "synthetic-data", body, None, False)
trials = make_trials("self-imitation", [s.found for s in data.subjects], [s.views for s in data.subjects], 2)
subject = np.concatenate([[t.source.subject] * len(t.targets) for t in trials])
network = inception_pool3()
features, real = {}, None
for method in ("warp", "lwg"):
    gen = generate(body, data, trials, method, 256, progress=False)
    features[method] = extract_features(network, _to_tensor(gen.frames))
    if real is None:
        real = extract_features(network, _to_tensor(gen.truth))


def fid(method: str, index: np.ndarray) -> float:
    return frechet_distance_of_features(features[method][index], real[index])


everything = np.arange(len(real))
result = {"frames": len(real), "all": {m: fid(m, everything) for m in features}}
result["leave_one_subject_out"] = [
    {"left_out": int(s), **{m: fid(m, everything[subject != s]) for m in features}} for s in np.unique(subject)
]
rng = np.random.default_rng(0)
halves = [np.sort(rng.choice(len(real), len(real) // 2, replace=False)) for _ in range(200)]
diff = np.array([fid("lwg", h) - fid("warp", h) for h in halves])
result["random_halves"] = {"count": len(halves), "lwg_minus_warp_mean": float(diff.mean()), "lwg_minus_warp_p05": float(np.percentile(diff, 5)),
                           "lwg_minus_warp_p95": float(np.percentile(diff, 95)), "share_lwg_lower": float((diff < 0).mean())}
print(json.dumps(result, indent=2))
if args.json:
    args.json.write_text(json.dumps(result, indent=2) + "\n")
