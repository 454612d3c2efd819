import subprocess

import cv2
import numpy as np
import pytest

from liquidwarp.errors import InputError, OutputError
from liquidwarp.io.media import (
    VideoWriter,
    ffmpeg_exe,
    is_image_path,
    is_video_path,
    iter_video_frames,
    probe_video,
    read_image,
    write_image,
)

from samples import LAB, OUTDOOR, SAMPLES, needs_samples  # noqa: E402,F401


def ffmpeg(*args):
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *map(str, args)], check=True, stdin=subprocess.DEVNULL)


def colour_bars(height, width, t):
    """(H, W, 3) uint8: eight 8-pixel-wide colour bars moving right by 2 pixels per frame.

    Edges stay on even columns: yuv420p stores one colour per 2x2 block, so a saturated colour
    edge on an odd column cannot survive any H.264 file that players open (measured error ~12).
    """
    palette = np.array([[255, 255, 255], [255, 255, 0], [0, 255, 255], [0, 255, 0], [255, 0, 255], [255, 0, 0], [0, 0, 255], [0, 0, 0]], np.uint8)
    columns = ((np.arange(width) - 2 * t) // 8) % len(palette)
    frame = np.broadcast_to(palette[columns][None], (height, width, 3)).copy()
    frame[: height // 4] = 128  # a grey band on top
    return frame


def read_all_bgr(path):
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS)
    frames = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(bgr)
    cap.release()
    return frames, fps


def test_extensions():
    assert is_video_path("a/b.MP4") and is_video_path("x.webm") and is_video_path("x.m4v")
    assert not is_video_path("x.jpg") and not is_video_path("mp4")
    assert is_image_path("x.JPEG") and is_image_path("x.webp") and not is_image_path("x.gif")


@needs_samples
def test_probe_real_videos():
    lab = probe_video(LAB)
    # Stored portrait (1080 wide, 1920 high) without rotation metadata.
    assert (lab.frames, lab.fps, lab.width, lab.height, lab.has_audio) == (100, 60.0, 1080, 1920, False)
    outdoor = probe_video(OUTDOOR)
    assert (outdoor.frames, outdoor.fps, outdoor.width, outdoor.height, outdoor.has_audio) == (230, 30.0, 1768, 994, True)


@needs_samples
def test_iterate_real_video_with_max_frames_and_step():
    frames = list(iter_video_frames(LAB, max_frames=5))
    assert len(frames) == 5
    assert all(f.shape == (1920, 1080, 3) and f.dtype == np.uint8 for f in frames)
    stepped = list(iter_video_frames(LAB, max_frames=3, step=2))
    assert len(stepped) == 3
    for got, expected in zip(stepped, frames[::2]):
        np.testing.assert_array_equal(got, expected)
    # RGB, not BGR: the same frame through OpenCV directly, channels reversed.
    cap = cv2.VideoCapture(str(LAB))
    _, bgr = cap.read()
    cap.release()
    np.testing.assert_array_equal(frames[0], bgr[..., ::-1])
    assert len(list(iter_video_frames(LAB, step=30))) == 4  # frames 0, 30, 60, 90


def test_rotation_metadata_is_applied(tmp_path):
    plain, rotated = tmp_path / "plain.mp4", tmp_path / "rotated.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-frames:v", "3", "-c:v", "libx264", "-pix_fmt", "yuv420p", plain)
    # Same stream, plus a display matrix "rotate 90 degrees counter-clockwise" (as phones write).
    ffmpeg("-display_rotation", "90", "-i", plain, "-c", "copy", rotated)
    info = probe_video(rotated)
    assert (info.width, info.height, info.frames) == (48, 64, 3)
    upright = next(iter_video_frames(plain))
    turned = next(iter_video_frames(rotated))
    assert turned.shape == (64, 48, 3)
    np.testing.assert_array_equal(turned, np.rot90(upright, k=1))  # k=1: counter-clockwise


@pytest.mark.parametrize("container", ["webm", "mkv"])
def test_frame_count_of_containers_without_an_index_is_decoded(tmp_path, container):
    path = tmp_path / f"clip.{container}"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48:rate=30", "-frames:v", "7", "-c:v", "libvpx-vp9", path)
    info = probe_video(path)
    assert (info.frames, info.fps, info.width, info.height) == (7, 30.0, 64, 48)
    assert len(list(iter_video_frames(path))) == 7


@pytest.mark.parametrize("height, width", [(48, 64), (49, 65)])
def test_writer_round_trip(tmp_path, height, width):
    path = tmp_path / "bars.mp4"
    written = [colour_bars(height, width, t) for t in range(10)]
    with VideoWriter(path, fps=25) as writer:
        for frame in written:
            writer.write(frame)
    assert writer.frames_written == 10
    assert [p.name for p in tmp_path.iterdir()] == ["bars.mp4"]  # no temporary file left

    frames, fps = read_all_bgr(path)
    assert len(frames) == 10 and fps == 25.0
    padded = (height + height % 2, width + width % 2)
    assert all(f.shape == (*padded, 3) for f in frames)
    for got_bgr, expected in zip(frames, written):
        got = got_bgr[:height, :width, ::-1].astype(np.float64)
        assert np.abs(got - expected).mean() < 6
    if padded != (height, width):  # the padding is black (in luma: chroma is shared with the last row/column)
        grey = cv2.cvtColor(frames[0], cv2.COLOR_BGR2GRAY)
        assert grey[height:].max() < 40 and grey[:, width:].max() < 40  # bars reach 255

    info = probe_video(path)
    assert (info.frames, info.width, info.height, info.has_audio) == (10, padded[1], padded[0], False)
    codec = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    assert "h264" in codec and "yuv420p" in codec


