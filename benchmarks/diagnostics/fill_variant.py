"""The lwg method with the unseen body pixels given the push-pull fill alone (the renderer's
baked-texture guess turned off, as in training), on one protocol of an evaluation dataset.
Usage: python fill_variant.py DATA PROTOCOL OUT.json
(e.g. DATA = bench quality's synthetic-data folder, PROTOCOL = self-imitation)
"""

import json
import sys
from pathlib import Path

import liquidwarp.tasks.methods as methods
from liquidwarp.tasks.evaluate import EvaluationConfig, evaluate

_init = methods.LiquidWarpingRenderer.__init__


def _without_guess(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    self.fill = None  # render() then passes no guess: push-pull fill only


methods.LiquidWarpingRenderer.__init__ = _without_guess
metrics = ("ssim", "psnr", "vgg19_perceptual", "fid_inception_pool3")
result = evaluate(Path(sys.argv[1]), EvaluationConfig(sys.argv[2], "lwg", metrics=metrics), progress=False)
print({name: entry["value"] for name, entry in result["metrics"].items()})
Path(sys.argv[3]).write_text(json.dumps(result, indent=2))
