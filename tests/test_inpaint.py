"""Hole completion and static-camera backgrounds (liquidwarp.warping.inpaint) on tiny images
with known answers."""

import numpy as np
import pytest

from liquidwarp.warping.inpaint import background_from_frames, clean_plate, dilate_hole, inpaint


def person_hole(height: int, width: int) -> np.ndarray:
    """A rough person: an ellipse of a head over a torso and two legs."""
    y, x = np.mgrid[:height, :width]
    cx = width / 2
    head = ((y - 0.22 * height) / (0.08 * height)) ** 2 + ((x - cx) / (0.07 * width)) ** 2 <= 1
    torso = (abs(x - cx) <= 0.17 * width) & (y >= 0.3 * height) & (y <= 0.6 * height)
    legs = (abs(abs(x - cx) - 0.08 * width) <= 0.06 * width) & (y > 0.6 * height) & (y <= 0.88 * height)
    return head | torso | legs


def stripes(height: int, width: int) -> np.ndarray:
    """Vertical stripes of period 8 in three colours: a texture a patch fill can continue exactly
    and a smooth fill cannot."""
    period = np.array([[200, 30, 30]] * 3 + [[30, 200, 60]] * 3 + [[20, 40, 220]] * 2, np.uint8)
    return np.broadcast_to(period[np.arange(width) % 8][None], (height, width, 3)).copy()


