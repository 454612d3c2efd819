"""Long videos in bounded memory, and the per-frame fit cache, on a small synthetic clip.

Perception and fitting are replaced by stand-ins (a person read off each frame's brightness, a
"fit" that copies it into the parameters), so that what is tested is the plumbing: which frames
are decoded when, which are perceived and fitted, and what the cache reuses.
"""

import types
import weakref

import cv2
import numpy as np
import pytest
import torch

from liquidwarp.body.model import BodyParams
from liquidwarp.fitting import recover as rec
from liquidwarp.io import media
from liquidwarp.perception.observation import NUM_LANDMARKS, PersonChoice, PersonObservation

FRAMES, SIDE = 40, 64


def level(t: int) -> int:
    """The grey level of frame ``t`` of the clip."""
    return 20 + 5 * t


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """40 frames of 64 x 64, frame t a flat grey of level(t)."""
    path = tmp_path_factory.mktemp("clip") / "grey.mp4"
    with media.VideoWriter(path, fps=25, crf=0) as writer:
        for t in range(FRAMES):
            writer.write(np.full((SIDE, SIDE, 3), level(t), np.uint8))
    return path


def seen_in(image: np.ndarray) -> PersonObservation:
    """A stand-in observation: a box-shaped person whose landmarks' x is the image's mean level."""
    x = float(image.mean())
    mask = np.zeros((SIDE, SIDE), np.float32)
    mask[8:56, 24:40] = 1.0
    points = np.stack([np.full(NUM_LANDMARKS, x), np.linspace(10, 54, NUM_LANDMARKS)], 1).astype(np.float32)
    return PersonObservation(
        points, np.ones(NUM_LANDMARKS, np.float32), np.zeros((NUM_LANDMARKS, 3), np.float32), mask, (SIDE, SIDE), (24.0, 8.0, 40.0, 56.0), 1.0
    )


class Events:
    def __init__(self):
        self.log: list[tuple[str, int]] = []  # ("decode", n-th frame decoded) and ("observe", level seen)
        self.alive = self.peak = 0
        self.fitted: list[int] = []  # batch size of every chunk fitted
        self.previous: list[BodyParams | None] = []


@pytest.fixture
def events(monkeypatch, tmp_path):
    """Stand-ins for perception and fitting, and a count of the decoded frames alive at once: each
    frame made by the decoder's colour conversion is tracked until it (and every view of it) is
    collected."""
    monkeypatch.setenv("LIQUIDWARP_CACHE_DIR", str(tmp_path / "cache"))
    ev = Events()

    class Tracked(np.ndarray):
        pass

    def died():
        ev.alive -= 1

    def convert(image, code, *args):
        out = cv2.cvtColor(image, code, *args)
        if code != cv2.COLOR_BGR2RGB:
            return out
        tracked = out.view(Tracked)
        ev.alive += 1
        ev.peak = max(ev.peak, ev.alive)
        ev.log.append(("decode", sum(1 for kind, _ in ev.log if kind == "decode")))
        weakref.finalize(tracked, died)
        return tracked

    proxy = types.SimpleNamespace(**{name: getattr(cv2, name) for name in dir(cv2) if not name.startswith("__")})
    proxy.cvtColor = convert
    monkeypatch.setattr(media, "cv2", proxy)

    class FakePose:
        def __init__(self, video=False, **kwargs):
            self.choice = None

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

        def observe(self, image):
            found = seen_in(image)
            ev.log.append(("observe", round(float(image.mean()))))
            return found

        def follow(self, box):
            pass

        def follow_person(self, observation):
            pass

    def main_person(pose, frames, samples=8):
        return PersonChoice(people=1, box=(24.0, 8.0, 40.0, 56.0), frame=0, image_size=(SIDE, SIDE))

    def fit_chunk(body, targets, config, previous, alone=False):
        n = targets.batch_size
        ev.fitted.append(n)
        ev.previous.append(previous)
        x = targets.keypoints_2d[:, 0, 0]
        return BodyParams.rest(n).replace(root_translation=torch.stack([x, torch.zeros(n), torch.zeros(n)], 1))

    from liquidwarp.perception import mediapipe_pose

    monkeypatch.setattr(mediapipe_pose, "MediaPipePose", FakePose)
    monkeypatch.setattr(mediapipe_pose, "main_person", main_person)
    monkeypatch.setattr(rec, "fit_chunk", fit_chunk)
    monkeypatch.setattr(rec, "fit_offsets", lambda body, params, camera, targets: torch.zeros(7))
    return ev


