"""Where lwg's unseen-body error comes from: on bench unseen's synthetic turns (4 people, 90/135/180
degrees, unshaded), the mean absolute error (0-255) against the truth of G_TSF's image input, its
colour output and the composited image, on the inner body pixels the source sees and does not see,
and the mean attention there (x 255).

G_TSF's input comes from ``LiquidWarpingGenerator.image_input`` (what ``transfer`` uses), then its
transfer stream is run on it. ``--whole-guess`` puts the completed texture on every unseen pixel instead
of its blend with the push-pull fill near seen pixels: the input is then exactly the ``warp``
method's frame on the body, so whatever the output adds is the network's own correction.
Usage: PYTHONPATH=src python benchmarks/diagnostics/unseen_residual.py [--checkpoint BUNDLE] [--whole-guess]
"""

import argparse
from dataclasses import replace

import numpy as np
import torch

from liquidwarp.bench.unseen import ANGLES, SYNTH
from liquidwarp.body.model import BodyModel
from liquidwarp.data.synthetic import SyntheticEngine
from liquidwarp.io.images import model_to_uint8, unit_to_uint8
from liquidwarp.networks.precision import autocast
from liquidwarp.rendering.rasterize import rasterize
from liquidwarp.scene.views import prepare_source
from liquidwarp.tasks.methods import build_method
from liquidwarp.tasks.view import turned
from liquidwarp.warping.composite import composite
from liquidwarp.warping.flow import transfer_flow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="the generator (default: the shipped model)")
    parser.add_argument("--whole-guess", action="store_true", help="the completed texture on every unseen pixel")
    args = parser.parse_args()
    body = BodyModel()
    engine = SyntheticEngine(replace(SYNTH, shading=False), body)
    size = engine.config.size
    totals: dict[tuple, list[float]] = {}
    for index in range(SYNTH.subjects):
        subject = engine.make_subject(index)
        camera = subject.cameras.index(0)
        image = unit_to_uint8(engine.render_view(subject, 0, frames=slice(0, 1))["rgb"][0])
        source = prepare_source(body, image, subject.params.index(0), camera, (0.0, 0.0, float(size)), size)
        renderer = build_method("lwg", body, [source], checkpoint=args.checkpoint)
        for angle in ANGLES:
            target = turned(source.params, angle)
            with torch.no_grad():
                vertices = body(target).vertices
                truth = unit_to_uint8(engine.render_view(replace(subject, vertices=vertices, cameras=camera), 0)["rgb"][0]).astype(float)
                frags = rasterize(camera.project(vertices), body.faces, (size, size))
                seen = transfer_flow(body.faces, source.vertices, source.camera, source.fragments, frags).valid[0].numpy()
                inner = (torch.nn.functional.avg_pool2d(frags.mask[:, None].float(), 3, 1, 1)[0, 0] == 1).numpy()
                inputs, encoded = renderer.inputs(target, camera), renderer.encoded
                with autocast(renderer.device, renderer.bf16):
                    merged = renderer.generator.image_input(encoded, inputs.mask, list(inputs.flows), guess=inputs.guess)
                    if args.whole_guess:
                        unseen = inputs.mask & ~torch.stack([f.valid for f in inputs.flows]).any(0)
                        merged = torch.where(unseen[:, None], inputs.guess.to(merged.dtype), merged)
                    x = torch.cat([merged, inputs.map.to(merged.dtype)], dim=1)
                    colour, attention = renderer.generator.transfer_stream(x, encoded.features, list(inputs.flows), inputs.mask)
                image = composite(colour.float(), attention.float(), renderer.background)
            frames = {"input": model_to_uint8(merged.float()), "colour": model_to_uint8(colour.float()), "image": model_to_uint8(image)}
            attention = attention.float()[0, 0].numpy() * 255
            for region, where in (("unseen", inner & ~seen), ("seen", inner & seen)):
                for name, frame in frames.items():
                    error = np.abs(frame.astype(float) - truth).mean(-1)
                    total = totals.setdefault((angle, region, name), [0.0, 0.0])
                    total[0] += error[where].sum()
                    total[1] += where.sum()
                total = totals.setdefault((angle, region, "attention x 255"), [0.0, 0.0])
                total[0] += attention[where].sum()
                total[1] += where.sum()
    for (angle, region, name), (value, count) in sorted(totals.items()):
        print(f"{angle:g} degrees, {region:6s} {name:16s} {value / count:7.2f}")


if __name__ == "__main__":
    main()
