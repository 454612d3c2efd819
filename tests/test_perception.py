import numpy as np
import pytest

from liquidwarp.errors import InputError
from liquidwarp.io.media import iter_video_frames
from liquidwarp.perception import (
    LANDMARK_INDEX,
    LANDMARK_NAMES,
    MediaPipePose,
    PersonChoice,
    PersonObservation,
    heavy_model_available,
    load_observations,
    missing_body_parts,
    observe_video,
    people_among,
    save_observations,
)
from liquidwarp.perception.observation import in_image

from samples import LAB, OUTDOOR, SAMPLES, needs_samples  # noqa: E402,F401


def xy(obs, name):
    return obs.landmarks_2d[LANDMARK_INDEX[name]]


def y_of(obs, *names):
    return float(np.mean([xy(obs, n)[1] for n in names]))


@pytest.fixture(scope="module")
def pose():
    with MediaPipePose(video=False) as estimator:
        yield estimator


@pytest.fixture(scope="module")
def lab_frame():
    return next(iter_video_frames(LAB))


@pytest.fixture(scope="module")
def lab_observation(pose, lab_frame):
    # Frame 0 shows the man on the treadmill and, half hidden at the left edge, a woman watching.
    obs = pose.observe(lab_frame)
    assert pose.choice is not None and pose.choice.people == 2
    return obs


def test_landmark_names_follow_mediapipe():
    from mediapipe.python.solutions.pose import PoseLandmark

    assert len(LANDMARK_NAMES) == 33
    assert LANDMARK_NAMES == tuple(p.name.lower() for p in PoseLandmark)
    assert LANDMARK_NAMES[:3] == ("nose", "left_eye_inner", "left_eye") and LANDMARK_NAMES[-1] == "right_foot_index"


@needs_samples
def test_lab_frame_finds_the_man_upright_and_whole(lab_observation, lab_frame):
    obs = lab_observation
    assert obs is not None and obs.image_size == (1920, 1080) and obs.mask.shape == (1920, 1080)
    # The man, not the woman at the left edge (x < 140): he stands around x 250..570 (checked by eye).
    x0, y0, x1, y1 = obs.bbox
    assert 200 < x0 < 300 and 520 < x1 < 620 and 280 < y0 < 380 and 1100 < y1 < 1220
    # Upright: nose above shoulders above hips above knees above ankles (image y points down).
    ys = [y_of(obs, "nose"), y_of(obs, "left_shoulder", "right_shoulder"), y_of(obs, "left_hip", "right_hip")]
    ys += [y_of(obs, "left_knee", "right_knee"), y_of(obs, "left_ankle", "right_ankle")]
    assert ys == sorted(ys) and ys[-1] - ys[0] > 500
    # Facing the camera: his left hip is on the image's right.
    assert xy(obs, "left_hip")[0] > xy(obs, "right_hip")[0]
    assert in_image(obs.landmarks_2d, obs.image_size).all()
    assert (obs.visibility > 0.5).all() and obs.score > 0.9 and missing_body_parts(obs) == []
    # The mask: a soft person mask whose box holds the landmarks.
    assert obs.mask.dtype == np.float32 and 0.0 <= obs.mask.min() and obs.mask.max() <= 1.0
    area = float((obs.mask > 0.5).mean())
    assert 0.03 < area < 0.40
    pad = 0.05 * (y1 - y0)
    inside = (obs.landmarks_2d[:, 0] > x0 - pad) & (obs.landmarks_2d[:, 0] < x1 + pad)
    inside &= (obs.landmarks_2d[:, 1] > y0 - pad) & (obs.landmarks_2d[:, 1] < y1 + pad)
    assert inside.mean() > 0.9
    # The mask belongs to him: his hip midpoint is on it, the woman's region (x < 140) is not.
    hx, hy = (xy(obs, "left_hip") + xy(obs, "right_hip")) / 2
    assert obs.mask[int(hy), int(hx)] > 0.5
    assert obs.mask[:, :140].max() < 0.5


