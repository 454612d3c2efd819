"""``liquidwarp`` command line: parse, build a config, call the library.

Every user error prints one line ``liquidwarp: error: ...`` and exits with code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from liquidwarp import __version__
from liquidwarp.cli.outputs import UsageError, atomic_dir, check_output_dir, check_parent, write_json_atomic


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints usage too)
        raise UsageError(message)


def _positive(name: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer, got {text!r}") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"{name} must be at least 1, got {value}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="liquidwarp", description="Motion imitation, appearance transfer and novel views by 3D liquid warping.")
    parser.add_argument("--version", action="version", version=f"liquidwarp {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    synth = sub.add_parser("synth", help="render a synthetic dataset of clothed people in motion")
    synth.add_argument("out", type=Path, help="output folder (created; its parent must exist)")
    synth.add_argument("--subjects", type=_positive("--subjects"), default=4, help="people to render (default 4)")
    synth.add_argument("--frames", type=_positive("--frames"), default=30, help="frames per motion (default 30)")
    synth.add_argument("--views", type=_positive("--views"), default=2, help="static cameras per person (default 2)")
    synth.add_argument("--size", type=int, default=256, help="image side in pixels, 16..2048 (default 256)")
    synth.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    synth.add_argument("--preview", action="store_true", help="also write preview.png, a contact sheet")
    synth.add_argument("--no-shading", action="store_true", help="flat albedo instead of Lambert shading")
    synth.add_argument("--overwrite", action="store_true", help="replace a non-empty output folder")

    bench = sub.add_parser("bench", help="measure speed and quality on this machine")
    bench_sub = bench.add_subparsers(dest="suite", required=True, parser_class=_Parser)
    geometry = bench_sub.add_parser("geometry", help="rasteriser, transfer flow and synthetic engine figures")
    geometry.add_argument("--json", type=Path, help="write the figures to this JSON file")
    geometry.add_argument("--subjects", type=_positive("--subjects"), default=4, help="synthetic subjects measured (default 4)")
    geometry.add_argument("--frames", type=_positive("--frames"), default=30, help="frames per subject (default 30)")
    geometry.add_argument("--repeats", type=_positive("--repeats"), default=50, help="timed rasteriser calls (default 50)")
    return parser


def _run_synth(args: argparse.Namespace) -> None:
    from liquidwarp.data.synthetic import SynthConfig, write_dataset

    config = SynthConfig(
        subjects=args.subjects, frames=args.frames, views=args.views, size=args.size, seed=args.seed, shading=not args.no_shading
    )
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


def _run_bench(args: argparse.Namespace) -> None:
    if args.json is not None:
        check_parent(args.json, "JSON file")
        if args.json.is_dir():
            raise UsageError(f"JSON file {args.json} is a folder")
    from liquidwarp.bench import geometry

    results = geometry.run(subjects=args.subjects, frames=args.frames, repeats=args.repeats)
    text = json.dumps(results, indent=2)
    print(text)
    if args.json is not None:
        write_json_atomic(args.json, results)


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.command == "synth":
            _run_synth(args)
        elif args.command == "bench":
            _run_bench(args)
        return 0
    except UsageError as e:
        print(f"liquidwarp: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("liquidwarp: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
