"""``liquidwarp bench inpaint``: filling a person-shaped hole in a real background, against the truth.

The pipeline removes the source person from a ~256-pixel view around them and fills the hole
(``methods.classic.inpainted_background``, ``warping.inpaint.fill_photo``). The truth under a real person is unknown, so a real
person's shape is moved onto background whose truth is known:

- **Hole.** MediaPipe's person mask (threshold 0.5) in frame A of a video, in the pipeline's view
  of that person (a square of ``VIEW_MARGIN`` x the person's bounding-box side around them),
  resized to ``SIZE`` pixels and grown by ``HOLE_DILATION`` x ``SIZE`` as the pipeline does.
- **Truth.** Frame B of the same video (the person elsewhere), in a square view shifted sideways
  from A's until the hole misses B's own (grown) person mask. Where no sideways shift at A's scale
  fits (the lab video: the man takes two thirds of the 1080-pixel width), the view is shrunk by
  steps of 0.8 until one does, and ``view_scale`` says by how much: the hole keeps its place and
  share of the view, the background is seen closer than in the pipeline.
- **Frame B's own person** (grown alike), where the view shows them, is filled too, as the
  pipeline removes every person pixel: no method may copy them; it is not scored.
- **skimage.** Natural images bundled with scikit-image (centre square, resized to ``SIZE``) with
  the first lab hole.

Methods: ``telea`` (OpenCV), ``patch`` (``warping.inpaint``), ``patch_smooth`` (the same with
the low frequencies from Telea, ``smooth_sigma=PHOTO_SMOOTH``: ``warping.inpaint.fill_photo``,
what the pipeline uses for a single photo), and for the lab video
(static camera) ``frames``: ``clean_plate`` from the other sampled frames (their person masks
grown alike), ``patch`` for what none of them shows (``seen`` gives the share they show).

Metrics, on the hole only: ``mae`` (mean absolute error, 0-255, over pixels and channels),
``psnr`` (dB, from the mean squared error over the hole's pixels and channels), ``ssim``
(skimage's structural similarity on the hole's bounding box, colour, data range 255), ``vgg19``
(the evaluation suite's ``vgg19_perceptual`` on the hole's bounding box: pixel errors favour a
blur, this one does not), ``seconds``
(one call, after a warm-up call that compiles numba). ``timing`` adds one 512x512 case and one
full-resolution lab frame (1080x1920) with its own person, grown by 3 % of its width.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

import cv2
import numpy as np

from liquidwarp.errors import InputError
from liquidwarp.io.images import uint8_to_unit
from liquidwarp.tasks.framing import VIEW_MARGIN
from liquidwarp.warping.inpaint import HOLE_DILATION, PHOTO_SMOOTH, clean_plate, dilate_hole, inpaint

SAMPLES = Path(__file__).resolve().parents[3] / ".." / "shared" / "samples"
SIZE = 256  # side of the view the pipeline fills, pixels
LAB_STEP = 5  # every 5th lab frame is sampled (20 of 100): the frames' background uses them
LAB_PAIRS = ((0, 60), (45, 15), (90, 35))  # (frame A: hole, frame B: truth), frame numbers
OUTDOOR_PAIRS = ((120, 150), (140, 100))  # frames where MediaPipe's main person is the walker
SKIMAGE = ("coffee", "chelsea", "rocket", "brick", "grass", "gravel")  # scikit-image's bundled images
SHEET_CASES = ("lab 0->60", "outdoor 120->150", "coffee", "brick")
METHODS = {  # name -> inpaint() arguments
    "telea": {"method": "telea"},
    "patch": {"method": "patch"},
    "patch_smooth": {"method": "patch", "smooth_sigma": PHOTO_SMOOTH},  # low frequencies from Telea: the pipeline's single-photo fill
}


def run(samples: Path | None = None, progress: bool = True) -> dict:
    """All cases, their metrics per method, the means per group and the timings (see the module
    docstring); ``_images`` holds each case's hole, fills and truth for :func:`contact_sheet`."""
    from tqdm import tqdm

    from liquidwarp.io.media import iter_video_frames

    samples = Path(samples) if samples is not None else SAMPLES.resolve()
    lab_path, outdoor_path = samples / "lab_throw_cam01.mp4", samples / "outdoor_walk.mp4"
    for path in (lab_path, outdoor_path):
        if not path.is_file():
            raise InputError(f"{path}: missing (the benchmark reads the sample videos of ../shared/samples)")
    _warm_up()

    lab = np.stack(list(iter_video_frames(lab_path, step=LAB_STEP)))
    lab_numbers = [LAB_STEP * i for i in range(len(lab))]
    lab_person = _person_masks(lab, progress, "lab masks")
    wanted = sorted({n for pair in OUTDOOR_PAIRS for n in pair})
    outdoor = {}
    for number, frame in enumerate(iter_video_frames(outdoor_path, max_frames=wanted[-1] + 1)):
        if number in wanted:
            outdoor[number] = frame
    outdoor_person = dict(zip(wanted, _person_masks(np.stack([outdoor[n] for n in wanted]), progress, "outdoor masks")))

    cases, images = [], {}
    bar = tqdm(total=len(LAB_PAIRS) + len(OUTDOOR_PAIRS) + len(SKIMAGE), desc="inpaint cases", disable=not progress)
    first_hole = None
    for a, b in LAB_PAIRS:
        ia, ib = lab_numbers.index(a), lab_numbers.index(b)
        placed = _place(lab_person[ia], lab_person[ib])
        first_hole = placed["hole"] if first_hole is None else first_hole
        truth = _view(lab[ib], placed["view"])
        others = [i for i in range(len(lab)) if i != ib]
        # The other sampled frames seen through the same view, their people grown as the hole is.
        stack = np.stack([truth] + [_view(lab[i], placed["view"]) for i in others])
        grow = int(round(HOLE_DILATION * SIZE))
        person = np.stack(
            [placed["hole"] | placed["person"]] + [dilate_hole(_view_mask(lab_person[i], placed["view"]), grow) for i in others]
        )  # fmt: skip
        name = f"lab {a}->{b}"
        case, fills = _measure(name, "lab", truth, placed)
        start = time.perf_counter()
        fills["frames"] = clean_plate(stack, person, 0, "patch")
        seconds = time.perf_counter() - start
        case["frames"] = _metrics(fills["frames"], truth, placed["hole"]) | {"seconds": seconds}
        case["frames_seen"] = float(1 - (person[1:].all(axis=0) & placed["hole"]).sum() / placed["hole"].sum())
        cases.append(case)
        images[name] = (truth, placed["hole"], placed["person"], fills)
        bar.update(1)
    for a, b in OUTDOOR_PAIRS:
        placed = _place(outdoor_person[a], outdoor_person[b])
        truth = _view(outdoor[b], placed["view"])
        name = f"outdoor {a}->{b}"
        case, fills = _measure(name, "outdoor", truth, placed)
        cases.append(case)
        images[name] = (truth, placed["hole"], placed["person"], fills)
        bar.update(1)
    for name in SKIMAGE:
        truth = _skimage(name)
        placed = {"hole": first_hole, "person": np.zeros_like(first_hole), "view": None, "view_scale": None, "shift_px": None}
        case, fills = _measure(name, "skimage", truth, placed)
        cases.append(case)
        images[name] = (truth, first_hole, placed["person"], fills)
        bar.update(1)
    bar.close()

    return {
        "machine": {
            "platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(), "load_average_1min_at_end": os.getloadavg()[0],  # timings are slower on a busy machine
        },  # fmt: skip
        "size": SIZE,
        "cases": cases,
        "means": _means(cases),
        "timing": _timing(lab[0], lab_person[0]),
        "_images": images,
    }