@needs_samples
def test_world_landmarks_are_hip_centred_metres_x_right_y_down_z_away(lab_observation):
    world = lab_observation.landmarks_3d
    hips = (world[LANDMARK_INDEX["left_hip"]] + world[LANDMARK_INDEX["right_hip"]]) / 2
    assert np.abs(hips).max() < 0.02
    nose = world[LANDMARK_INDEX["nose"]]
    ankle_y = (world[LANDMARK_INDEX["left_ankle"], 1] + world[LANDMARK_INDEX["right_ankle"], 1]) / 2
    assert nose[1] < -0.3 and ankle_y > 0.5  # y down, in metres (an adult: about 0.5 m hip to nose)
    assert 1.2 < ankle_y - nose[1] < 2.0
    assert world[LANDMARK_INDEX["left_hip"], 0] > world[LANDMARK_INDEX["right_hip"], 0]  # x right, as in the image
    assert nose[2] < 0  # he faces the camera: his nose is nearer than his hips


@needs_samples
def test_landmarks_are_in_original_image_pixels(pose, lab_frame, lab_observation):
    # The same frame inside a larger grey canvas: landmarks move by the offset, not with the size.
    dx, dy = 150, 90
    canvas = np.full((1920 + 2 * dy, 1080 + 2 * dx, 3), 128, np.uint8)
    canvas[dy : dy + 1920, dx : dx + 1080] = lab_frame
    with MediaPipePose(find_others=False) as single:
        shifted = single.observe(canvas)
    assert shifted is not None and shifted.image_size == canvas.shape[:2]
    error = np.linalg.norm(shifted.landmarks_2d - (lab_observation.landmarks_2d + [dx, dy]), axis=1)
    assert np.median(error) < 6.0  # pixels; the body is ~800 px tall


@needs_samples
def test_square_crops_map_back_to_the_full_image(pose, lab_frame, lab_observation):
    # The crop path used when the chosen person is not mediapipe's: a 1000 px square around the man.
    found = pose._run_on_square(pose._static_model(), lab_frame, (-90, 250, 1000))
    assert found is not None
    error = np.linalg.norm(found.landmarks_2d - lab_observation.landmarks_2d, axis=1)
    assert np.median(error) < 8.0
    overlap = ((found.mask > 0.5) & (lab_observation.mask > 0.5)).sum() / ((found.mask > 0.5) | (lab_observation.mask > 0.5)).sum()
    assert overlap > 0.85


def test_blank_image_has_nobody(pose):
    assert pose.observe(np.full((480, 640, 3), 128, np.uint8)) is None
    assert pose.choice is None


def test_observe_rejects_non_images(pose):
    with pytest.raises(ValueError, match="uint8"):
        pose.observe(np.zeros((64, 64, 3), np.float32))
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        pose.observe(np.zeros((64, 64), np.uint8))


@pytest.fixture(scope="module")
def outdoor_frames():
    """Frames 120..130 of the outdoor video."""
    return list(iter_video_frames(OUTDOOR, max_frames=131))[120:]


@needs_samples
def test_several_people_choose_the_walking_woman(pose, outdoor_frames):
    # Frame 120: the woman walks through the middle (x ~720..950, y ~515..930 of 1768 x 994),
    # the man stands on the utility box behind her (x ~640..770, y ~90..460); checked by eye.
    frame = outdoor_frames[0]
    obs = pose.observe(frame)
    assert obs is not None
    choice = pose.choice
    assert choice.people == 2 and choice.missing == () and choice.overlapping == 0 and not choice.picked
    assert 780 < choice.point[0] < 900 and 650 < choice.point[1] < 800
    x0, y0, x1, y1 = obs.bbox
    assert 680 < x0 < 760 and 900 < x1 < 1000 and 480 < y0 < 560 and 880 < y1 < 960
    cx, cy = obs.landmarks_2d[obs.visibility > 0.5].mean(axis=0)
    assert 720 < cx < 950 and 520 < cy < 930
    assert obs.mask[90:460, 640:770].max() < 0.5  # the man is not in her mask
    assert y_of(obs, "nose") < y_of(obs, "left_hip", "right_hip") < y_of(obs, "left_ankle", "right_ankle")


