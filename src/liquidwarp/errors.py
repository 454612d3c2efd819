"""Errors that mean "the user's input is wrong" rather than "liquidwarp is broken"."""

from __future__ import annotations


class InputError(Exception):
    """A problem with the user's input (a missing, empty, unreadable or unsuitable file, ...).

    The message is one line that names the file and the problem, ``"<path>: <problem>"``; the
    command line prints it as it is and exits with status 2.
    """
