"""Images and videos in and out.

Conventions at this boundary: frames are ``(H, W, 3)`` uint8 **RGB** arrays (OpenCV's BGR never
leaves this module). Rotation metadata is honoured: a phone video recorded upright comes out
upright, and ``VideoInfo.width`` / ``height`` describe the frames as they come out.

Every problem with a file the user named raises :class:`liquidwarp.errors.InputError` with a
one-line message ``"<path>: <problem>"``. Outputs are written to a temporary sibling and renamed
into place only when complete, so a failure leaves nothing behind.

Decoding uses OpenCV; encoding and audio probing use the ffmpeg binary shipped by
``imageio-ffmpeg`` (OpenCV's own writer cannot produce H.264 that every player opens).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import cv2
import numpy as np

from liquidwarp.errors import InputError, OutputError
from liquidwarp.io.atomic import check_output_location, new_partial_file, refused_write, write_bytes_atomic, write_failed

VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v"})
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp"})

# Containers whose index stores the exact number of frames, so OpenCV's count can be trusted
# without decoding; for the others (Matroska/WebM, AVI) OpenCV estimates it from the duration.
_EXACT_COUNT_EXTENSIONS = frozenset({".mp4", ".mov", ".m4v"})

_FFMPEG_TIMEOUT_S = 60.0  # for probing only; encoding runs as long as frames keep coming


def is_video_path(path: str | os.PathLike) -> bool:
    """True if the file name has a video extension (mp4, mov, avi, mkv, webm, m4v); any case."""
    return Path(path).suffix.lower() in VIDEO_EXTENSIONS


def is_image_path(path: str | os.PathLike) -> bool:
    """True if the file name has an image extension (jpg, jpeg, png, bmp, webp); any case."""
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary bundled with ``imageio-ffmpeg``."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@contextlib.contextmanager
def captured_stderr() -> Iterator[list[str]]:
    """Redirect file descriptor 2 into a list of lines (filled on exit) for a while.

    Native libraries (libav inside OpenCV, mediapipe's C++ and TF-lite) log straight to the
    process's stderr, where no Python setting reaches them. Their chatter is kept off the console
    this way, and a reason can be picked out of it when something fails.
    """
    lines: list[str] = []
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (an embedded interpreter): nothing to capture
        yield lines
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            lines.extend(sink.read().decode("utf-8", errors="replace").splitlines())


def _libav_reason(lines: list[str]) -> str:
    """The last message libav logged, without its ``[demuxer @ 0x...]`` prefix ('' if none)."""
    for line in reversed(lines):
        match = re.match(r"^\[[^\]]+ @ 0x[0-9a-f]+\]\s*(.+)$", line.strip())
        if match:
            return match.group(1)
    return ""


# ----------------------------------------------------------------------------------------- input


def _check_input_file(path: Path) -> None:
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a file")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: file is not readable")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: file is empty")


# The first bytes of the image formats one might name like a video by mistake.
_IMAGE_SIGNATURES = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)


def image_format(path: str | os.PathLike) -> str | None:
    """The still-image format the file's content is in ("JPEG", "PNG", "BMP", "TIFF", "WebP"),
    whatever its name; None for anything else (videos included)."""
    with open(path, "rb") as f:
        head = f.read(12)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return next((kind for magic, kind in _IMAGE_SIGNATURES if head.startswith(magic)), None)


def check_not_image(path: str | os.PathLike) -> None:
    """InputError when a file that should be a video holds a still image (libav would read it as
    a one-frame video)."""
    kind = image_format(path)
    if kind is not None:
        raise InputError(f"{path}: a {kind} image, not a video (told by its content, whatever its name)")


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file.

    EXIF orientation is applied; an alpha channel is dropped; grey and 16-bit images are
    converted to 8-bit RGB.

    Returns:
        (H, W, 3) uint8 RGB.
    """
    path = Path(path)
    _check_input_file(path)
    # imdecode on the bytes rather than imread: imread fails silently and cannot tell a missing
    # file from a broken one.
    data = np.fromfile(path, dtype=np.uint8)
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if bgr is None:
        raise InputError(f"{path}: not a readable image (supported: {', '.join(sorted(IMAGE_EXTENSIONS))})")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


@dataclass(frozen=True)
class VideoInfo:
    """What ``probe_video`` found out about a video file.

    Attributes:
        path: the file.
        frames: number of decodable frames.
        fps: frames per second.
        width: frame width in pixels, after rotation metadata is applied.
        height: frame height in pixels, after rotation metadata is applied.
        has_audio: whether the file has an audio stream.
    """

    path: Path
    frames: int
    fps: float
    width: int
    height: int
    has_audio: bool

    @property
    def duration_s(self) -> float:
        return self.frames / self.fps


def _open_capture(path: Path) -> cv2.VideoCapture:
    """An opened capture that applies rotation metadata, or InputError."""
    _check_input_file(path)
    check_not_image(path)
    with captured_stderr() as log:
        cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
        opened = cap.isOpened()
    if not opened:
        cap.release()
        reason = _libav_reason(log) or "no decodable video stream"
        raise InputError(f"{path}: not a readable video ({reason})")
    # OpenCV 4.11 reports the rotation (CAP_PROP_ORIENTATION_META) but does not apply it unless
    # asked (measured: ORIENTATION_AUTO reads 0 after opening); with it, frames and the reported
    # width/height come out as ffmpeg's autorotation shows them.
    cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    return cap


def _stream_lines(path: Path) -> list[str] | None:
    """ffmpeg's description of the file's streams; None if ffmpeg cannot read the file."""
    # ``ffmpeg -i`` with no output prints the stream list to stderr and exits with status 1.
    result = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=_FFMPEG_TIMEOUT_S,
    )
    lines = result.stderr.decode("utf-8", errors="replace").splitlines()
    if not any(line.startswith("Input #0") for line in lines):
        return None
    return [line.strip() for line in lines if line.lstrip().startswith("Stream #")]


