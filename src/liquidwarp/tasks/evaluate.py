"""Evaluation: run an imitation method through a protocol on a dataset and measure it.

Frames are generated at ``size`` x ``size`` in a fixed square view of each camera around every
position of its person (``person_view``), which is also how the ground truth is cropped. The
method sees the source photo, the source's body and the target bodies only; for real footage the
bodies are the fitted ones, for synthetic data the exact ones. Cross-imitation keeps the source
person where they stand (the motion's pose and turning, not its travel), so they stay in view.
Novel view: nothing in the source photo shows what another camera sees behind the person, so the
methods are given that camera's background plate (its frames' median where the person's mask
leaves the scene free) when the data has person masks (synthetic data); ``copy`` stays the
source photo.
"""

from __future__ import annotations

import platform
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch

from liquidwarp.body.model import BodyModel
from liquidwarp.data.evaluation import EvaluationData, check_evaluation_data, open_evaluation_data, person_view
from liquidwarp.errors import InputError
from liquidwarp.geometry.crops import crop_camera, crop_image
from liquidwarp.io.images import uint8_frames_to_unit, uint8_to_unit, unit_to_uint8
from liquidwarp.methods import METHODS
from liquidwarp.metrics.protocols import PROTOCOLS, FrameRef, Trial, make_trials
from liquidwarp.scene.views import PreparedSource, prepare_source
from liquidwarp.tasks.methods import build_method

RESULTS_FORMAT = "liquidwarp-evaluation"
RESULTS_VERSION = 1
#: Source frames per video when not given: self-imitation as the paper (several per video); novel
#: view takes more, since each source has only one target per other camera.
DEFAULT_SOURCES = {"self-imitation": 2, "cross-imitation": 1, "novel-view": 8}


@dataclass(frozen=True)
class EvaluationConfig:
    """What ``liquidwarp evaluate`` runs."""

    protocol: str  # one of PROTOCOLS
    method: str  # one of METHODS
    size: int = 256  # side of the generated and ground-truth frames (the paper: 256)
    max_frames: int | None = None  # use only the first N frames of every video
    sources_per_video: int | None = None  # source frames per video (None: DEFAULT_SOURCES)
    metrics: tuple[str, ...] | None = None  # metric names to compute (None: every registered one)
    checkpoint: str | None = None  # the lwg method's generator (None: the shipped model)
    personalize: int = 0  # lwg: fine-tune on each source for this many steps first (0: off)

    def resolved(self) -> EvaluationConfig:
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"unknown protocol {self.protocol!r}; available: {', '.join(PROTOCOLS)}")
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}; available: {', '.join(METHODS)}")
        if self.personalize and self.method != "lwg":
            raise ValueError("personalisation needs the lwg method")
        sources = self.sources_per_video if self.sources_per_video is not None else DEFAULT_SOURCES[self.protocol]
        return replace(self, sources_per_video=sources)


HEAD_CROP = 160  # pixels: head crops for the face identity metric (dlib finds faces of 40 px and up)

@dataclass
class Generated:
    """What a run produced, in generation order (uint8 (N, S, S, 3) arrays once stacked)."""

    frames: list[np.ndarray]
    truth: list[np.ndarray]  # paired protocols: the real frame for each generated one
    source_index: list[int]  # which of ``sources`` each frame was generated from
    sources: list[np.ndarray]  # the source photos (views)
    heads: list[np.ndarray]  # a head crop (HEAD_CROP^2) of each generated frame, where its body puts the head
    source_heads: list[np.ndarray]  # the same for each source
    real: list[np.ndarray]  # the set the generated frames are compared with as a whole


def head_crop(body: BodyModel, params, camera, image: np.ndarray) -> np.ndarray:
    """The head of the body ``params`` (B = 1) seen by ``camera`` (``head_boxes``), cut from
    ``image`` (S, S, 3) and resampled to HEAD_CROP pixels."""
    from liquidwarp.body.regions import head_boxes

    with torch.no_grad():
        keypoints = camera.project(body(params).keypoints)[..., :2]
    x0, y0, x1, _ = head_boxes(keypoints.float())[0].tolist()
    return crop_image(image, (x0, y0, x1 - x0), HEAD_CROP)


def _views(data: EvaluationData, body: BodyModel) -> dict[tuple[int, int], tuple[float, float, float]]:
    return {(s, v): person_view(body, subj, v) for s, subj in enumerate(data.subjects) for v in range(subj.views)}


def _prepare(body: BodyModel, data: EvaluationData, ref: FrameRef, crop: tuple[float, float, float], size: int) -> PreparedSource:
    subj = data.subjects[ref.subject]
    return prepare_source(body, subj.frame(ref.view, ref.frame), subj.params.index(ref.frame), subj.cameras.index(ref.view), crop, size)


