"""The lwg method with the unseen body pixels given the push-pull fill alone (the renderer's
baked-texture guess turned off, as in training), on one protocol of an evaluation dataset.
Usage: python fill_variant.py DATA PROTOCOL OUT.json
(e.g. DATA = bench quality's synthetic-data folder, PROTOCOL = self-imitation)
"""

import json
import sys
from pathlib import Path

from liquidwarp.methods.lwg import LwgOptions
from liquidwarp.tasks.evaluate import EvaluationConfig, evaluate

metrics = ("ssim", "psnr", "vgg19_perceptual", "fid_inception_pool3")
result = evaluate(Path(sys.argv[1]), EvaluationConfig(sys.argv[2], "lwg", metrics=metrics), progress=False, options=LwgOptions(guess=False))
print({name: entry["value"] for name, entry in result["metrics"].items()})
Path(sys.argv[3]).write_text(json.dumps(result, indent=2))