def _has_audio(path: Path) -> bool:
    return any(" Audio:" in line for line in _stream_lines(path) or [])


def probe_video(path: str | os.PathLike) -> VideoInfo:
    """Frame count, frame rate, frame size (rotation applied) and whether there is audio.

    The frame count comes from the container index for mp4/mov/m4v (cheap, exact) and from
    decoding every frame otherwise (OpenCV only estimates it for WebM/Matroska/AVI).
    """
    path = Path(path)
    cap = _open_capture(path)
    try:
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        if frames <= 0 or path.suffix.lower() not in _EXACT_COUNT_EXTENSIONS:
            frames = 0
            while cap.grab():
                frames += 1
        elif not cap.grab():
            frames = 0  # the index promises frames that do not decode
    finally:
        cap.release()
    if frames <= 0:
        raise InputError(f"{path}: video has no decodable frames")
    if width <= 0 or height <= 0:
        raise InputError(f"{path}: could not read the video's frame size")
    if not np.isfinite(fps) or fps <= 0:
        raise InputError(f"{path}: could not read the video's frame rate")
    return VideoInfo(path=path, frames=frames, fps=fps, width=width, height=height, has_audio=_has_audio(path))


def iter_video_frames(path: str | os.PathLike, max_frames: int | None = None, step: int = 1) -> Iterator[np.ndarray]:
    """Decode a video's frames in order.

    Args:
        path: the video file; it is opened (and checked) when this function is called.
        max_frames: yield at most this many frames (``None``: all).
        step: yield every ``step``-th frame (frames 0, step, 2 step, ...).

    Yields:
        (H, W, 3) uint8 RGB frames, rotation metadata applied.
    """
    if step < 1:
        raise ValueError(f"step must be >= 1, got {step}")
    if max_frames is not None and max_frames < 0:
        raise ValueError(f"max_frames must be >= 0, got {max_frames}")
    path = Path(path)
    cap = _open_capture(path)  # opened eagerly so a bad file fails here, not at the first next()
    return _frames(cap, max_frames, step)


def _read_frame(cap: cv2.VideoCapture) -> np.ndarray | None:
    """The capture's next frame as (H, W, 3) uint8 RGB, or None at the end."""
    ok, bgr = cap.read()
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB) if ok else None


def _frames(cap: cv2.VideoCapture, max_frames: int | None, step: int) -> Iterator[np.ndarray]:
    try:
        yielded = 0
        while max_frames is None or yielded < max_frames:
            frame = _read_frame(cap)
            if frame is None:
                return
            yield frame
            yielded += 1
            for _ in range(step - 1):
                if not cap.grab():
                    return
    finally:
        cap.release()


