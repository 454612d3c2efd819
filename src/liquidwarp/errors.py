"""Errors that mean "the user's input is wrong" rather than "liquidwarp is broken"."""

from __future__ import annotations


class InputError(Exception):
    """A problem with the user's input (a missing, empty, unreadable or unsuitable file, ...).

    The message is one line that names the file and the problem, ``"<path>: <problem>"``; the
    command line prints it as it is and exits with status 2.
    """


class OutputError(Exception):
    """Writing an output failed, or cannot start: one line ``"<path>: <reason>"``.

    ``environment`` is True when the cause lies in the user's system (a full disk, a file size
    limit, a read-only folder, another run writing the same output): the command line exits with
    status 2. False means liquidwarp itself went wrong (say, ffmpeg refused what it was given):
    status 1. Either way nothing is left at the output's path.
    """

    def __init__(self, message: str, environment: bool = True) -> None:
        super().__init__(message)
        self.environment = environment
