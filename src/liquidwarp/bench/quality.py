"""``liquidwarp bench quality``: the paper's Table 1, laid out as rows = methods, columns = metrics,
for every protocol this repository evaluates on:

- ``synthetic self-imitation`` and ``synthetic novel view``: held-out subjects of the data engine
  (seed 1000, never used for training: training data is drawn from seeds below 1000), rendered
  into ``<out>/synthetic-data`` unless it is there already;
- ``lab self-imitation``: ``../shared/samples/lab_throw_cam01.mp4``, all frames;
- ``cross-imitation``: the two sample videos performing each other's motion, the walking woman
  of ``outdoor_walk.mp4`` picked by ``people.json`` (frame 131, pixel 700, 720).

Each run's ``results.json`` is kept in ``<out>/<table>__<method>.json``; with ``resume`` a run whose
file exists is not repeated, and a line on stderr says which file was kept and from when (the
file does not record the code that made it). All runs are at 256².
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from liquidwarp.body.model import BodyModel
from liquidwarp.io.console import note

SAMPLES = Path(__file__).resolve().parents[3] / ".." / "shared" / "samples"
SYNTH_SEED = 1000
SYNTH = {"subjects": 6, "frames": 24, "views": 3, "size": 256, "fps": 10.0}
OUTDOOR_PERSON = "131:700,720"  # the walking woman (the man on the utility box is larger in most frames)


PERSONAL_STEPS = 60  # personalisation steps of the lab-personalisation table's "lwg+p60" row


def tables(out: Path) -> dict[str, tuple[str, Path, dict, tuple[str, ...] | None]]:
    """Table name -> (protocol, data path, extra EvaluationConfig fields, the methods it always
    runs instead of the chosen ones, or None)."""
    return {
        "synthetic-self-imitation": ("self-imitation", out / "synthetic-data", {}, None),
        "synthetic-novel-view": ("novel-view", out / "synthetic-data", {}, None),
        "lab-self-imitation": ("self-imitation", SAMPLES / "lab_throw_cam01.mp4", {}, None),
        "cross-imitation": ("cross-imitation", out / "cross-data", {}, None),
        # Personalisation on/off: the source is frame 0, every other frame a target.
        "lab-personalisation": ("self-imitation", SAMPLES / "lab_throw_cam01.mp4", {"sources_per_video": 1}, ("lwg", f"lwg+p{PERSONAL_STEPS}")),
    }


def method_settings(name: str) -> dict:
    """A row name -> EvaluationConfig fields: a method, or ``lwg+pN`` (lwg personalised N steps)."""
    method, _, steps = name.partition("+p")
    return {"method": method, "personalize": int(steps)} if steps else {"method": method}


def _prepare_data(out: Path, body: BodyModel, progress: bool) -> None:
    from liquidwarp.data.synthetic import SynthConfig, write_dataset
    from liquidwarp.io.atomic import atomic_dir

    synth = out / "synthetic-data"
    if not (synth / "manifest.json").is_file():
        with atomic_dir(synth) as tmp:
            write_dataset(SynthConfig(seed=SYNTH_SEED, **SYNTH), tmp, progress=progress, body=body)
    cross = out / "cross-data"
    cross.mkdir(exist_ok=True)
    for name in ("lab_throw_cam01.mp4", "outdoor_walk.mp4"):
        link = cross / name
        if not link.exists():
            link.symlink_to((SAMPLES / name).resolve())
    (cross / "people.json").write_text(json.dumps({"outdoor_walk.mp4": OUTDOOR_PERSON}) + "\n")


def run(out: Path, methods: tuple[str, ...], only: tuple[str, ...] | None = None, resume: bool = True, progress: bool = True) -> dict:
    from liquidwarp.io.atomic import write_json_atomic
    from liquidwarp.tasks.evaluate import EvaluationConfig, evaluate

    out = Path(out)
    out.mkdir(exist_ok=True)
    body = BodyModel()
    _prepare_data(out, body, progress)
    results: dict[str, dict[str, dict]] = {}
    for table, (protocol, data, extra, fixed) in tables(out).items():
        if only is not None and table not in only:
            continue
        for method in fixed or methods:
            file = out / f"{table}__{method}.json"
            if resume and file.is_file():
                results.setdefault(table, {})[method] = json.loads(file.read_text())
                when = time.strftime("%Y-%m-%d %H:%M", time.localtime(file.stat().st_mtime))
                note(f"{file}: kept from {when}, not measured again (--no-resume measures every run afresh)")
                continue
            start = time.perf_counter()
            result = evaluate(data, EvaluationConfig(protocol, **method_settings(method), **extra), body, progress=progress)
            result["bench_seconds"] = round(time.perf_counter() - start, 1)
            write_json_atomic(file, result)
            results.setdefault(table, {})[method] = result
    return results


def markdown(results: dict[str, dict[str, dict]]) -> str:
    """One table per protocol: rows = methods, columns = metrics (unavailable ones listed below)."""
    lines = []
    for table, by_method in results.items():
        first = next(iter(by_method.values()))
        names = [n for n, e in first["metrics"].items() if any(r["metrics"][n]["value"] is not None for r in by_method.values())]
        missing = {n: e["reason"] for n, e in first["metrics"].items() if n not in names}
        arrows = {n: "↑" if first["metrics"][n]["higher_is_better"] else "↓" for n in names}
        lines.append(f"**{table}** — {first['frames']['generated']} generated frames per method, data `{Path(first['data']['path']).name}`")
        lines.append("")
        lines.append("| method | " + " | ".join(f"{n} {arrows[n]}" for n in names) + " | generation frames/s | total s |")
        lines.append("|---|" + "---|" * (len(names) + 2))
        for method, result in by_method.items():
            cells = []
            for n in names:
                v = result["metrics"][n]["value"]
                cells.append("—" if v is None else f"{v:.4g}")
            speed = result["generation_frames_per_second"]
            lines.append(f"| {method} | " + " | ".join(cells) + f" | {speed:.1f} | {result['seconds']['total']:.0f} |")
        if missing:
            lines.append("")
            lines.append("Not computed: " + "; ".join(f"`{n}` ({r})" for n, r in missing.items()))
        lines.append("")
    return "\n".join(lines)