def contact_sheet(results: dict, path: Path, names: tuple[str, ...] = SHEET_CASES) -> None:
    """A PNG, one column per case, rows: the hole (magenta; frame B's own person, filled too but
    not scored, cyan), telea, patch, patch_smooth, the truth."""
    columns = []
    for name in names:
        truth, hole, person, fills = results["_images"][name]
        shown = truth.copy()
        shown[person] = (0, 255, 255)
        shown[hole] = (255, 0, 255)
        column = [shown, fills["telea"], fills["patch"], fills["patch_smooth"], truth]
        labels = ("hole: " + name, "telea", "patch", "patch_smooth", "truth")
        columns.append(np.concatenate([_label(tile, text) for tile, text in zip(column, labels, strict=True)]))
    sheet = np.concatenate(columns, axis=1)
    if not cv2.imwrite(str(path), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR)):
        raise OSError(f"{path}: could not write the contact sheet")


def public(results: dict) -> dict:
    """The results without the images (what goes into the JSON file)."""
    return {k: v for k, v in results.items() if not k.startswith("_")}


def markdown(results: dict) -> str:
    """The means per group as a Markdown table."""
    rows = ["| images | method | MAE (0-255) ↓ | PSNR dB ↑ | SSIM (hole box) ↑ | VGG19 (hole box) ↓ | s / image |", "|---|---|---:|---:|---:|---:|---:|"]
    for group, methods in results["means"].items():
        for method, m in methods.items():
            rows.append(f"| {group} | {method} | {m['mae']:.2f} | {m['psnr']:.2f} | {m['ssim']:.3f} | {m['vgg19']:.2f} | {m['seconds']:.3f} |")
    return "\n".join(rows)