def generate(
    body: BodyModel,
    data: EvaluationData,
    trials: list[Trial],
    method: str,
    size: int,
    progress: bool = True,
    save: Path | None = None,
    checkpoint: str | None = None,
    personalize=0,
    options=None,
) -> Generated:
    """Run ``method`` over ``trials``; optionally write every frame as a PNG (source | generated |
    ground truth) under ``save``. ``personalize`` (steps, or a
    :class:`~liquidwarp.training.personalize.PersonalizeConfig`) and ``options`` (the lwg
    method's :class:`~liquidwarp.methods.lwg.LwgOptions`) as in
    :func:`liquidwarp.tasks.methods.build_method`."""
    from tqdm import tqdm

    from liquidwarp.io.media import write_image
    from liquidwarp.tasks.imitate import target_params

    views = _views(data, body)
    out = Generated([], [], [], [], [], [], [])
    total = sum(len(t.targets) for t in trials)
    bar = tqdm(total=total, desc=f"evaluate {method}", unit="frame", disable=not progress)
    real_done: set[int] = set()
    plates: dict[tuple[int, int], torch.Tensor | None] = {}

    def plate(subject: int, view: int, crop: tuple[float, float, float]) -> torch.Tensor | None:
        if (subject, view) not in plates:
            image = data.subjects[subject].background_plate(view)
            plates[subject, view] = None if image is None else uint8_to_unit(crop_image(image, crop, size))
        return plates[subject, view]

    for trial in trials:
        src_ref = trial.source
        subj = data.subjects[src_ref.subject]
        source = _prepare(body, data, src_ref, views[(src_ref.subject, src_ref.view)], size)
        renderer = build_method(method, body, [source], checkpoint=checkpoint, personalize=personalize, progress=False, options=options)
        source_u8 = unit_to_uint8(source.image)
        out.sources.append(source_u8)
        out.source_heads.append(head_crop(body, source.params, source.camera, source_u8))
        if trial.paired:
            jobs = []
            for ref in trial.targets:
                crop = views[(ref.subject, ref.view)]
                camera = crop_camera(subj.cameras.index(ref.view), crop, size)
                backdrop = None
                if ref.view != src_ref.view:  # novel view: what the other camera sees behind the person
                    backdrop = plate(ref.subject, ref.view, crop)
                jobs.append((subj.params.index(ref.frame), camera, crop_image(subj.frame(ref.view, ref.frame), crop, size), backdrop))
        else:
            motion = data.subjects[trial.targets[0].subject]
            frames = torch.tensor([r.frame for r in trial.targets])
            bodies = target_params(source.params, motion.params.index(frames), in_place=True)
            jobs = [(bodies.index(i), source.camera, None, None) for i in range(len(trial.targets))]
            if src_ref.subject not in real_done:  # the source person's real frames, once per person
                real_done.add(src_ref.subject)
                crop = views[(src_ref.subject, 0)]
                out.real += [crop_image(subj.frame(0, int(t)), crop, size) for t in np.nonzero(subj.found)[0]]
        for ref, (target, camera, truth, backdrop) in zip(trial.targets, jobs, strict=True):
            frame = renderer.render(target, camera, backdrop)
            out.frames.append(frame)
            out.source_index.append(len(out.sources) - 1)
            out.heads.append(head_crop(body, target, camera, frame))
            if truth is not None:
                out.truth.append(truth)
            if save is not None:
                panels = [source_u8, frame] + ([truth] if truth is not None else [])
                name = f"{_safe(subj.name)}_f{src_ref.frame:04d}/{_safe(data.subjects[ref.subject].name)}_v{ref.view}_f{ref.frame:04d}.png"
                (save / name).parent.mkdir(parents=True, exist_ok=True)
                write_image(save / name, np.concatenate(panels, axis=1))
            bar.update(1)
    bar.close()
    if trials and trials[0].paired:
        out.real = out.truth
    return out


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def _to_tensor(frames: list[np.ndarray]) -> torch.Tensor:
    return uint8_frames_to_unit(np.stack(frames))