HEAP_MMAP_THRESHOLD = 4 << 20  # bytes: blocks this big or bigger get their own memory mapping


@functools.cache
def fix_mmap_threshold() -> None:
    """Have glibc serve every allocation of ``HEAP_MMAP_THRESHOLD`` or more (a decoded frame, a
    mask, a chunk's images) from its own mapping, returned to the system when freed.

    By default glibc raises that threshold each time such a block is freed, and from then on
    serves frame-sized blocks from the heap, which a long clip's thousands of them fragment: on a
    1080x1920 overlay the peak memory crept up by 120 MB over 200 frames, and stayed flat with the
    threshold fixed (measured, BENCHMARKS.md). Once per process; nothing off glibc.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None).mallopt(-3, HEAP_MMAP_THRESHOLD)  # -3: M_MMAP_THRESHOLD
    except (OSError, AttributeError):  # another C library
        pass


class VideoFrames(Sequence[np.ndarray]):
    """A video's frames, decoded when they are asked for: ``frames[t]`` is frame ``t`` as (H, W, 3)
    uint8 RGB, and at most ``window`` decoded frames are held at any time, whatever the video's
    length (a 1080p frame is 6 MB; a minute at 60 frames/s would be 22 GB).

    Access in increasing order decodes each frame once. Going back past the window reopens the
    file and decodes up to the frame asked for, keeping the ``window`` frames that end there, so
    a walk backwards decodes each frame about ``t / window`` times. Iterating (``for frame in
    frames``) decodes in order with a capture of its own and holds nothing.

    Args:
        path: the video file (checked and probed here: InputError if it is unreadable).
        max_frames: use at most this many frames (None: all).
        window: decoded frames kept for access out of order.
    """

    def __init__(self, path: str | os.PathLike, max_frames: int | None = None, window: int = 8) -> None:
        if window < 1:
            raise ValueError(f"window must be >= 1, got {window}")
        fix_mmap_threshold()
        self.path = Path(path)
        self.info = probe_video(self.path)
        count = self.info.frames if max_frames is None else min(self.info.frames, max_frames)
        self.shape = (count, self.info.height, self.info.width, 3)  # (T, H, W, 3)
        self.window = window
        self._cap: cv2.VideoCapture | None = None
        self._next = 0  # the index of the frame the capture reads next
        self._held: dict[int, np.ndarray] = {}  # the last frames decoded, oldest first

    def __len__(self) -> int:
        return self.shape[0]

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter_video_frames(self.path, max_frames=len(self))

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return np.stack([self[t] for t in range(*index.indices(len(self)))])
        t = int(index) + (len(self) if int(index) < 0 else 0)
        if not 0 <= t < len(self):
            raise IndexError(f"frame {index} of a {len(self)}-frame video")
        if t in self._held:
            return self._held[t]
        if self._cap is None or t < self._next:
            self.close()
            self._cap = _open_capture(self.path)
            self._next = max(0, t - self.window + 1)  # when going back, the frames before t come next
            for _ in range(self._next):
                if not self._cap.grab():
                    raise InputError(f"{self.path}: frame {t} could not be decoded")
        while self._next <= t:
            while len(self._held) >= self.window:  # room first, so that no more than the window is ever held
                del self._held[next(iter(self._held))]
            frame = _read_frame(self._cap)
            if frame is None:
                raise InputError(f"{self.path}: frame {self._next} could not be decoded")
            self._held[self._next] = frame
            self._next += 1
        return self._held[t]

    def close(self) -> None:
        """Release the capture and the frames held (the object stays usable: it reopens)."""
        if self._cap is not None:
            self._cap.release()
        self._cap, self._next, self._held = None, 0, {}


class ImageFiles(Sequence[np.ndarray]):
    """Images read when asked for (a video stored as frames): ``frames[t]`` reads ``files[t]``;
    every image must have the first one's size. Nothing is held."""

    def __init__(self, files: Sequence[str | os.PathLike]) -> None:
        if not files:
            raise ValueError("ImageFiles needs at least one file")
        fix_mmap_threshold()
        self.files = [Path(f) for f in files]
        h, w = read_image(self.files[0]).shape[:2]
        self.shape = (len(self.files), h, w, 3)  # (T, H, W, 3)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return np.stack([self[t] for t in range(*index.indices(len(self)))])
        image = read_image(self.files[index])
        if image.shape != self.shape[1:]:
            raise InputError(f"{self.files[index]}: {image.shape[1]}x{image.shape[0]}, unlike the first frame ({self.shape[2]}x{self.shape[1]})")
        return image