# ----------------------------------------------------------------------------------------------


def _warm_up() -> None:
    """numba compiles (or loads its cache) here, not inside a timed call."""
    image = np.zeros((48, 48, 3), np.uint8)
    image[:, ::3] = 200
    hole = np.zeros((48, 48), bool)
    hole[10:30, 15:30] = True
    inpaint(image, hole, "patch")
    clean_plate(np.stack([image, image]), np.stack([hole, np.zeros_like(hole)]), 0)


def _person_masks(frames: np.ndarray, progress: bool, desc: str) -> np.ndarray:
    """(T, H, W) bool: MediaPipe's main person, still-image mode, mask > 0.5 (empty where none)."""
    from tqdm import tqdm

    from liquidwarp.perception.mediapipe_pose import MediaPipePose

    masks = np.zeros(frames.shape[:3], bool)
    with MediaPipePose(video=False) as pose:
        for t in tqdm(range(len(frames)), desc=desc, disable=not progress):
            found = pose.observe(frames[t])
            if found is not None:
                masks[t] = found.mask > 0.5
    return masks


def _view(image: np.ndarray, view: tuple[int, int, int]) -> np.ndarray:
    """The square (x0, y0, side) of an (H, W, 3) image, resized to SIZE (area averaging); the
    view lies inside the image."""
    x0, y0, side = view
    return cv2.resize(image[y0 : y0 + side, x0 : x0 + side], (SIZE, SIZE), interpolation=cv2.INTER_AREA)


def _view_mask(mask: np.ndarray, view: tuple[int, int, int]) -> np.ndarray:
    """The square (x0, y0, side) of an (H, W) bool mask, resized to SIZE; outside the image False."""
    x0, y0, side = view
    height, width = mask.shape
    padded = np.zeros((side, side), np.uint8)
    ys, xs = slice(max(y0, 0), min(y0 + side, height)), slice(max(x0, 0), min(x0 + side, width))
    padded[ys.start - y0 : ys.stop - y0, xs.start - x0 : xs.stop - x0] = mask[ys, xs]
    return cv2.resize(padded, (SIZE, SIZE), interpolation=cv2.INTER_NEAREST).astype(bool)


