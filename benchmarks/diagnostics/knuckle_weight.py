"""The synthetic half of ``liquidwarp bench fitting`` (6 held-out subjects, ideal and perceived
observations) at several weights of the knuckle landmark pairs (``FitConfig.weight_knuckles``; 0
leaves the hands to the silhouette and the pose prior).
Usage: PYTHONPATH=src python benchmarks/diagnostics/knuckle_weight.py 0 0.25 0.5
"""

import sys

from liquidwarp.bench.fitting import synthetic
from liquidwarp.body import BodyModel
from liquidwarp.fitting.fit import FitConfig


def main() -> None:
    body = BodyModel()
    for weight in (float(w) for w in sys.argv[1:]):
        result = synthetic(body, 6, FitConfig(weight_knuckles=weight))
        print(weight, {way: {k: round(v, 4) for k, v in figures.items()} for way, figures in result.items()}, flush=True)


if __name__ == "__main__":
    main()