@needs_samples
def test_a_crowd_is_said_to_overlap(pose, outdoor_frames):
    # Frame 120 with the walking woman pasted again (her own mask) 45 % of her width to the right:
    # two women, one in front of the other. Whoever is used, the overlap is said.
    frame = outdoor_frames[0]
    woman = pose.observe(frame)
    body = woman.mask > 0.5
    xs = np.flatnonzero(body.any(axis=0))
    shift = int(0.45 * (xs[-1] - xs[0]))
    crowd = frame.copy()
    moved = np.zeros_like(body)
    moved[:, shift:] = body[:, :-shift]
    crowd[moved] = frame[:, :-shift][body[:, :-shift]]
    assert pose.observe(crowd) is not None
    choice = pose.choice
    assert choice.people >= 3 and choice.overlapping >= 1, choice
    assert 700 < choice.point[0] < 1100 and choice.point[1] > 500  # one of the women, not the man on the box


@needs_samples
def test_half_body_photo_misses_knees_and_ankles(pose, lab_frame):
    # Cut at his mid-thigh, the woman at the left edge (x < 140) painted grey: she is whole in the
    # top 45 % of the frame, and a full body is chosen before a bigger half body.
    top = lab_frame[: int(0.45 * 1920)].copy()
    top[:, :150] = 128
    obs = pose.observe(top)
    assert obs is not None
    missing = missing_body_parts(obs)
    assert "knees" in missing and "ankles" in missing
    assert "head" not in missing and "shoulders" not in missing and "hips" not in missing
    knees = obs.landmarks_2d[[LANDMARK_INDEX["left_knee"], LANDMARK_INDEX["right_knee"]]]
    assert (knees[:, 1] > top.shape[0]).all()  # predicted below the cut, so not visible


@needs_samples
def test_observe_video_tracks_and_tells_once(capsys):
    observations = observe_video(LAB, max_frames=6, progress=False)
    err = capsys.readouterr().err
    assert err.count("liquidwarp: lab_throw_cam01.mp4: 2 people in view; following the one at") == 1, err
    assert "Warning" not in err
    assert len(observations) == 6 and all(o is not None for o in observations)
    hips = np.array([(xy(o, "left_hip") + xy(o, "right_hip")) / 2 for o in observations])
    assert np.linalg.norm(np.diff(hips, axis=0), axis=1).max() < 30  # 1/60 s apart: small steps
    assert all(300 < h[0] < 550 for h in hips)  # always the man


@needs_samples
def test_video_mode_keeps_the_chosen_person(outdoor_frames):
    # The woman is chosen on the first frame and followed while she walks left (about 8 px per
    # frame), though mediapipe's own tracker may prefer the man on the box.
    observations = observe_video(outdoor_frames, progress=False, report=False)
    assert len(observations) == 11 and all(o is not None for o in observations)
    hips = np.array([(xy(o, "left_hip") + xy(o, "right_hip")) / 2 for o in observations])
    assert (hips[:, 1] > 650).all()  # on the ground, not on the box (the man's hips are at y < 300)
    assert 40 < hips[0, 0] - hips[-1, 0] < 160 and (np.abs(np.diff(hips[:, 0])) < 25).all()


@needs_samples
def test_observations_round_trip(tmp_path, lab_observation):
    path = tmp_path / "obs.npz"
    save_observations(path, [lab_observation, None, lab_observation])
    loaded = load_observations(path)
    assert loaded[1] is None and len(loaded) == 3
    for got in (loaded[0], loaded[2]):
        for name in ("landmarks_2d", "visibility", "landmarks_3d"):
            np.testing.assert_array_equal(getattr(got, name), getattr(lab_observation, name))
        assert np.abs(got.mask - lab_observation.mask).max() <= 0.5 / 255 + 1e-6
        assert got.mask.dtype == np.float32
        assert got.bbox == lab_observation.bbox and got.score == pytest.approx(lab_observation.score)
        assert got.image_size == lab_observation.image_size
    assert path.stat().st_size < 200_000  # uint8 masks, compressed
    assert [p.name for p in tmp_path.iterdir()] == ["obs.npz"]


