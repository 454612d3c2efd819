"""``liquidwarp`` command line: parse, build a config, call the library.

Every user error prints one line ``liquidwarp: error: ...`` and exits with code 2. The program
itself (``liquidwarp/__main__.py``) is this command line plus the commands of the layers above it
(the web page's ``serve``), given to :func:`build_parser` and :func:`main` as :class:`Command` values;
nothing here imports them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from liquidwarp import __version__
from liquidwarp.cli.interrupt import ending_of, handle_signals, restore_signals
from liquidwarp.cli.outputs import UsageError, check_output_dir, check_output_file, check_work_dir, outputs_held
from liquidwarp.errors import InputError, OutputError
from liquidwarp.io.atomic import atomic_dir, write_json_atomic
from liquidwarp.methods import METHODS, SWAP_METHODS
from liquidwarp.metrics.protocols import PROTOCOLS
from liquidwarp.validation import check_device_name, check_height, check_range, check_size

# Nothing above imports torch, numpy-heavy modules, OpenCV or mediapipe: `--help` stays fast, and
# every option is checked before they load. Each command imports what it needs when it runs.


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints usage too)
        # "argument --size: --size must be ..." -> "--size must be ..."
        option, _, rest = message.partition(": ")
        if option.startswith("argument ") and rest.startswith(option.removeprefix("argument ").split("/")[-1] + " "):
            message = rest
        raise UsageError(message)


def _check_height(height: int | None) -> None:
    if height is not None:
        try:
            check_height(height, "--height")
        except ValueError as error:
            raise UsageError(str(error)) from None


def _positive(name: str):
    """An integer option of at least 1."""
    return _checked(check_range, name, 1, convert=int)


def _checked(check, *args, **kwargs):
    """An argparse type: ``check(value, *args, **kwargs)`` (a ``liquidwarp.validation`` rule) on
    the option's text, converted by ``kwargs.pop("convert")``."""
    convert = kwargs.pop("convert")
    kind = "an integer" if convert is int else "a number"

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{args[0]} must be {kind}, got {text!r}") from None
        try:
            return check(value, *args, **kwargs)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def _finite(name: str, low: float | None = None, high: float | None = None, unit: str = ""):
    """A float option: a finite number (NaN and infinities refused), within [low, high] when given."""
    return _checked(check_range, name, low, high, unit, convert=float)


def _size(name: str = "--size"):
    """An image side: the same rule for every command (``liquidwarp.validation.check_size``)."""
    return _checked(check_size, name, convert=int)


# A device name (cpu, cuda, cuda:N, mps); whether this machine has it: :func:`_check_device`.
_device = _checked(check_device_name, "--device", convert=str)


def _check_device(device: str, where: str = "--device") -> None:
    """Before any work: this machine has ``device``."""
    import torch

    kind, _, index = device.partition(":")
    if kind == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise UsageError(f"{where} {device}: this machine has no CUDA device (or this torch has no CUDA support); use --device cpu")
        if index and int(index) >= count:
            raise UsageError(f"{where} {device}: this machine has {count} CUDA device(s), cuda:0 to cuda:{count - 1}")
    elif kind == "mps" and not torch.backends.mps.is_available():
        raise UsageError(f"{where} {device}: this machine has no Apple MPS device; use --device cpu")


