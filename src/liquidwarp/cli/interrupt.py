"""Ending a run early: Ctrl-C (SIGINT) and SIGTERM are handled alike.

Either signal raises an exception where the program is (``KeyboardInterrupt``; :class:`Terminated`,
a kind of it, for SIGTERM), so the same clean-up runs: partial outputs are removed, ffmpeg is
stopped, locks are released. The command line then prints one line and exits with the shell's
convention, 128 + the signal's number: 130 after SIGINT ("liquidwarp: interrupted"), 143 after
SIGTERM ("liquidwarp: terminated").

While the command starts (its imports take seconds and nothing has been written yet) the same
signals end the process at once with the same line and status: :func:`exit_during_startup`. This
module imports nothing heavy so that it can be installed first.
"""

from __future__ import annotations

import os
import signal
import threading

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived (raised like Ctrl-C's ``KeyboardInterrupt``, so the same clean-up runs)."""


def ending(signum: int) -> tuple[str, int]:
    """(the one-line message, exit status) for a run ended by signal ``signum``."""
    return ("terminated" if signum == signal.SIGTERM else "interrupted"), 128 + signum


def ending_of(error: KeyboardInterrupt) -> tuple[str, int]:
    """(the one-line message, exit status) for a run ended by ``error``."""
    return ending(signal.SIGTERM if isinstance(error, Terminated) else signal.SIGINT)


def _exit_now(signum: int, frame) -> None:
    message, status = ending(signum)
    os.write(2, f"liquidwarp: {message}\n".encode())
    os._exit(status)


def exit_during_startup() -> None:
    """Until :func:`handle_signals` takes over, SIGINT and SIGTERM end the process at once with
    the command line's line and status (no traceback from the middle of an import)."""
    if threading.current_thread() is threading.main_thread():
        for signum in _SIGNALS:
            signal.signal(signum, _exit_now)


def _raise(signum: int, frame) -> None:
    if signum == signal.SIGTERM:
        raise Terminated()
    raise KeyboardInterrupt()


def handle_signals() -> dict:
    """From now on SIGINT raises ``KeyboardInterrupt`` and SIGTERM :class:`Terminated`. Returns
    the previous handlers for :func:`restore_signals` (nothing changes outside the main thread,
    where Python cannot set handlers)."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {signum: signal.signal(signum, _raise) for signum in _SIGNALS}


def restore_signals(previous: dict) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