def checkerboard(height: int, width: int) -> np.ndarray:
    y, x = np.mgrid[:height, :width]
    on = ((y // 6) + (x // 6)) % 2 == 1
    image = np.where(on[..., None], np.uint8([230, 220, 40]), np.uint8([40, 60, 120]))
    return image.astype(np.uint8)


def hole_error(result: np.ndarray, truth: np.ndarray, hole: np.ndarray) -> float:
    return float(np.abs(result[hole].astype(np.float64) - truth[hole]).mean())


@pytest.mark.parametrize("method", ["telea", "patch"])
def test_pixels_outside_the_hole_are_unchanged(method):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (48, 40, 3), dtype=np.uint8)
    hole = person_hole(48, 40)
    out = inpaint(image, hole, method)
    assert out.dtype == np.uint8 and out.shape == image.shape
    assert np.array_equal(out[~hole], image[~hole])
    assert not np.array_equal(out[hole], image[hole])  # the hole's (random) content was replaced


@pytest.mark.parametrize("texture", [stripes, checkerboard])
def test_a_hole_in_a_periodic_texture_is_completed_nearly_exactly_by_patch(texture):
    image = texture(96, 96)
    hole = person_hole(96, 96)
    assert 0.15 < hole.mean() < 0.35
    holed = image.copy()
    holed[hole] = 0  # the hole's content must not leak into the result
    result = inpaint(holed, hole, "patch")
    patch = hole_error(result, image, hole)
    telea = hole_error(inpaint(holed, hole, "telea"), image, hole)
    exact = np.all(np.abs(result[hole].astype(int) - image[hole]) <= 2, axis=1).mean()
    assert exact > 0.95, exact  # all but a seam or two of wrong phase
    assert patch < 8.0, patch
    assert telea > 20.0, telea  # the smooth fill cannot continue the pattern
    assert patch < 0.1 * telea


def test_patch_is_deterministic():
    image = checkerboard(40, 48)
    image[::7] = 90  # break the period so that matches are not all tied
    hole = person_hole(40, 48)
    assert np.array_equal(inpaint(image, hole, "patch", seed=3), inpaint(image, hole, "patch", seed=3))


@pytest.mark.parametrize("method, smooth_sigma", [("telea", 0.0), ("patch", 0.0), ("patch", 1 / 64), ("fill_photo", 1 / 64)])
def test_a_constant_image_is_filled_with_the_constant(method, smooth_sigma):
    from liquidwarp.warping.inpaint import PHOTO_SMOOTH, fill_photo

    image = np.full((40, 56, 3), (17, 130, 250), np.uint8)
    hole = person_hole(40, 56)
    image[hole] = 0
    if method == "fill_photo":  # the pipeline's single-photo fill: the patch fill over Telea's low frequencies
        assert PHOTO_SMOOTH == smooth_sigma
        out, method = fill_photo(image, hole), "patch"
    else:
        out = inpaint(image, hole, method, smooth_sigma=smooth_sigma)
    error = np.abs(out.astype(int) - (17, 130, 250))
    # OpenCV's fast marching adds a gradient term that its rounding turns into a few levels.
    exact = method == "patch" and smooth_sigma == 0  # the blend takes Telea's low frequencies
    assert error.max() == 0 if exact else error.max() <= 4 and error.mean() < 0.5


def test_a_hole_that_touches_the_border_and_trivial_holes():
    image = stripes(32, 40)
    hole = np.zeros((32, 40), bool)
    assert np.array_equal(inpaint(image, hole), image)  # nothing to fill
    hole[20:, 10:22] = True  # open at the bottom edge
    assert hole_error(inpaint(image, hole), image, hole) < 2.0
    assert np.all(inpaint(image, np.ones((32, 40), bool)) == 128)  # nothing known


def test_dilate_hole_grows_by_the_radius():
    hole = np.zeros((21, 21), bool)
    hole[10, 10] = True
    grown = dilate_hole(hole, 3)
    assert grown.sum() > 20 and grown[10, 7] and grown[13, 10] and not grown[10, 6]
    assert np.array_equal(dilate_hole(hole, 0), hole)


def test_background_from_frames_recovers_a_static_background_where_some_frame_shows_it():
    rng = np.random.default_rng(1)
    background = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    count = 5
    person = np.zeros((count, 24, 32), bool)
    frames = np.repeat(background[None], count, axis=0)
    for t in range(count):  # a person-sized block walks left to right, on top of the background
        person[t, 4:20, 3 + 5 * t : 11 + 5 * t] = True
        frames[t][person[t]] = rng.integers(0, 256, (person[t].sum(), 3), dtype=np.uint8)
    person[:, 10:14, 12:16] = True  # hidden in every frame
    frames[:, 10:14, 12:16] = 7
    estimate, seen = background_from_frames(frames, person)
    assert np.array_equal(seen, ~person.all(axis=0))
    assert not seen[10:14, 12:16].any() and seen.sum() == 24 * 32 - 16
    assert np.array_equal(estimate[seen], background[seen])
    assert np.all(estimate[~seen] == 0)


def test_background_from_frames_takes_the_median_and_a_subsample():
    frames = np.zeros((4, 2, 3, 3), np.uint8)
    frames[:, 0, 0, 0] = [10, 20, 200, 21]
    person = np.zeros((4, 2, 3), bool)
    person[3, 0, 0] = True  # the 21 is a person
    estimate, seen = background_from_frames(frames, person)
    assert estimate[0, 0, 0] == 20 and seen.all()
    estimate, _ = background_from_frames(frames, person, indices=[0, 1])
    assert estimate[0, 0, 0] == 15  # even count: the mean of the middle two
    estimate, _ = background_from_frames(frames, person, indices=[1, 3])
    assert estimate[0, 0, 0] == 20  # frame 3 does not show this pixel


@pytest.mark.parametrize("method", ["telea", "patch"])
def test_clean_plate_uses_other_frames_then_inpaints_what_none_shows(method):
    background = stripes(32, 48)
    count = 3
    frames = np.repeat(background[None], count, axis=0)
    person = np.zeros((count, 32, 48), bool)
    person[0, 6:26, 4:14] = True
    person[1, 6:26, 20:30] = True
    person[2, 6:26, 8:24] = True  # overlaps both: columns 8..13 and 20..23 are hidden everywhere
    for t in range(count):
        frames[t][person[t]] = 255
    plate = clean_plate(frames, person, 2, method)
    assert np.array_equal(plate[~person[2]], frames[2][~person[2]])
    from_frames = person[2] & ~(person[0] & person[1])
    assert np.array_equal(plate[from_frames], background[from_frames])
    rest = person[2] & person[0] | person[2] & person[1]
    assert rest.any() and not np.array_equal(plate[rest], frames[2][rest])
    if method == "patch":
        assert hole_error(plate, background, person[2]) < 2.0


def test_bad_inputs_raise_value_error():
    image = np.zeros((16, 16, 3), np.uint8)
    hole = np.zeros((16, 16), bool)
    with pytest.raises(ValueError):
        inpaint(image.astype(np.float32), hole)
    with pytest.raises(ValueError):
        inpaint(image[..., :2], hole)
    with pytest.raises(ValueError):
        inpaint(image, hole.astype(np.uint8))
    with pytest.raises(ValueError):
        inpaint(image, hole[:8])
    with pytest.raises(ValueError):
        inpaint(image, hole, "median")
    with pytest.raises(ValueError):
        inpaint(image, hole, patch_size=4)
    with pytest.raises(ValueError):
        inpaint(image, hole, smooth_sigma=-1.0)
    frames = np.zeros((3, 16, 16, 3), np.uint8)
    person = np.zeros((3, 16, 16), bool)
    with pytest.raises(ValueError):
        background_from_frames(frames[0], person[0])
    with pytest.raises(ValueError):
        background_from_frames(frames, person[:2])
    with pytest.raises(ValueError):
        background_from_frames(frames.astype(np.int16), person)
    with pytest.raises(ValueError):
        background_from_frames(frames, person, indices=[0, 3])
    with pytest.raises(ValueError):
        clean_plate(frames, person, 3)
    with pytest.raises(ValueError):
        dilate_hole(hole.astype(np.uint8), 2)


def test_bench_places_the_hole_beside_frame_b_person_inside_the_frame():
    from liquidwarp.bench.inpaint import SIZE, _place, _view_mask

    height, width = 300, 900
    person_a = np.zeros((height, width), bool)
    person_a[60:240, 400:460] = True
    person_b = np.zeros((height, width), bool)
    person_b[50:250, 380:520] = True  # where the hole would land unshifted
    placed = _place(person_a, person_b)
    x0, y0, side = placed["view"]
    assert 0 <= x0 and x0 + side <= width and 0 <= y0 and y0 + side <= height
    assert placed["view_scale"] == 1.0 and placed["shift_px"] != 0
    assert placed["hole"].shape == (SIZE, SIZE) and 0.05 < placed["hole"].mean() < 0.5
    assert not (placed["hole"] & _view_mask(person_b, placed["view"])).any()


def test_bench_metrics_known_answers():
    from liquidwarp.bench.inpaint import _metrics

    truth = checkerboard(32, 32)
    hole = np.zeros((32, 32), bool)
    hole[8:20, 10:22] = True
    same = _metrics(truth, truth, hole)
    assert same["mae"] == 0 and same["ssim"] == pytest.approx(1.0) and same["psnr"] > 100
    off = truth.copy()
    off[hole] = np.clip(off[hole].astype(int) + 10, 0, 255).astype(np.uint8)
    assert _metrics(off, truth, hole)["mae"] == pytest.approx(10.0)


def test_bench_inpaint_cli_rejects_bad_options_before_measuring(tmp_path, capsys):
    from liquidwarp.cli.main import main

    assert main(["bench", "inpaint", "--sheet", str(tmp_path / "sheet.jpg")]) == 2
    assert main(["bench", "inpaint", "--samples", str(tmp_path / "nowhere")]) == 2
    assert main(["bench", "inpaint", "--json", str(tmp_path / "no" / "x.json")]) == 2
    assert capsys.readouterr().err.count("liquidwarp: error:") == 3