def _person(name: str):
    """A person pick, ``[FRAME:]X,Y``: checked, kept as the user wrote it (task configs record it so)."""

    def parse(text: str) -> str:
        from liquidwarp.fitting.recover import PersonPick

        try:
            PersonPick.parse(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(f"{name}: {e}") from None
        return text

    return parse


SOURCE_PERSON_HELP = "X,Y: in each --source photo, the person at this pixel (one per --source, in order; default: chosen automatically)"


def _source_people(args: argparse.Namespace) -> tuple[str, ...] | None:
    """``--source-person`` picks (text), one per ``--source``, or None."""
    if args.source_person is None:
        return None
    if len(args.source_person) != len(args.source):
        raise UsageError(f"--source-person: give one per --source, in order ({len(args.source_person)} for {len(args.source)} sources)")
    return tuple(args.source_person)


def _text(path: Path | None) -> str | None:
    """A path for a task config: as the user wrote it (not resolved)."""
    return None if path is None else str(path)


def _validated(config):
    """``config.validate()``, its ValueError as a UsageError."""
    try:
        return config.validate()
    except ValueError as error:
        raise UsageError(str(error)) from None


def _check_task_output(path: Path, what: str, suffixes: tuple[str, ...]) -> None:
    """A task's output file and the config file written beside it (``liquidwarp.tasks.configs``)."""
    from liquidwarp.tasks.configs import config_file

    check_output_file(path, what, suffixes)
    check_output_file(config_file(path), "config file")


@dataclass(frozen=True)
class Command:
    """A sub-command defined outside the command line: ``add(subparsers)`` adds its parser (named
    ``name``) to ``liquidwarp``'s, ``run(args)`` runs it. User errors are raised as
    :class:`UsageError` / ``InputError``, as the command line's own runners do."""

    name: str
    add: Callable[[argparse._SubParsersAction], None]
    run: Callable[[argparse.Namespace], None]


def build_parser(extra: Sequence[Command] = ()) -> argparse.ArgumentParser:
    """``liquidwarp``'s parser: the command line's commands, then those of ``extra``."""
    parser = _Parser(prog="liquidwarp", description="Motion imitation, appearance transfer and novel views by 3D liquid warping.")
    parser.add_argument("--version", action="version", version=f"liquidwarp {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    synth = sub.add_parser("synth", help="render a synthetic dataset of clothed people in motion")
    synth.add_argument("out", type=Path, help="output folder (created; its parent must exist)")
    synth.add_argument("--subjects", type=_positive("--subjects"), default=4, help="people to render (default 4)")
    synth.add_argument("--frames", type=_positive("--frames"), default=30, help="frames per motion (default 30)")
    synth.add_argument("--views", type=_positive("--views"), default=2, help="static cameras per person (default 2)")
    synth.add_argument("--size", type=_size(), default=256, help="image side in pixels, a multiple of 16 from 64 to 1024 (default 256)")
    synth.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    synth.add_argument("--fps", type=_finite("--fps"), default=30.0, help="frame rate of the motions (default 30; lower spreads a motion over fewer frames)")
    synth.add_argument("--preview", action="store_true", help="also write preview.png, a contact sheet")
    synth.add_argument("--no-shading", action="store_true", help="flat albedo instead of Lambert shading")
    synth.add_argument("--overwrite", action="store_true", help="replace a non-empty output folder")

    fit = sub.add_parser("fit", help="recover the 3D body from a photo or a video")
    fit.add_argument("input", type=Path, help="a photo (.jpg, .png, ...) or a video (.mp4, .mov, .webm, ...)")
    fit.add_argument("--out", type=Path, required=True, help="output folder: motion.npz, observations.npz, overlay video/image")
    fit.add_argument("--export-mesh", type=Path, help="also write the textured mesh of the first frame (.obj or .glb)")
    fit.add_argument("--json", type=Path, help="write frames, fps and fit quality to this JSON file")
    fit.add_argument("--max-frames", type=_positive("--max-frames"), help="use only the first N frames of a video")
    fit.add_argument("--person", type=_person("--person"), help="[FRAME:]X,Y: follow the person at this pixel (default: chosen automatically)")
    fit.add_argument("--overwrite", action="store_true", help="replace a non-empty output folder")

    imitate = sub.add_parser("imitate", help="make the source person perform the reference's motion")
    imitate.add_argument("--source", type=Path, action="append", required=True, help="photo of the person (repeat for more views, e.g. front and back)")
    imitate.add_argument("--reference", type=Path, required=True, help="video of the motion, or a motion file (.npz) saved by `liquidwarp fit`")
    imitate.add_argument("--out", type=Path, required=True, help="output video (.mp4); OUT.config.json beside it records the settings")
    imitate.add_argument("--method", choices=METHODS, default="lwg", help="lwg: the Liquid Warping GAN (default); warp: 3D liquid warping without a network; copy, affine2d: baselines")
    imitate.add_argument("--checkpoint", type=Path, help="lwg generator: a bundle from `liquidwarp export` or a run's checkpoint.pt (default: the shipped model)")
    imitate.add_argument("--device", type=_device, default="cpu", help="where lwg runs: cpu (default), cuda, cuda:1, ...")
    imitate.add_argument("--personalize", type=_positive("--personalize"), metavar="N", help="lwg: first fine-tune the model on the source photo(s) for N steps (personalisation; about 1-2 s a step on a laptop CPU at 256)")
    imitate.add_argument("--background", type=Path, help="put the person on this image or video (default: the source's own background, the person in-painted away)")
    imitate.add_argument("--size", type=_size(), default=256, help="side of the square the person is generated in, a multiple of 16 from 64 to 1024 (default 256)")
    imitate.add_argument("--height", type=_positive("--height"), help="output height in pixels, the width following the photo's aspect ratio (default: the photo's own size)")
    imitate.add_argument("--side-by-side", action="store_true", help="show source, reference and result next to each other")
    imitate.add_argument("--max-frames", type=_positive("--max-frames"), help="use only the first N reference frames")
    imitate.add_argument("--in-place", action="store_true", help="keep the person where the source stands (take the reference's pose and turning, not its travel)")
    imitate.add_argument("--reference-person", type=_person("--reference-person"), help="[FRAME:]X,Y: in the reference video, the person at this pixel")
    imitate.add_argument("--source-person", type=_person("--source-person"), action="append", help=SOURCE_PERSON_HELP)

    swap = sub.add_parser("swap", help="dress the reference person in the source's appearance, or part by part in several people's")
    swap.add_argument("--reference", type=Path, required=True, help="photo or video of the person to dress (their body, pose and background are kept)")
    swap.add_argument("--source", type=Path, help="photo whose appearance dresses every part not named below")
    swap.add_argument("--head", type=Path, help="photo whose head (face, hair) is used")
    swap.add_argument("--upper", type=Path, help="photo whose upper body (torso, arms, hands) is used")
    swap.add_argument("--lower", type=Path, help="photo whose lower body (hips, legs, feet) is used")
    swap.add_argument("--out", type=Path, required=True, help="an image (.png, .jpg) for a photo reference, a video (.mp4) for a video reference; OUT.config.json beside it records the settings")
    swap.add_argument("--method", choices=SWAP_METHODS, default="lwg", help="lwg (default) or warp")
    swap.add_argument("--checkpoint", type=Path, help="lwg generator (default: the shipped model)")
    swap.add_argument("--size", type=_size(), default=256, help="side of the square the person is generated in, a multiple of 16 from 64 to 1024 (default 256)")
    swap.add_argument("--height", type=_positive("--height"), help="output height in pixels, the width following the photo's aspect ratio (default: the photo's own size)")
    swap.add_argument("--max-frames", type=_positive("--max-frames"), help="use only the first N frames of a video reference")
    swap.add_argument("--background", type=Path, help="put the person on this image or video (default: the photo's own background, the person in-painted away)")
    swap.add_argument("--personalize", type=_positive("--personalize"), metavar="N", help="lwg: first fine-tune the model on the source photo(s) for N steps (personalisation; about 1-2 s a step on a laptop CPU at 256)")

    pers = sub.add_parser("personalize", help="fine-tune the lwg model on photos of one person; use the result with --checkpoint")
    pers.add_argument("--source", type=Path, action="append", required=True, help="photo of the person (repeat for more views, e.g. front and back)")
    pers.add_argument("--steps", type=_positive("--steps"), default=60, help="optimiser steps (default 60)")
    pers.add_argument("--out", type=Path, required=True, help="the personal model (.pt), for --checkpoint")
    pers.add_argument("--checkpoint", type=Path, help="the model to start from (default: the shipped model)")
    pers.add_argument("--size", type=_size(), default=256, help="side the photos are seen at, a multiple of 16 from 64 to 1024 (default 256)")
    pers.add_argument("--source-person", type=_person("--source-person"), action="append", help=SOURCE_PERSON_HELP)

    view = sub.add_parser("view", help="the person of a photo seen from other angles (turned about the photo's vertical)")
    view.add_argument("--source", type=Path, action="append", required=True, help="photo of the person (repeat for more views, e.g. front and back)")
    view.add_argument("--out", type=Path, required=True, help="one angle: an image (.png, .jpg); several: a video (.mp4) or a grid image; OUT.config.json beside it records the settings")
    turn = view.add_mutually_exclusive_group()
    turn.add_argument("--angles", default="0:360:30", help="START:STOP:STEP in degrees, STOP excluded (default 0:360:30)")
    turn.add_argument("--angle", type=_finite("--angle"), help="one angle in degrees")
    view.add_argument("--elevation", type=_finite("--elevation", -60, 60, "degrees"), default=0.0, help="tilt in degrees, -60..60 (positive: seen from higher up)")
    view.add_argument("--method", choices=METHODS, default="lwg", help="lwg (default), warp, affine2d or copy")
    view.add_argument("--checkpoint", type=Path, help="lwg generator (default: the shipped model)")
    view.add_argument("--size", type=_size(), default=256, help="side of the square the person is generated in, a multiple of 16 from 64 to 1024 (default 256)")
    view.add_argument("--height", type=_positive("--height"), help="output height in pixels, the width following the photo's aspect ratio (default: the photo's own size)")
    view.add_argument("--background", type=Path, help="put the person on this image or video (default: the photo's own background, the person in-painted away)")
    view.add_argument("--personalize", type=_positive("--personalize"), metavar="N", help="lwg: first fine-tune the model on the source photo(s) for N steps (personalisation; about 1-2 s a step on a laptop CPU at 256)")
    view.add_argument("--source-person", type=_person("--source-person"), action="append", help=SOURCE_PERSON_HELP)

    train = sub.add_parser("train", help="train the Liquid Warping GAN (torchrun for several processes)")
    train.add_argument("--config", type=Path, help="YAML preset overriding the defaults (nested names of liquidwarp.training.config.TrainConfig)")
    train.add_argument("--data", type=Path, action="append", help="synthetic dataset folder from `liquidwarp synth` (repeatable; overrides data.synthetic)")
    train.add_argument("--real", type=Path, action="append", help="real footage prepared by `liquidwarp prepare` (repeatable; overrides data.real)")
    train.add_argument("--out", type=Path, required=True, help="run folder: config.json, log.jsonl, samples/, checkpoint.pt")
    train.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    train.add_argument("--steps", type=_positive("--steps"), help="optimiser steps in all (overrides optim.steps)")
    train.add_argument("--device", type=_device, help="cpu, cuda, cuda:1, ... (overrides run.device)")
    train.add_argument("--init", type=Path, help="start the generator from this bundle or checkpoint (fine-tuning; overrides run.init)")

    prepare = sub.add_parser("prepare", help="perceive and fit every video of a dataset once, for training (parallel, resumable)")
    prepare.add_argument("data", type=Path, help="a folder of videos (+ people.json), one video, or an iPER-style <subject>/<outfit>/<action>/ tree")
    prepare.add_argument("--out", type=Path, required=True, help="output folder (created or resumed): index.json, <video>/motion.npz, view.json, frames/")
    prepare.add_argument("--workers", type=_positive("--workers"), default=2, help="videos processed at once, one process each (default 2)")
    prepare.add_argument("--size", type=_size(), default=256, help="side of the cropped frames, a multiple of 16 from 64 to 1024 (default 256)")
    prepare.add_argument("--max-frames", type=_positive("--max-frames"), help="use only the first N frames of every video")

    export = sub.add_parser("export", help="write a training run's generator as an inference bundle (fp16) for --checkpoint")
    export.add_argument("run", type=Path, help="run folder of `liquidwarp train` (its checkpoint.pt), or a checkpoint file")
    export.add_argument("--out", type=Path, required=True, help="bundle file (.pt)")

    demo = sub.add_parser("demo", help="a built-in person dances a built-in motion (no input files, no network)")
    demo.add_argument("--out", type=Path, default=Path("liquidwarp-demo"), help="output folder (default ./liquidwarp-demo): demo.mp4, source.png")
    demo.add_argument("--method", choices=METHODS, default="lwg", help="imitation method (default lwg)")
    demo.add_argument("--frames", type=_positive("--frames"), default=100, help="frames of dance (default 100, 4 s)")
    demo.add_argument("--size", type=_size(), default=256, help="side in pixels, a multiple of 16 from 64 to 1024 (default 256)")
    demo.add_argument("--checkpoint", type=Path, help="lwg generator (default: the shipped model)")

    evaluate = sub.add_parser("evaluate", help="measure a method on a dataset by one of the paper's protocols")
    evaluate.add_argument("--protocol", choices=PROTOCOLS, required=True, help="which frames are sources and what they are compared with")
    evaluate.add_argument("--data", type=Path, required=True, help="a synthetic dataset (liquidwarp synth), a folder of videos, one video, or an iPER-style tree")
    evaluate.add_argument("--method", choices=METHODS, default="lwg", help="lwg (default), warp, or the baselines copy and affine2d")
    evaluate.add_argument("--checkpoint", type=Path, help="lwg generator: a bundle from `liquidwarp export` or a run's checkpoint.pt (default: the shipped model)")
    evaluate.add_argument("--out", type=Path, required=True, help="results file (.json)")
    evaluate.add_argument("--personalize", type=_positive("--personalize"), metavar="N", help="lwg: fine-tune on each source frame for N steps before generating")
    evaluate.add_argument("--size", type=_size(), default=256, help="side of the compared frames, a multiple of 16 from 64 to 1024 (default 256, as the paper)")
    evaluate.add_argument("--max-frames", type=_positive("--max-frames"), help="use only the first N frames of every video")
    evaluate.add_argument("--sources-per-video", type=_positive("--sources-per-video"), help="source frames per video (default: self-imitation 2, novel view 8)")
    evaluate.add_argument("--metrics", help="comma-separated metric names (default: all)")
    evaluate.add_argument("--save-frames", type=Path, help="also write every generated frame (source | generated | ground truth) to this new folder")
    evaluate.add_argument("--overwrite", action="store_true", help="replace an existing --save-frames folder")

    bench = sub.add_parser("bench", help="measure speed and quality on this machine")
    bench_sub = bench.add_subparsers(dest="suite", required=True, parser_class=_Parser)
    geometry = bench_sub.add_parser("geometry", help="rasteriser, transfer flow and synthetic engine figures")
    geometry.add_argument("--json", type=Path, help="write the figures to this JSON file")
    geometry.add_argument("--subjects", type=_positive("--subjects"), default=4, help="synthetic subjects measured (default 4)")
    geometry.add_argument("--frames", type=_positive("--frames"), default=30, help="frames per subject (default 30)")
    geometry.add_argument("--repeats", type=_positive("--repeats"), default=50, help="timed rasteriser calls (default 50)")
    fitting = bench_sub.add_parser("fitting", help="body recovery accuracy (synthetic, real footage) and speed")
    fitting.add_argument("--json", type=Path, help="write the figures to this JSON file")
    fitting.add_argument("--subjects", type=_positive("--subjects"), default=6, help="held-out synthetic subjects (default 6)")
    fitting.add_argument("--video", type=Path, help="real footage (default ../shared/samples/lab_throw_cam01.mp4)")
    fitting.add_argument("--max-frames", type=_positive("--max-frames"), help="use only the first N frames of the video")
    quality = bench_sub.add_parser("quality", help="the paper's Table 1 for every method: synthetic, real and cross-imitation protocols")
    quality.add_argument("--out", type=Path, required=True, help="folder for each run's results JSON (and the synthetic data it renders)")
    quality.add_argument("--methods", default=",".join(METHODS), help=f"comma-separated methods (default {','.join(METHODS)})")
    quality.add_argument("--only", help="comma-separated tables: synthetic-self-imitation, synthetic-novel-view, lab-self-imitation, cross-imitation")
    quality.add_argument("--no-resume", action="store_true", help="redo runs whose results file exists")
    quality.add_argument("--markdown", type=Path, help="also write the tables as Markdown to this file")
    tasks = bench_sub.add_parser("tasks", help="part-by-part transfer, front + back sources and personalisation cost (synthetic)")
    tasks.add_argument("--json", type=Path, help="write the figures to this JSON file")
    sheets = bench_sub.add_parser("sheets", help="contact sheets of imitate and view on real photos (source | reference | warp | lwg)")
    sheets.add_argument("--out", type=Path, required=True, help="folder for the sheets (JPEG) and sheets.json")
    sheets.add_argument("--size", type=_size(), default=256, help="side of the square the person is generated in, a multiple of 16 from 64 to 1024 (default 256)")
    unseen = bench_sub.add_parser("unseen", help="warp's guess of the body the photo does not show: texture completion vs part means (synthetic)")
    unseen.add_argument("--json", type=Path, help="write the figures to this JSON file")
    unseen.add_argument("--sheet", type=Path, help="contact sheet PNG: source | truth | old fill | new fill per subject and angle (default: beside --json, .png)")
    unseen.add_argument("--subjects", type=_positive("--subjects"), default=4, help="synthetic subjects measured (default 4)")
    unseen.add_argument("--checkpoint", type=Path, help="the lwg row's generator: a bundle or training checkpoint (default: the shipped model)")
    unseen.add_argument("--fp32", action="store_true", help="run the lwg row in fp32 (default: bf16 autocast where the hardware has fast bf16)")
    speed = bench_sub.add_parser("speed", help="frames/s of each pipeline stage at 128, 256 and 512 pixels")
    speed.add_argument("--json", type=Path, help="write the figures to this JSON file")
    speed.add_argument("--plot", type=Path, help="write a plot of frames/s against resolution to this PNG file")
    speed.add_argument("--frames", type=_positive("--frames"), default=24, help="video frames timed per resolution (default 24)")
    speed.add_argument("--video", type=Path, help="real footage (default ../shared/samples/lab_throw_cam01.mp4)")
    inpaint = bench_sub.add_parser("inpaint", help="filling a person-shaped hole: Telea vs patch-based vs other frames, against known truth")
    inpaint.add_argument("--json", type=Path, help="write the figures to this JSON file")
    inpaint.add_argument("--sheet", type=Path, help="write a contact sheet (hole, telea, patch, patch_smooth, truth) to this PNG file")
    inpaint.add_argument("--samples", type=Path, help="folder of the sample videos (default ../shared/samples)")
    memory = bench_sub.add_parser("memory", help="peak memory of fit and imitate (video reference) against the clip's length")
    memory.add_argument("--json", type=Path, default=Path("benchmarks/memory.json"), help="write the figures to this JSON file (default benchmarks/memory.json)")
    memory.add_argument("--frames", type=_positive("--frames"), nargs="+", default=[100, 1000], help="clip lengths in frames (default 100 1000)")
    memory.add_argument("--video", type=Path, help="clip looped to each length (default ../shared/samples/lab_throw_cam01.mp4)")
    for command in extra:
        command.add(sub)
    return parser


def _run_synth(args: argparse.Namespace) -> None:
    from liquidwarp.data.synthetic import SynthConfig, write_dataset

    config = SynthConfig(
        subjects=args.subjects, frames=args.frames, views=args.views, size=args.size, seed=args.seed, fps=args.fps,
        shading=not args.no_shading,
    )  # fmt: skip
    try:
        config.validate()
    except ValueError as e:
        raise UsageError(str(e)) from None
    check_output_dir(args.out, args.overwrite)
    with atomic_dir(args.out) as tmp:
        stats = write_dataset(config, tmp, preview=args.preview)
    print(
        f"wrote {stats['frames']} frames ({config.subjects} subjects x {config.views} views x {config.frames} frames, "
        f"{config.size}x{config.size}) to {args.out} in {stats['seconds']:.1f} s ({stats['frames_per_s']:.1f} frames/s)"
    )
    if args.preview:
        print(f"preview: {args.out / 'preview.png'}")


def _run_fit(args: argparse.Namespace) -> None:
    import time

    from liquidwarp.io.mesh_export import MESH_SUFFIXES

    check_output_dir(args.out, args.overwrite)
    check_output_file(getattr(args, "json", None), "JSON file")
    check_output_file(args.export_mesh, "mesh file", MESH_SUFFIXES)
    _check_videos(args.input)
    from liquidwarp.body.model import BodyModel
    from liquidwarp.fitting import recover as rec

    body = BodyModel()
    start = time.perf_counter()
    person = None if args.person is None else rec.PersonPick.parse(args.person)
    recovery = rec.recover(args.input, body, max_frames=args.max_frames, person=person)
    quality = rec.fit_quality(body, recovery)
    seq = recovery.sequence
    with atomic_dir(args.out) as tmp:
        from liquidwarp.fitting.records import save_sequence
        from liquidwarp.perception.observation import save_observations

        save_sequence(tmp / "motion.npz", seq)
        save_observations(tmp / "observations.npz", recovery.observations)
        rec.write_overlay(body, recovery, tmp, audio_from=args.input)
    mesh_files = rec.export_textured_mesh(body, recovery, args.export_mesh) if args.export_mesh is not None else []
    fit_time = recovery.fit_seconds
    figures = {
        "frames": seq.frames,
        # rates of this run's own work: frames taken from the cache cost nothing here
        "fps": recovery.fitted_frames / fit_time if fit_time > 0 else None,
        "perception_fps": recovery.perceived_frames / recovery.perception_seconds if recovery.perception_seconds > 0 else None,
        "fitted_frames": recovery.fitted_frames,
        "perceived_frames": recovery.perceived_frames,
        "cached": recovery.cached,
        "seconds": time.perf_counter() - start,
        **quality,
    }
    if args.json is not None:
        write_json_atomic(args.json, figures)
    cached = " (from cache)" if recovery.cached else f" at {figures['fps']:.2f} frames/s"
    print(f"fitted {seq.frames} frame(s){cached}: silhouette IoU {quality['mean_silhouette_iou']:.3f}, keypoint error {quality['mean_keypoint_error_rel'] * 100:.2f}% of height")
    print(f"wrote {args.out}" + "".join(f", {p}" for p in mesh_files))


def _run_personalize(args: argparse.Namespace) -> None:
    check_output_file(args.out, "model file", (".pt",))
    for path in [*args.source] + ([args.checkpoint] if args.checkpoint is not None else []):
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
    from liquidwarp.tasks.configs import people
    from liquidwarp.tasks.personal import personal_model

    seconds = personal_model(args.source, args.out, args.steps, args.checkpoint, args.size, source_people=people(_source_people(args)))
    print(f"wrote {args.out}: {args.steps} steps in {seconds:.1f} s; use it with --checkpoint {args.out}")


def _run_imitate(args: argparse.Namespace) -> None:
    if args.personalize and args.method != "lwg":
        raise UsageError("--personalize needs --method lwg")
    _check_height(args.height)
    _check_task_output(args.out, "output video", (".mp4",))
    for path in [*args.source, args.reference] + [p for p in (args.checkpoint, args.background) if p is not None]:
        if not path.exists():
            raise UsageError(f"{path}: no such file")
    _check_background(args.background)
    _check_videos(args.reference)
    _check_device(args.device)
    if args.reference.suffix.lower() == ".npz":
        from liquidwarp.fitting.records import load_sequence

        load_sequence(args.reference)  # InputError now, not after the sources are fitted
    from liquidwarp.tasks.imitate import ImitateConfig, imitate

    config = ImitateConfig(
        method=args.method, size=args.size, height=args.height, side_by_side=args.side_by_side, max_frames=args.max_frames,
        in_place=args.in_place, checkpoint=_text(args.checkpoint), device=args.device, personalize=args.personalize or 0,
        background=_text(args.background), reference_person=args.reference_person, source_people=_source_people(args),
    )  # fmt: skip
    result = imitate(args.source, args.reference, args.out, _validated(config))
    print(f"wrote {args.out} ({result.size[1]}x{result.size[0]}): {result.frames} frames in {result.seconds:.1f} s ({result.fps:.1f} frames/s including fitting)")


def _run_train(args: argparse.Namespace) -> None:
    from liquidwarp.training.config import TrainConfig, config_from_dict, load_config

    if args.config is not None and not args.config.is_file():
        raise UsageError(f"{args.config}: no such file")
    check_work_dir(args.out, "run folder")
    try:
        config = load_config(args.config) if args.config is not None else TrainConfig()
        changes: dict = {}
        if args.data:
            changes["data"] = {"synthetic": [str(d) for d in args.data]}
        if args.real:
            changes.setdefault("data", {})["real"] = [str(d) for d in args.real]
        if args.steps is not None:
            changes["optim"] = {"steps": args.steps}
        if args.device is not None:
            changes["run"] = {"device": args.device}
        if args.init is not None:
            changes.setdefault("run", {})["init"] = str(args.init)
        config = config_from_dict(changes, config)
    except ValueError as e:
        raise UsageError(f"{args.config}: {e}" if args.config is not None else str(e)) from None
    _check_device(config.run.device, "--device" if args.device is not None else "run.device")
    for root in config.data.synthetic:
        if not (Path(root) / "manifest.json").is_file():
            raise UsageError(f"{root}: not a synthetic dataset (no manifest.json); make one with `liquidwarp synth`")
    for root in config.data.real:
        if not (Path(root) / "index.json").is_file():
            raise UsageError(f"{root}: not prepared footage (no index.json); make it with `liquidwarp prepare`")
    if not config.data.synthetic and not config.data.real:
        raise UsageError("no training data: give --data DIR (from `liquidwarp synth`), --real DIR (from `liquidwarp prepare`), or set them in the config")
    if args.out.exists() and not args.resume and any(args.out.iterdir()):
        raise UsageError(f"{args.out}: not empty; use --resume to continue that run or choose a new folder")
    if args.resume:
        _check_resume(config, args.out / "checkpoint.pt")
    init = None
    if config.run.init and not args.resume:
        from liquidwarp.training.loop import initial_generator

        try:
            init = initial_generator(config)
        except ValueError as error:
            raise UsageError(f"cannot start from it: {error}") from None
    import os

    import torch

    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if config.run.device.startswith("cuda") else "gloo"
        torch.distributed.init_process_group(backend)
    from liquidwarp.training.loop import train

    last = train(config, args.out, resume=args.resume, init=init)
    if last:
        print(f"step {last['step']}: generator loss {last['g_total']:.4f}, discriminator loss {last['d_total']:.4f}; wrote {args.out}")


def _check_resume(config, checkpoint: Path) -> None:
    """``train --resume``: ``checkpoint`` exists and continues the same run (same settings but
    those ``RESUMABLE``, no fewer steps than it has taken)."""
    from liquidwarp.training.checkpoint import read_checkpoint
    from liquidwarp.training.config import RESUMABLE, resume_differences

    if not checkpoint.is_file():
        raise UsageError(f"{checkpoint.parent}: no checkpoint.pt to resume from")
    try:
        state = read_checkpoint(checkpoint)
    except ValueError as error:
        raise InputError(str(error)) from None
    differences = resume_differences(config, state["config"])
    if differences:
        shown = "; ".join(differences[:3]) + (f"; and {len(differences) - 3} more" if len(differences) > 3 else "")
        free = ", ".join(sorted(RESUMABLE))
        raise UsageError(f"--resume: settings differ from {checkpoint}'s: {shown} (give the run's --config and options; only {free} may change)")
    if config.optim.steps < state["step"]:
        raise UsageError(f"--steps {config.optim.steps}: {checkpoint} is already at step {state['step']}; to continue, give more steps than that")


def _check_videos(*paths: Path | None) -> None:
    """Files named as videos hold videos, not still images (told by their content)."""
    from liquidwarp.io.media import check_not_image, is_video_path

    for path in paths:
        if path is not None and path.is_file() and is_video_path(path):
            check_not_image(path)


def _check_background(path: Path | None) -> None:
    if path is None:
        return
    from liquidwarp.io.media import is_image_path, is_video_path

    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    if not (is_image_path(path) or is_video_path(path)):
        raise UsageError(f"{path}: a background must be an image or a video")
    _check_videos(path)


def _run_swap(args: argparse.Namespace) -> None:
    _check_height(args.height)
    donors = [p for p in (args.source, args.head, args.upper, args.lower) if p is not None]
    if not donors:
        raise UsageError("name a source: --source, or one or more of --head, --upper, --lower")
    for path in [args.reference, *donors] + ([args.checkpoint] if args.checkpoint is not None else []):
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
    from liquidwarp.io.media import is_image_path, is_video_path

    for path in donors:
        if not is_image_path(path):
            raise UsageError(f"{path}: a source must be a photo")
    if is_video_path(args.reference):
        _check_videos(args.reference)
        _check_task_output(args.out, "output video", (".mp4",))
    else:
        _check_task_output(args.out, "output image", (".png", ".jpg", ".jpeg"))
    _check_background(args.background)
    from liquidwarp.tasks.swap import SwapConfig, swap

    config = SwapConfig(
        method=args.method, size=args.size, height=args.height, max_frames=args.max_frames, checkpoint=_text(args.checkpoint),
        personalize=args.personalize or 0, background=_text(args.background),
    )  # fmt: skip
    result = swap(args.reference, args.out, _validated(config), args.source, args.head, args.upper, args.lower)
    print(f"wrote {args.out} ({result.size[1]}x{result.size[0]}): {result.frames} frame(s) in {result.seconds:.1f} s")


def _run_view(args: argparse.Namespace) -> None:
    from liquidwarp.tasks.view import ViewConfig, novel_views, parse_angles

    _check_height(args.height)
    try:
        angles = [args.angle] if args.angle is not None else parse_angles(args.angles)
    except ValueError as e:
        raise UsageError(f"--angles: {e}") from None
    image_suffixes = (".png", ".jpg", ".jpeg")
    _check_task_output(args.out, "output", image_suffixes if len(angles) == 1 else (".mp4", *image_suffixes))
    for path in [*args.source] + ([args.checkpoint] if args.checkpoint is not None else []):
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
    if args.personalize and args.method != "lwg":
        raise UsageError("--personalize needs --method lwg")
    _check_background(args.background)
    config = ViewConfig(
        angles=tuple(angles), elevation=args.elevation, method=args.method, size=args.size, height=args.height,
        checkpoint=_text(args.checkpoint), personalize=args.personalize or 0, background=_text(args.background),
        source_people=_source_people(args),
    )  # fmt: skip
    result = novel_views(args.source, args.out, _validated(config))
    print(f"wrote {args.out} ({result.size[1]}x{result.size[0]} each): {result.views} view(s) in {result.seconds:.1f} s")


def _run_prepare(args: argparse.Namespace) -> None:
    if not args.data.exists():
        raise UsageError(f"{args.data}: no such file or folder")
    check_work_dir(args.out, "output folder")
    _check_videos(args.data)
    from liquidwarp.tasks.prepare import prepare

    result = prepare(args.data, args.out, workers=args.workers, size=args.size, max_frames=args.max_frames)
    print(f"{result.prepared} video(s) ready in {args.out} ({result.skipped} from an earlier run) in {result.seconds:.1f} s")
    for name, reason in result.failed.items():
        print(f"  failed: {name}: {reason}", file=sys.stderr)
    if result.failed and not result.prepared:
        raise InputError("no video could be prepared")


def _run_export(args: argparse.Namespace) -> None:
    check_output_file(args.out, "bundle", (".pt",))
    checkpoint = args.run / "checkpoint.pt" if args.run.is_dir() else args.run
    if not checkpoint.is_file():
        raise UsageError(f"{checkpoint}: no such file")
    from liquidwarp.training.checkpoint import export_bundle

    try:
        provenance = export_bundle(checkpoint, args.out)
    except ValueError as e:
        raise InputError(str(e)) from None
    size = args.out.stat().st_size / 2**20
    print(f"wrote {args.out} ({size:.1f} MB): generator of step {provenance['step']} of {checkpoint}")


def _run_demo(args: argparse.Namespace) -> None:
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"{args.out}: exists and is not a folder")
    if not args.out.absolute().parent.is_dir():
        raise UsageError(f"{args.out.parent}: no such folder")
    if args.checkpoint is not None and not args.checkpoint.is_file():
        raise UsageError(f"{args.checkpoint}: no such file")
    from liquidwarp.tasks.demo import demo

    result = demo(args.out, method=args.method, frames=args.frames, size=args.size, checkpoint=args.checkpoint)
    print(f"wrote {result.video} ({result.frames} frames, source | target body | result) and {result.source} in {result.seconds:.1f} s")


def _run_evaluate(args: argparse.Namespace) -> None:
    check_output_file(args.out, "results file", (".json",))
    if args.save_frames is not None:
        check_output_dir(args.save_frames, args.overwrite)
    if not args.data.exists():
        raise UsageError(f"{args.data}: no such file or folder")
    from liquidwarp.data.evaluation import check_evaluation_data
    from liquidwarp.metrics.registry import METRICS
    from liquidwarp.tasks.evaluate import EvaluationConfig, evaluate

    metrics = None
    if args.metrics is not None:
        metrics = tuple(m.strip() for m in args.metrics.split(",") if m.strip())
        unknown = [m for m in metrics if m not in METRICS]
        if unknown or not metrics:
            raise UsageError(f"unknown metric(s) {', '.join(unknown) or args.metrics!r}; available: {', '.join(METRICS)}")
    if args.checkpoint is not None and not args.checkpoint.is_file():
        raise UsageError(f"{args.checkpoint}: no such file")
    checkpoint = None if args.checkpoint is None else str(args.checkpoint)
    if args.personalize and args.method != "lwg":
        raise UsageError("--personalize needs --method lwg")
    config = EvaluationConfig(args.protocol, args.method, args.size, args.max_frames, args.sources_per_video, metrics, checkpoint, args.personalize or 0)
    check_evaluation_data(args.data, args.protocol, args.max_frames)
    if args.save_frames is not None:
        with atomic_dir(args.save_frames) as tmp:
            results = evaluate(args.data, config, save_frames=tmp)
    else:
        results = evaluate(args.data, config)
    write_json_atomic(args.out, results)
    print(f"{results['protocol']} / {results['method']}: {results['frames']['generated']} frames in {results['seconds']['total']:.1f} s")
    for name, entry in results["metrics"].items():
        shown = f"{entry['value']:.4f}" if entry["value"] is not None else f"unavailable ({entry['reason']})"
        print(f"  {name:28s} {shown}")
    print(f"wrote {args.out}")


def _run_bench(args: argparse.Namespace) -> None:
    check_output_file(getattr(args, "json", None), "JSON file")
    if args.suite == "fitting":
        from liquidwarp.bench import fitting

        if args.video is not None and not args.video.is_file():
            raise UsageError(f"{args.video}: no such file")
        results = fitting.run(subjects=args.subjects, video=args.video, max_frames=args.max_frames)
    elif args.suite == "quality":
        from liquidwarp.bench import quality

        check_output_file(args.markdown, "Markdown file", (".md",))
        methods = tuple(m.strip() for m in args.methods.split(",") if m.strip())
        if not methods or any(m not in METHODS for m in methods):
            raise UsageError(f"--methods: choose from {', '.join(METHODS)}, got {args.methods!r}")
        only = None if args.only is None else tuple(t.strip() for t in args.only.split(",") if t.strip())
        known = quality.tables(args.out)
        if only is not None and (not only or any(t not in known for t in only)):
            raise UsageError(f"--only: choose from {', '.join(known)}, got {args.only!r}")
        if args.out.exists() and not args.out.is_dir():
            raise UsageError(f"{args.out}: exists and is not a folder")
        if not args.out.parent.is_dir():
            raise UsageError(f"{args.out.parent}: no such folder")
        results = quality.run(args.out, methods, only, resume=not args.no_resume)
        text = quality.markdown(results)
        print(text)
        if args.markdown is not None:
            from liquidwarp.io.atomic import atomic_file

            with atomic_file(args.markdown) as tmp:
                tmp.write_text(text)
        return
    elif args.suite == "sheets":
        from liquidwarp.bench import sheets

        if args.out.exists() and not args.out.is_dir():
            raise UsageError(f"{args.out}: exists and is not a folder")
        if not sheets.LAB.is_file() or not sheets.OUTDOOR.is_file():
            raise UsageError(f"{sheets.SAMPLES}: the sample videos are needed for the sheets")
        results = sheets.run(args.out, size=args.size, progress=True)
        write_json_atomic(args.out / "sheets.json", results)
    elif args.suite == "tasks":
        from liquidwarp.bench import tasks

        results = tasks.run()
    elif args.suite == "inpaint":
        from liquidwarp.bench import inpaint

        check_output_file(args.sheet, "contact sheet", (".png",))
        if args.samples is not None and not args.samples.is_dir():
            raise UsageError(f"{args.samples}: no such folder")
        full = inpaint.run(samples=args.samples)
        if args.sheet is not None:
            from liquidwarp.io.atomic import atomic_file

            with atomic_file(args.sheet, suffix=".png") as tmp:
                inpaint.contact_sheet(full, tmp)
        print(inpaint.markdown(full))
        results = inpaint.public(full)
    elif args.suite == "unseen":
        from liquidwarp.bench import unseen

        sheet = args.sheet if args.sheet is not None or args.json is None else args.json.with_suffix(".png")
        check_output_file(sheet, "contact sheet", (".png",))
        results = unseen.run(subjects=args.subjects, sheet=sheet, checkpoint=None if args.checkpoint is None else str(args.checkpoint), bf16=not args.fp32)
    elif args.suite == "speed":
        from liquidwarp.bench import speed

        check_output_file(args.plot, "plot", (".png",))
        if args.video is not None and not args.video.is_file():
            raise UsageError(f"{args.video}: no such file")
        if args.frames < 3:
            raise UsageError("--frames must be at least 3 (one warm-up frame, then timed frames)")
        results = speed.run(video=args.video, frames=args.frames)
        if args.plot is not None:
            from liquidwarp.io.atomic import atomic_file

            with atomic_file(args.plot, suffix=".png") as tmp:
                speed.plot(results, tmp)
    elif args.suite == "memory":
        from liquidwarp.bench import memory

        video = args.video if args.video is not None else memory.SAMPLE
        if not video.is_file():
            raise UsageError(f"{video}: no such file")
        results = memory.run(tuple(args.frames), sample=video, report=lambda partial: write_json_atomic(args.json, partial))
    else:
        from liquidwarp.bench import geometry

        results = geometry.run(subjects=args.subjects, frames=args.frames, repeats=args.repeats)
    text = json.dumps(results, indent=2)
    print(text)
    if getattr(args, "json", None) is not None:  # `bench sheets` writes its own sheets.json
        write_json_atomic(args.json, results)


RUNNERS: dict[str, Callable[[argparse.Namespace], None]] = {
    "synth": _run_synth,
    "fit": _run_fit,
    "imitate": _run_imitate,
    "train": _run_train,
    "personalize": _run_personalize,
    "swap": _run_swap,
    "view": _run_view,
    "prepare": _run_prepare,
    "export": _run_export,
    "demo": _run_demo,
    "evaluate": _run_evaluate,
    "bench": _run_bench,
}


def main(argv: list[str] | None = None, extra: Sequence[Command] = ()) -> int:
    """Run the command (one of :data:`RUNNERS`, or of ``extra``); its exit status. SIGTERM ends a
    run as Ctrl-C does (cli/interrupt.py)."""
    previous = handle_signals()
    held = contextlib.ExitStack()
    runners = {**RUNNERS, **{command.name: command.run for command in extra}}
    try:
        args = build_parser(extra).parse_args(argv)
        held.enter_context(outputs_held(args))
        runners[args.command](args)
        return 0
    except (UsageError, InputError) as e:
        print(f"liquidwarp: error: {e}", file=sys.stderr)
        return 2
    except OutputError as e:
        print(f"liquidwarp: error: {e}", file=sys.stderr)
        return 2 if e.environment else 1
    except KeyboardInterrupt as e:
        message, status = ending_of(e)
        print(f"liquidwarp: {message}", file=sys.stderr)
        return status
    finally:
        held.close()
        restore_signals(previous)