def measure(generated: Generated, names: tuple[str, ...] | None, paired: bool, progress: bool = True) -> dict[str, dict]:
    """Every metric by name: ``{"value": float | None, "reason": str | None, ...}``; a metric whose
    network or package is missing, or that does not apply to the protocol, is ``None`` with the
    reason."""
    from liquidwarp.metrics.registry import METRICS, metric_status

    names = tuple(METRICS) if names is None else names
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        raise ValueError(f"unknown metrics {', '.join(unknown)}; available: {', '.join(METRICS)}")
    from tqdm import tqdm

    results: dict[str, dict] = {}
    gen = _to_tensor(generated.frames)
    embedded: dict[tuple[object, str], np.ndarray] = {}  # (feature network builder, "generated"/"real") -> (N, D)

    def features(metric, which: str) -> np.ndarray:
        from liquidwarp.metrics.registry import extract_features

        key = (metric.features, which)
        if key not in embedded:
            embedded[key] = extract_features(metric.features(), gen if which == "generated" else _to_tensor(generated.real))
        return embedded[key]

    bar = tqdm(names, desc="metrics", unit="metric", disable=not progress)
    for name in bar:
        bar.set_postfix_str(name)
        metric = METRICS[name]
        entry = {"value": None, "reason": None, "higher_is_better": metric.higher_is_better, "kind": metric.kind}
        results[name] = entry
        available, reason = metric_status(name)
        if not available:
            entry["reason"] = reason
            continue
        if metric.kind == "paired" and not paired:
            entry["reason"] = "needs ground truth frames; this protocol has none (cross-imitation is measured on sets)"
            continue
        if metric.kind == "set" and len(generated.real) < 2:
            entry["reason"] = "needs at least 2 real frames to compare with"
            continue
        start = time.perf_counter()
        if metric.kind == "paired":
            values = metric.compute(gen, _to_tensor(generated.truth))
            entry["value"] = float(values.mean())
            entry["count"] = int(values.numel())
        elif metric.kind == "set":
            if metric.from_features is not None:
                entry["value"] = float(metric.from_features(features(metric, "generated"), features(metric, "real")))
            else:
                entry["value"] = float(metric.compute(gen, _to_tensor(generated.real)))
            entry["count"] = [len(generated.frames), len(generated.real)]
        elif metric.kind == "generated":
            if metric.from_features is not None:
                entry["value"] = float(metric.from_features(features(metric, "generated")))
            else:
                entry["value"] = float(metric.compute(gen))
            entry["count"] = len(generated.frames)
        else:  # identity: the head of each generated frame against its source's head
            index = np.asarray(generated.source_index)
            values = torch.full((len(index),), float("nan"))
            for k, head in enumerate(generated.source_heads):
                mine = np.nonzero(index == k)[0]
                values[mine] = metric.compute(_to_tensor([generated.heads[i] for i in mine]), _to_tensor([head]))
            found = ~torch.isnan(values)
            entry["count"] = int(found.sum())
            entry["frames"] = len(index)
            if found.any():
                entry["value"] = float(values[found].mean())
            else:
                entry["reason"] = "no face found in the generated frames"
        entry["seconds"] = round(time.perf_counter() - start, 2)
    return results


def evaluate(
    data_path: Path, config: EvaluationConfig, body: BodyModel | None = None, save_frames: Path | None = None, progress: bool = True, options=None
) -> dict:
    """Run ``config`` on the data at ``data_path``; the returned dict is what ``results.json`` holds.
    ``options``: the lwg method's :class:`~liquidwarp.methods.lwg.LwgOptions` (default: the tasks')."""
    start = time.perf_counter()
    config = config.resolved()
    check_evaluation_data(Path(data_path), config.protocol, config.max_frames)
    body = body if body is not None else BodyModel()
    data = open_evaluation_data(Path(data_path), body, config.max_frames, progress)
    opened = time.perf_counter()
    found = [s.found for s in data.subjects]
    views = [s.views for s in data.subjects]
    if config.protocol == "novel-view" and max(views) < 2:
        raise InputError(f"{data_path}: novel view needs several cameras per subject (e.g. `liquidwarp synth --views 4`); this data has one")
    if config.protocol == "cross-imitation" and len(data.subjects) < 2:
        raise InputError(f"{data_path}: cross-imitation needs two or more videos; this data has one")
    trials = make_trials(config.protocol, found, views, config.sources_per_video)
    if not trials:
        raise InputError(f"{data_path}: no frames to evaluate on (no person found)")
    generated = generate(body, data, trials, config.method, config.size, progress, save_frames, config.checkpoint, config.personalize, options)
    produced = time.perf_counter()
    metrics = measure(generated, config.metrics, trials[0].paired, progress)
    done = time.perf_counter()
    return {
        "format": RESULTS_FORMAT,
        "version": RESULTS_VERSION,
        "protocol": config.protocol,
        "method": config.method,
        "config": asdict(config),
        "data": {
            "path": str(data_path),
            "kind": data.kind,
            "subjects": [s.name for s in data.subjects],
            "exact_bodies": all(s.exact for s in data.subjects),
        },
        "frames": {
            "sources": len(trials),
            "generated": len(generated.frames),
            "ground_truth": len(generated.truth),
            "real_set": len(generated.real),
        },
        "metrics": metrics,
        "seconds": {
            "total": round(done - start, 2),
            "data": round(opened - start, 2),
            "generation": round(produced - opened, 2),
            "metrics": round(done - produced, 2),
        },
        "generation_frames_per_second": round(len(generated.frames) / max(produced - opened, 1e-9), 2),
        "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(), "threads": torch.get_num_threads()},
    }