def observed(ev: Events) -> list[int]:
    return [value for kind, value in ev.log if kind == "observe"]


def test_a_video_is_decoded_a_window_at_a_time_while_it_is_perceived(clip, events):
    recovery = rec.recover(clip, None, require_full_body=False, progress=False)
    assert recovery.sequence.frames == FRAMES and recovery.sequence.found.all()
    decoded = [i for i, (kind, _) in enumerate(events.log) if kind == "decode"]
    first_observed = next(i for i, (kind, _) in enumerate(events.log) if kind == "observe")
    assert len(decoded) == FRAMES  # each frame once (tracking goes forwards from frame 0)
    assert first_observed < decoded[-1]  # perception starts before the last frame is decoded
    assert events.peak <= media.VideoFrames(clip).window  # never more than the window alive
    # and the frames reached perception in order, each the frame it should be
    assert np.abs(np.array(observed(events)) - [level(t) for t in range(FRAMES)]).max() <= 1


def test_video_frames_in_any_order_match_a_plain_decode(clip):
    truth = list(media.iter_video_frames(clip))
    frames = media.VideoFrames(clip, window=4)
    assert len(frames) == FRAMES and frames.shape == (FRAMES, SIDE, SIDE, 3)
    for t in [0, 1, 2, 30, 39, 38, 12, 11, 10, 9, 8, 5, 0]:  # forwards, a jump, backwards
        assert np.array_equal(frames[t], truth[t]), t
        assert len(frames._held) <= 4
    assert np.array_equal(frames[3:6], np.stack(truth[3:6]))
    assert len(media.VideoFrames(clip, max_frames=7)) == 7
    with pytest.raises(IndexError):
        frames[FRAMES]


def test_the_cache_keeps_frames_so_a_shorter_request_fits_nothing_and_a_longer_one_only_the_rest(clip, events):
    six = rec.recover(clip, None, max_frames=6, require_full_body=False, progress=False)
    assert sum(events.fitted) == 6 and len(observed(events)) == 6 and not six.cached
    assert (six.fitted_frames, six.perceived_frames) == (6, 6)
    x6 = six.sequence.params.root_translation[:, 0]
    assert np.abs(x6.numpy() - [level(t) for t in range(6)]).max() <= 1  # each frame fitted to its own frame

    six.cache_dir.mkdir(parents=True, exist_ok=True)
    (six.cache_dir / "quality.json").write_text("{}")  # what `fit` keeps per length

    events.fitted.clear(), events.log.clear()
    three = rec.recover(clip, None, max_frames=3, require_full_body=False, progress=False)
    assert events.fitted == [] and observed(events) == [] and three.cached  # nothing perceived or fitted
    assert (six.cache_dir / "quality.json").is_file()  # the offsets were not refitted: kept
    assert (three.fitted_frames, three.perceived_frames) == (0, 0)
    assert three.sequence.frames == 3 and torch.equal(three.sequence.params.root_translation, six.sequence.params.root_translation[:3])

    events.fitted.clear(), events.log.clear(), events.previous.clear()
    eight = rec.recover(clip, None, max_frames=8, require_full_body=False, progress=False)
    assert events.fitted == [2] and len(observed(events)) == 2 and not eight.cached  # frames 6 and 7 only
    assert (eight.fitted_frames, eight.perceived_frames) == (2, 2)  # what fit --json's rates divide by
    assert not six.cache_dir.exists()  # the offsets were refitted on frames 0-7: the 6-frame results went
    assert abs(float(events.previous[0].root_translation[-1, 0]) - level(5)) <= 1  # continued from frame 5
    x8 = eight.sequence.params.root_translation[:, 0]
    assert torch.equal(x8[:6], x6) and np.abs(x8[6:].numpy() - [level(6), level(7)]).max() <= 1
    assert len(eight.observations) == 8 and eight.observations[7] is not None


def test_without_the_cache_the_per_frame_files_go_when_the_recovery_goes(clip, events):
    import gc

    recovery = rec.recover(clip, None, max_frames=4, require_full_body=False, progress=False, use_cache=False)
    folder = recovery.observations.folder
    assert recovery.cache_dir is None and folder.is_dir() and recovery.observations[3] is not None
    del recovery
    gc.collect()
    assert not folder.parent.exists()  # the run's folder, fit and all