def test_observations_file_errors(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_observations(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_text("junk")
    with pytest.raises(InputError, match="junk.npz: "):
        load_observations(tmp_path / "junk.npz")
    np.savez(tmp_path / "future.npz", format_version=np.array(99), present=np.zeros(0, bool))
    with pytest.raises(InputError, match="format version 99"):
        load_observations(tmp_path / "future.npz")
    np.savez(tmp_path / "partial.npz", format_version=np.array(1), present=np.ones(1, bool))
    with pytest.raises(InputError, match="incomplete"):
        load_observations(tmp_path / "partial.npz")
    save_observations(tmp_path / "empty.npz", [None, None])
    assert load_observations(tmp_path / "empty.npz") == [None, None]


def test_observation_checks_shapes():
    good = dict(
        landmarks_2d=np.zeros((33, 2), np.float32),
        visibility=np.zeros(33, np.float32),
        landmarks_3d=np.zeros((33, 3), np.float32),
        mask=np.zeros((4, 5), np.float32),
        image_size=(4, 5),
        bbox=(0.0, 0.0, 1.0, 1.0),
        score=0.5,
    )
    PersonObservation(**good)
    wrong = {"landmarks_2d": np.zeros((17, 2), np.float32), "mask": np.zeros((5, 4), np.float32), "visibility": np.zeros(33)}
    for name, bad in wrong.items():
        with pytest.raises(ValueError, match=name):
            PersonObservation(**{**good, name: bad})
    with pytest.raises(ValueError, match="score"):
        PersonObservation(**{**good, "score": 1.5})


def test_missing_body_parts_counts_one_side_as_enough():
    visibility = np.zeros(33, np.float32)
    for name in ("nose", "left_shoulder", "right_hip", "left_knee"):
        visibility[LANDMARK_INDEX[name]] = 0.9
    zeros = np.zeros
    obs = PersonObservation(zeros((33, 2), np.float32), visibility, zeros((33, 3), np.float32), zeros((4, 4), np.float32), (4, 4), (0, 0, 1, 1), 0.5)
    assert missing_body_parts(obs) == ["ankles"]
    assert missing_body_parts(obs, min_visibility=0.95) == ["head", "shoulders", "hips", "knees", "ankles"]


@pytest.mark.skipif(heavy_model_available(), reason="the heavy model is installed here")
def test_heavy_model_is_never_downloaded():
    with pytest.raises(InputError, match="@mediapipe/pose"):
        MediaPipePose(heavy=True)


@needs_samples
def test_main_person_of_a_clip_is_the_thrower_not_the_bystander():
    from liquidwarp.io.media import iter_video_frames
    from liquidwarp.perception.mediapipe_pose import main_person

    frames = list(iter_video_frames(LAB, max_frames=40))
    with MediaPipePose(video=False) as pose:
        choice = main_person(pose, frames, samples=3)
    x0, y0, x1, y1 = choice.box
    assert choice.frame == 0 and choice.people == 2 and choice.image_size == (1920, 1080)
    assert 150 < (x0 + x1) / 2 < 700 and y1 - y0 > 600  # the man in the middle, not the woman at x < 140


# ------------------------------------------------------------------ choosing among people (no model)


def detections(people):
    """The observations behind ``people``, for comparing by identity."""
    return [id(p.detection) for p in people]


def stick_person(image_size, x, top, height):
    """A hand-made observation: someone standing at column ``x``, head at row ``top``, ``height``
    pixels tall; landmarks below the image are not visible (as the adapter marks them), the mask is
    the body's rectangle inside the image."""
    from liquidwarp.perception.mediapipe_pose import _observation

    rows = {"nose": 0.06, "eye": 0.05, "ear": 0.06, "mouth": 0.09, "shoulder": 0.2, "elbow": 0.35, "wrist": 0.48,
            "pinky": 0.52, "index": 0.52, "thumb": 0.51, "hip": 0.52, "knee": 0.73, "ankle": 0.94, "heel": 0.96, "foot": 0.98}  # fmt: skip
    points = np.zeros((33, 2), np.float32)
    for i, name in enumerate(LANDMARK_NAMES):
        part = next(key for key in rows if key in name)
        side = 1 if name.startswith("left") else -1 if name.startswith("right") else 0
        points[i] = (x + side * 0.1 * height, top + rows[part] * height)
    h, w = image_size
    mask = np.zeros((h, w), np.float32)
    mask[max(top, 0) : min(top + height, h), max(round(x - 0.15 * height), 0) : min(round(x + 0.15 * height), w)] = 1.0
    return _observation(points, np.ones(33, np.float32), np.zeros((33, 3), np.float32), mask)


def test_a_full_body_beats_a_bigger_half_body():
    size = (400, 600)
    big_half = stick_person(size, 430, 60, 600)  # legs below the image: knees and ankles not visible
    small_full = stick_person(size, 150, 150, 200)
    assert missing_body_parts(big_half) == ["knees", "ankles"] and missing_body_parts(small_full) == []
    for found in ([big_half, small_full], [small_full, big_half]):
        people, _ = people_among(found, size)
        assert detections(people) == [id(small_full), id(big_half)]
        assert people[0].full_body and people[1].missing == ("knees", "ankles")
        assert people[1].area > 3 * people[0].area  # the half body is much bigger, and still loses


def test_between_full_bodies_the_larger_wins_then_the_more_central():
    size = (400, 600)
    larger, smaller = stick_person(size, 180, 50, 300), stick_person(size, 420, 125, 150)  # both 120 px off centre
    for found in ([larger, smaller], [smaller, larger]):
        people, _ = people_among(found, size)
        assert detections(people) == [id(larger), id(smaller)]
    central, off = stick_person(size, 300, 50, 300), stick_person(size, 520, 50, 300)  # the same size
    people, _ = people_among([off, central], size)
    assert detections(people) == [id(central), id(off)]


def test_people_in_a_crowd_are_each_counted_and_marked_overlapping():
    # Two people side by side, their masks one blob: both count, each overlaps the other.
    size = (400, 600)
    front, behind = stick_person(size, 300, 50, 300), stick_person(size, 330, 70, 280)
    people, labels = people_among([front, behind], size)
    assert labels.max() == 1  # one mask component
    assert detections(people) == [id(front), id(behind)]
    assert [p.overlapping for p in people] == [1, 1]
    apart, _ = people_among([front, stick_person(size, 520, 70, 280)], size)
    assert [p.overlapping for p in apart] == [0, 0]


def test_the_choice_is_said_in_one_plain_line():
    choice = PersonChoice(people=2, box=(600.0, 110.0, 680.0, 710.0), frame=0, image_size=(1000, 1500))
    assert choice.describe("photo.jpg", False, "--person") == (
        "photo.jpg: 2 people in view; using the one at x 640, y 410 (full body, 60 % of the image height); "
        "pick another with --person X,Y"
    )
    crowd = PersonChoice(3, (600.0, 110.0, 680.0, 710.0), 12, (1000, 1500), ("knees", "ankles"), 1, False)
    assert crowd.describe("clip.mp4", True, "--reference-person") == (
        "clip.mp4: 3 people in view; following the one at x 640, y 410 of frame 12 (half body: knees, ankles not "
        "visible, 60 % of the image height, overlapping another person, so the fit may mix them: check the overlay); "
        "pick another with --reference-person FRAME:X,Y"
    )
    assert PersonChoice.from_dict(crowd.to_dict()) == crowd