def _place(person_a: np.ndarray, person_b: np.ndarray) -> dict:
    """The hole (A's person in A's view, grown) and the view of frame B it is placed in: at A's
    height, shifted sideways as little as possible so the hole misses B's grown person; at A's
    scale if any such view fits in the frame, else shrunk by 0.8 until one does."""
    height, width = person_a.shape
    ys, xs = np.nonzero(person_a)
    if ys.size == 0:
        raise RuntimeError("no person found in the hole's frame")
    side_a = int(round(VIEW_MARGIN * max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1)))
    cx, cy = (xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2
    view_a = (int(round(cx - side_a / 2)), int(round(cy - side_a / 2)), side_a)
    grow = int(round(HOLE_DILATION * SIZE))
    hole = dilate_hole(_view_mask(person_a, view_a), grow)
    scale = 1.0
    while scale > 0.1:
        side = int(round(scale * side_a))
        if side <= min(height, width):
            y0 = int(np.clip(round(cy - side / 2), 0, height - side))
            x_a = int(round(cx - side / 2))
            for x0 in sorted(range(0, width - side + 1, 8), key=lambda x: (abs(x - x_a), x)):
                other = dilate_hole(_view_mask(person_b, (x0, y0, side)), grow)
                if not (other & hole).any():
                    return {"hole": hole, "person": other, "view": (x0, y0, side), "view_scale": round(scale, 3), "shift_px": x0 - x_a}
        scale *= 0.8
    raise RuntimeError("no sideways view of frame B misses its person")


def _skimage(name: str) -> np.ndarray:
    import skimage.data

    image = getattr(skimage.data, name)()
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    height, width = image.shape[:2]
    side = min(height, width)
    y0, x0 = (height - side) // 2, (width - side) // 2
    return cv2.resize(np.ascontiguousarray(image[y0 : y0 + side, x0 : x0 + side, :3]), (SIZE, SIZE), interpolation=cv2.INTER_AREA)


def _measure(name: str, group: str, truth: np.ndarray, placed: dict) -> tuple[dict, dict]:
    hole = placed["hole"]
    fill = hole | placed["person"]  # frame B's own person is filled too, as the pipeline would
    holed = truth.copy()
    holed[fill] = 0  # nothing of the truth may leak into a fill
    case = {
        "name": name, "group": group, "hole_fraction": float(hole.mean()),
        "view": None if placed["view"] is None else [int(v) for v in placed["view"]],
        "view_scale": placed["view_scale"], "shift_px": placed["shift_px"],
    }  # fmt: skip
    fills = {}
    for method, arguments in METHODS.items():
        start = time.perf_counter()
        fills[method] = inpaint(holed, fill, **arguments)
        seconds = time.perf_counter() - start
        case[method] = _metrics(fills[method], truth, hole) | {"seconds": seconds}
    return case, fills


def _metrics(result: np.ndarray, truth: np.ndarray, hole: np.ndarray) -> dict:
    from skimage.metrics import structural_similarity

    error = result[hole].astype(np.float64) - truth[hole]
    mse = float(np.mean(error**2))
    ys, xs = np.nonzero(hole)
    box = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
    ssim = structural_similarity(result[box], truth[box], channel_axis=2, data_range=255)
    return {
        "vgg19": _vgg19(result[box], truth[box]),
        "mae": float(np.mean(np.abs(error))),
        "psnr": float(10 * np.log10(255**2 / max(mse, 1e-10))),
        "ssim": float(ssim),
    }


def _vgg19(result: np.ndarray, truth: np.ndarray) -> float:
    """The project's perceptual distance (``metrics.registry.vgg19_perceptual``) of two crops."""
    import torch

    from liquidwarp.metrics.registry import vgg19_perceptual

    # VGG19 pools 4 times before relu5_1: a crop under 32 pixels is padded (alike in both) to 32.
    pad = [(0, max(32 - result.shape[0], 0)), (0, max(32 - result.shape[1], 0)), (0, 0)]

    def tensor(image: np.ndarray) -> torch.Tensor:
        image = np.pad(image, pad, mode="edge")
        return uint8_to_unit(image)

    with torch.no_grad():
        return float(vgg19_perceptual(tensor(result), tensor(truth))[0])


def _means(cases: list[dict]) -> dict:
    groups = {}
    for group in ("lab", "outdoor", "skimage", "all"):
        chosen = [c for c in cases if group in ("all", c["group"])]
        methods = [m for m in (*METHODS, "frames") if all(m in c for c in chosen)]
        groups[group] = {
            m: {k: float(np.mean([c[m][k] for c in chosen])) for k in ("mae", "psnr", "ssim", "vgg19", "seconds")} for m in methods
        }
    return groups


def _timing(frame: np.ndarray, person: np.ndarray) -> dict:
    """Seconds per call at 512x512 (the coffee image with the lab hole scaled up) and at full
    resolution (a lab frame with its own person, grown by 3 % of the width)."""
    import skimage.data

    from liquidwarp.warping.inpaint import telea_radius

    out = {}
    coffee = skimage.data.coffee()
    side = min(coffee.shape[:2])
    big = cv2.resize(coffee[:side, (coffee.shape[1] - side) // 2 :][:, :side], (512, 512), interpolation=cv2.INTER_AREA)
    hole = dilate_hole(cv2.resize(person.astype(np.uint8)[400:1400, 40:1040], (512, 512), interpolation=cv2.INTER_NEAREST).astype(bool), 15)
    full_hole = dilate_hole(person, int(round(HOLE_DILATION * min(person.shape))))
    for label, image, mask in (("512x512", big, hole), (f"{frame.shape[0]}x{frame.shape[1]}", frame, full_hole)):
        entry = {"hole_fraction": float(mask.mean()), "telea_radius": telea_radius(*mask.shape)}
        for method in ("telea", "patch"):
            start = time.perf_counter()
            inpaint(image, mask, method)
            entry[f"{method}_seconds"] = time.perf_counter() - start
        out[label] = entry
    return out


def _label(tile: np.ndarray, text: str) -> np.ndarray:
    tile = tile.copy()
    cv2.putText(tile, text, (5, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(tile, text, (5, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
    return tile