# ---------------------------------------------------------------------------------------- output


def _check_output_folder(path: Path) -> None:
    check_output_location(path, "output")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, cannot write a file there")


def _check_rgb(rgb: np.ndarray, what: str) -> None:
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        desc = f"{rgb.dtype} {rgb.shape}" if isinstance(rgb, np.ndarray) else type(rgb).__name__
        raise ValueError(f"{what} must be an (H, W, 3) uint8 RGB array, got {desc}")
    if rgb.shape[0] == 0 or rgb.shape[1] == 0:
        raise ValueError(f"{what} is empty: {rgb.shape}")


def write_image(path: str | os.PathLike, rgb: np.ndarray) -> None:
    """Write an (H, W, 3) uint8 RGB image; the format follows the extension. Atomic."""
    path = Path(path)
    _check_rgb(rgb, "image")
    if not is_image_path(path):
        raise InputError(f"{path}: unsupported image extension (use one of {', '.join(sorted(IMAGE_EXTENSIONS))})")
    _check_output_folder(path)
    ok, encoded = cv2.imencode(path.suffix.lower(), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise RuntimeError(f"{path}: OpenCV could not encode the image")
    write_bytes_atomic(path, encoded.tobytes())


# What ffmpeg says (strerror's text) when the system refuses its writes: the user's disk, not a bug.
_REFUSALS = ("No space left on device", "Disk quota exceeded", "File too large", "Read-only file system", "Permission denied")


class VideoWriter:
    """Writes RGB frames to an H.264 .mp4 (libx264, yuv420p, +faststart) that ordinary players open.

    Frames are piped raw to the bundled ffmpeg binary. Odd widths/heights are padded to even
    with black on the right/bottom (yuv420p needs even sizes). If ``audio_from`` has an audio
    stream it is re-encoded to AAC and muxed in, cut to the video's length (``-shortest``).

    The file appears at ``path`` (replacing any file there) only when the writer is closed without
    error and at least one frame was written; until then ffmpeg writes a hidden temporary sibling, which is removed on
    failure. Use as a context manager::

        with VideoWriter(out, fps=30) as writer:
            for frame in frames:
                writer.write(frame)

    Args:
        path: output .mp4 file; its folder must exist and be writable (checked here).
        fps: frame rate (> 0).
        audio_from: optional media file whose (first) audio track is muxed in; a file without audio
            gives a silent video, an unreadable one an InputError.
        crf: x264 constant rate factor; 18 is visually near-lossless, larger is smaller/worse.
    """

    def __init__(self, path: str | os.PathLike, fps: float, audio_from: str | os.PathLike | None = None, crf: int = 18) -> None:
        self.path = Path(path)
        if self.path.suffix.lower() != ".mp4":
            raise InputError(f"{self.path}: video output must be an .mp4 file")
        _check_output_folder(self.path)
        if not (np.isfinite(fps) and fps > 0):
            raise ValueError(f"fps must be a positive number, got {fps}")
        if not 0 <= crf <= 51:
            raise ValueError(f"crf must be in [0, 51], got {crf}")
        self.fps = float(fps)
        self.crf = int(crf)
        self.audio_from: Path | None = None
        if audio_from is not None:
            audio_path = Path(audio_from)
            _check_input_file(audio_path)
            streams = _stream_lines(audio_path)
            if streams is None:
                raise InputError(f"{audio_path}: not a readable media file (wanted for its audio)")
            if any(" Audio:" in line for line in streams):
                self.audio_from = audio_path
        self.frames_written = 0
        self._size: tuple[int, int] | None = None  # (H, W) of the first frame
        self._process: subprocess.Popen | None = None
        self._stderr = None
        self._tmp: Path | None = None
        self._closed = False

    # -- context manager
    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    # -- writing
    def write(self, frame: np.ndarray) -> None:
        """Append one (H, W, 3) uint8 RGB frame; every frame must have the first frame's size."""
        if self._closed:
            raise RuntimeError(f"{self.path}: the writer is closed")
        _check_rgb(frame, "frame")
        h, w = frame.shape[:2]
        if self._process is None:
            self._size = (h, w)
            self._start(h, w)
        elif (h, w) != self._size:
            raise ValueError(f"frame size changed from {self._size} to {(h, w)} (H, W) in {self.path}")
        assert self._process is not None and self._process.stdin is not None
        try:
            self._process.stdin.write(np.ascontiguousarray(frame).tobytes())
        except (BrokenPipeError, OSError):
            error = self._ffmpeg_error(self._process.wait())
            self.abort()
            raise error from None
        self.frames_written += 1

    def close(self) -> None:
        """Finish the file and move it into place. Raises if no frame was written or ffmpeg failed."""
        if self._closed:
            return
        if self._process is None:
            self.abort()
            raise ValueError(f"{self.path}: no frames were written, so no video was made")
        assert self._process.stdin is not None and self._tmp is not None
        try:
            self._process.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        returncode = self._process.wait()
        if returncode != 0:
            error = self._ffmpeg_error(returncode)
            self.abort()
            raise error
        try:
            os.replace(self._tmp, self.path.expanduser().absolute())
        except OSError as e:
            self.abort()
            if refused_write(e, self.path) is None:
                raise
            raise write_failed(self.path, e.strerror.lower()) from None
        self._tmp = None
        self._cleanup()

    def abort(self) -> None:
        """Stop ffmpeg and remove the partial file; nothing is left at ``path``."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        if self._process is not None and self._process.stdin is not None:
            try:
                self._process.stdin.close()
            except (BrokenPipeError, OSError):
                pass
        if self._tmp is not None and self._tmp.exists():
            self._tmp.unlink()
        self._tmp = None
        self._cleanup()

    # -- internals
    def _start(self, height: int, width: int) -> None:
        self._tmp = new_partial_file(self.path, ".mp4")  # streamed by ffmpeg, renamed on close (see close/abort)
        rate = Fraction(self.fps).limit_denominator(1001)
        command = [
            ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-framerate", f"{rate.numerator}/{rate.denominator}",
            "-i", "pipe:0",
        ]  # fmt: skip
        if self.audio_from is not None:
            command += ["-i", str(self.audio_from)]
        command += ["-map", "0:v:0"]
        if self.audio_from is not None:
            command += ["-map", "1:a:0", "-c:a", "aac", "-b:a", "160k", "-shortest"]
        command += [
            "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2",  # yuv420p needs even sizes; pads right/bottom
            "-c:v", "libx264", "-preset", "medium", "-crf", str(self.crf), "-pix_fmt", "yuv420p",
            "-movflags", "+faststart", "-f", "mp4", str(self._tmp),
        ]  # fmt: skip
        # stderr goes to a file, not a pipe: nobody reads it while frames are written, and a full
        # pipe would block ffmpeg.
        self._stderr = tempfile.TemporaryFile()
        # In a process group of its own: Ctrl-C at a terminal reaches this process only, which
        # stops ffmpeg itself (abort) rather than racing it to the partial file.
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._stderr, process_group=0
        )

    def _ffmpeg_error(self, returncode: int) -> OutputError:
        """One line for ffmpeg's failure: the system's refusal when that was it (exit status 2
        at the command line), else ffmpeg's last words (a liquidwarp bug: status 1)."""
        lines: list[str] = []
        if self._stderr is not None:
            self._stderr.seek(0)
            lines = [line.strip() for line in self._stderr.read().decode("utf-8", errors="replace").splitlines() if line.strip()]
        for refusal in _REFUSALS:
            if any(refusal in line for line in lines):
                return write_failed(self.path, refusal.lower())
        if returncode == -signal.SIGXFSZ:  # the process's file size limit (ulimit -f)
            return write_failed(self.path, "file too large")
        status = f"killed by signal {-returncode}" if returncode < 0 else f"exit status {returncode}"
        return write_failed(self.path, f"ffmpeg failed, {status}" + (f": {lines[-1]}" if lines else ""), environment=False)

    def _cleanup(self) -> None:
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        self._process = None
        self._closed = True
