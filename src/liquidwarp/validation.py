"""Rules for values that come from the user, shared by the command line and the configuration
files so that both say the same thing about the same value. Standard library only: the command
line checks its options with these before it imports anything heavy.

Each check returns the value it was given, or raises ``ValueError`` with a message that names
the value (``name``) and says what is allowed.
"""

from __future__ import annotations

import math
import re

#: Image sides (``--size``, ``data.size``) are multiples of this: the generator halves the image
#: up to four times, and every level should keep whole pixels.
SIZE_MULTIPLE = 16
SIZE_RANGE = (64, 1024)
#: Output heights (``--height``) in pixels: from a thumbnail to 8K.
HEIGHT_RANGE = (16, 4320)

_DEVICE = re.compile(r"^(cpu|mps|cuda(:\d+)?)$")


def check_finite(value: float, name: str) -> float:
    """``value`` when it is a real number (not NaN, not infinite)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    return value


def check_range(value: float, name: str, low: float | None = None, high: float | None = None, unit: str = "") -> float:
    """``value`` when it is finite and within ``[low, high]`` (either bound may be open: None)."""
    check_finite(value, name)
    unit = f" {unit}" if unit else ""
    if low is not None and high is not None and not low <= value <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g}{unit}, got {value:g}")
    if low is not None and value < low:
        raise ValueError(f"{name} must be at least {low:g}{unit}, got {value:g}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be at most {high:g}{unit}, got {value:g}")
    return value


def check_size(value: int, name: str = "--size") -> int:
    """``value`` when it is an allowed image side: a multiple of ``SIZE_MULTIPLE`` in ``SIZE_RANGE``."""
    low, high = SIZE_RANGE
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer number of pixels, got {value!r}")
    if not low <= value <= high or value % SIZE_MULTIPLE:
        raise ValueError(f"{name} must be a multiple of {SIZE_MULTIPLE} between {low} and {high} pixels, got {value}")
    return value


def check_device_name(value: str, name: str = "--device") -> str:
    """``value`` when it names a kind of device: cpu, cuda, cuda:N or mps (whether this machine has
    it is another question: ``liquidwarp.cli.main`` asks torch)."""
    if not isinstance(value, str) or not _DEVICE.match(value):
        raise ValueError(f"{name} must be cpu, cuda, cuda:N or mps, got {value!r}")
    return value


def check_integer(value: int, name: str, low: int | None = None, high: int | None = None) -> int:
    """``value`` when it is an integer (not a flag) within ``[low, high]`` (either bound open: None)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    return check_range(value, name, low, high)


def check_height(value: int, name: str = "--height") -> int:
    """``value`` when it is an allowed output height in pixels (``HEIGHT_RANGE``)."""
    low, high = HEIGHT_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high} pixels, got {value!r}")
    return value


def check_choice(value: str, name: str, choices: tuple[str, ...]) -> str:
    """``value`` when it is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def check_flag(value: bool, name: str) -> bool:
    """``value`` when it is True or False."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return value
