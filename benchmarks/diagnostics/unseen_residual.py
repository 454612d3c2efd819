"""Where lwg's unseen-body error comes from: on bench unseen's synthetic turns (4 people, 90/135/180
degrees, unshaded), the mean absolute error (0-255) against the truth of G_TSF's image input, its
colour output and the composited image, on the inner body pixels the source sees and does not see,
and the mean attention there (x 255); also the completed texture's guess alone, and for a generator
with ``select`` the mean weight (%) its choice gives the input, the guess and the residual colour.
``--shaded`` measures the shaded renders instead.

G_TSF's input comes from ``LiquidWarpingGenerator.image_input`` (what ``transfer`` uses), then its
transfer stream is run on it. ``--whole-guess`` puts the completed texture on every unseen pixel instead
of its blend with the push-pull fill near seen pixels: the input is then exactly the ``warp``
method's frame on the body, so whatever the output adds is the network's own correction.
Usage: PYTHONPATH=src python benchmarks/diagnostics/unseen_residual.py [--checkpoint BUNDLE] [--whole-guess] [--shaded]
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
    parser.add_argument("--shaded", action="store_true", help="the shaded renders (default: unshaded)")
    args = parser.parse_args()
    body = BodyModel()
    engine = SyntheticEngine(replace(SYNTH, shading=args.shaded), body)
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
                    stream = renderer.generator.transfer_stream
                    if stream.select:  # as LiquidWarpingGenerator.transfer: the guess on the body
                        x = torch.cat([x, torch.where(inputs.mask[:, None], inputs.guess.to(merged.dtype), merged)], dim=1)
                    heads = []
                    hook = stream.head.register_forward_hook(lambda module, args, out: heads.append(out.float()))
                    colour, attention = stream(x, encoded.features, list(inputs.flows), inputs.mask)
                    hook.remove()
                image = composite(colour.float(), attention.float(), renderer.background)
            frames = {
                "input": model_to_uint8(merged.float()),
                "guess": model_to_uint8(inputs.guess.float()),
                "colour": model_to_uint8(colour.float()),
                "image": model_to_uint8(image),
            }
            attention = attention.float()[0, 0].numpy() * 255
            shares = {}
            if stream.select:
                logits = torch.cat([heads[0][:, 4:6], torch.zeros_like(heads[0][:, :1])], dim=1)
                weight = torch.softmax(logits, dim=1)[0].numpy() * 100
                shares = {"choice: input %": weight[0], "choice: guess %": weight[1], "choice: residual %": weight[2]}
            for region, where in (("unseen", inner & ~seen), ("seen", inner & seen)):
                for name, frame in frames.items():
                    error = np.abs(frame.astype(float) - truth).mean(-1)
                    total = totals.setdefault((angle, region, name), [0.0, 0.0])
                    total[0] += error[where].sum()
                    total[1] += where.sum()
                for name, values in (("attention x 255", attention), *shares.items()):
                    total = totals.setdefault((angle, region, name), [0.0, 0.0])
                    total[0] += values[where].sum()
                    total[1] += where.sum()
    for (angle, region, name), (value, count) in sorted(totals.items()):
        print(f"{angle:g} degrees, {region:6s} {name:18s} {value / count:7.2f}")


if __name__ == "__main__":
    main()