def test_writer_muxes_audio(tmp_path):
    with_audio = tmp_path / "with_audio.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "color=c=red:size=32x32:rate=10:duration=2",
        "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", with_audio,
    )  # fmt: skip
    assert probe_video(with_audio).has_audio
    out = tmp_path / "out.mp4"
    with VideoWriter(out, fps=10, audio_from=with_audio) as writer:
        for t in range(10):
            writer.write(colour_bars(32, 32, t))
    info = probe_video(out)
    assert info.has_audio and info.frames == 10

    silent_source = tmp_path / "silent.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=blue:size=32x32:rate=10:duration=1", "-c:v", "libx264", "-pix_fmt", "yuv420p", silent_source)
    out2 = tmp_path / "out2.mp4"
    with VideoWriter(out2, fps=10, audio_from=silent_source) as writer:
        writer.write(colour_bars(32, 32, 0))
    assert not probe_video(out2).has_audio


def test_writer_leaves_nothing_on_error_or_without_frames(tmp_path):
    path = tmp_path / "out.mp4"
    with pytest.raises(KeyError):
        with VideoWriter(path, fps=10) as writer:
            writer.write(colour_bars(16, 16, 0))
            raise KeyError("boom")
    with pytest.raises(ValueError, match="no frames"):
        with VideoWriter(path, fps=10):
            pass
    with pytest.raises(ValueError, match="frame size changed"):
        with VideoWriter(path, fps=10) as writer:
            writer.write(colour_bars(16, 16, 0))
            writer.write(colour_bars(16, 18, 0))
    with pytest.raises(ValueError, match="uint8"):
        with VideoWriter(path, fps=10) as writer:
            writer.write(colour_bars(16, 16, 0).astype(np.float32))
    assert list(tmp_path.iterdir()) == []


def test_image_round_trip_is_exact_and_atomic(tmp_path):
    rgb = colour_bars(20, 30, 1)
    rgb[5, 7] = (1, 2, 3)  # catches RGB/BGR swaps
    path = tmp_path / "x.png"
    write_image(path, rgb)
    np.testing.assert_array_equal(read_image(path), rgb)
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]
    with pytest.raises(InputError, match="unsupported image extension"):
        write_image(tmp_path / "x.gif", rgb)


def bad_inputs(tmp_path):
    (tmp_path / "text.mp4").write_text("not a video\n")
    (tmp_path / "text.jpg").write_text("not an image\n")
    (tmp_path / "empty.mp4").write_bytes(b"")
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "folder.mp4").mkdir()
    (tmp_path / "folder.jpg").mkdir()
    return {
        "missing": ("missing.mp4", "missing.jpg", "not found"),
        "text": ("text.mp4", "text.jpg", "not a readable"),
        "empty": ("empty.mp4", "empty.png", "empty"),
        "folder": ("folder.mp4", "folder.jpg", "folder"),
    }


@pytest.mark.parametrize("case", ["missing", "text", "empty", "folder"])
def test_bad_inputs_raise_one_line_input_errors(tmp_path, case):
    video, image, problem = bad_inputs(tmp_path)[case]
    for call, name in [(probe_video, video), (iter_video_frames, video), (read_image, image), (read_image, video)]:
        path = tmp_path / name
        with pytest.raises(InputError) as info:
            call(path)
        message = str(info.value)
        assert message.startswith(f"{path}: ") and "\n" not in message
        if call is not read_image or name == image:
            assert problem in message


def test_video_without_a_video_stream_is_an_input_error(tmp_path):
    audio_only = tmp_path / "audio.mp4"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=0.5", "-c:a", "aac", audio_only)
    with pytest.raises(InputError, match="audio.mp4: "):
        probe_video(audio_only)


def test_writer_checks_its_output_location(tmp_path):
    with pytest.raises(InputError, match="does not exist") as info:
        VideoWriter(tmp_path / "missing" / "out.mp4", fps=10)
    assert str(tmp_path / "missing" / "out.mp4") in str(info.value)
    with pytest.raises(InputError, match=r"\.mp4"):
        VideoWriter(tmp_path / "out.avi", fps=10)
    with pytest.raises(InputError, match="not found"):
        VideoWriter(tmp_path / "out.mp4", fps=10, audio_from=tmp_path / "nope.mp4")
    with pytest.raises(InputError, match="does not exist"):
        write_image(tmp_path / "missing" / "x.png", colour_bars(4, 4, 0))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("reads_frames", [True, False])
def test_ffmpeg_failure_is_reported_with_its_stderr(tmp_path, monkeypatch, reads_frames):
    fake = tmp_path / "fake_ffmpeg.sh"
    consume = "cat > /dev/null\n" if reads_frames else ""
    fake.write_text(f"#!/bin/sh\n{consume}echo 'line one' >&2\necho 'Error: synthetic failure' >&2\nexit 1\n")
    fake.chmod(0o755)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    monkeypatch.setattr("liquidwarp.io.media.ffmpeg_exe", lambda: str(fake))
    with pytest.raises(OutputError, match="synthetic failure") as info:
        with VideoWriter(out_dir / "out.mp4", fps=10) as writer:
            for t in range(50):  # enough bytes to fill the pipe when nobody reads it
                writer.write(colour_bars(256, 256, t))
    # one line naming the output, ffmpeg's last words, and not the user's fault (exit status 1)
    assert str(info.value) == f"{out_dir / 'out.mp4'}: could not be written (ffmpeg failed, exit status 1: Error: synthetic failure)"
    assert not info.value.environment
    assert list(out_dir.iterdir()) == []


def test_writer_rejects_an_unreadable_audio_source(tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_text("not media")
    with pytest.raises(InputError, match="junk.mp4: not a readable media file"):
        VideoWriter(tmp_path / "out.mp4", fps=10, audio_from=junk)
