import numpy as np
import pytest

from liquidwarp.metrics.protocols import FrameRef, cross_imitation, make_trials, novel_view, self_imitation, source_frames


def test_source_frames_spread_evenly_over_found_frames():
    found = np.ones(100, bool)
    assert source_frames(found, 2) == [0, 50]
    assert source_frames(found, 4) == [0, 25, 50, 75]
    found[:10] = False  # the person appears at frame 10
    assert source_frames(found, 2) == [10, 55]
    assert source_frames(np.array([False, True, False]), 5) == [1]
    assert source_frames(np.zeros(5, bool), 2) == []


def test_self_imitation_targets_every_other_found_frame_of_the_same_video():
    found = [np.ones(10, bool), np.array([True, False, True, True])]
    trials = self_imitation(found, 2)
    assert [t.source for t in trials] == [FrameRef(0, 0, 0), FrameRef(0, 0, 5), FrameRef(1, 0, 0), FrameRef(1, 0, 2)]
    assert [r.frame for r in trials[1].targets] == [0, 1, 2, 3, 4, 6, 7, 8, 9]
    assert [r.frame for r in trials[3].targets] == [0, 3]  # frame 1 has nobody; frame 2 is the source
    assert all(t.paired and all(r.subject == t.source.subject for r in t.targets) for t in trials)


def test_cross_imitation_pairs_every_ordered_pair_of_videos():
    found = [np.ones(3, bool), np.array([False, True, True, True]), np.ones(2, bool)]
    trials = cross_imitation(found)
    pairs = [(t.source.subject, t.targets[0].subject) for t in trials]
    assert pairs == [(0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1)]
    assert trials[2].source == FrameRef(1, 0, 1)  # first found frame of video 1
    assert [r.frame for r in trials[0].targets] == [1, 2, 3] and not trials[0].paired


def test_novel_view_compares_the_same_frame_from_the_other_cameras():
    trials = novel_view([np.ones(6, bool), np.ones(6, bool)], views=[3, 1], sources_per_video=2)
    assert len(trials) == 2  # the one-camera subject has no novel view
    assert trials[1].source == FrameRef(0, 0, 3)
    assert trials[1].targets == (FrameRef(0, 1, 3), FrameRef(0, 2, 3))


def test_unknown_protocol_is_refused():
    with pytest.raises(ValueError, match="self-imitation"):
        make_trials("mirror", [np.ones(2, bool)], [1], 1)
