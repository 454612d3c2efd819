"""The ``liquidwarp`` program: the command line's commands (``liquidwarp.cli``) and the web page's
``serve`` (``liquidwarp.web``). The installed ``liquidwarp`` command and ``python -m liquidwarp``
both run :func:`main`."""

import sys
from pathlib import Path

from liquidwarp.cli.interrupt import exit_during_startup

if __name__ == "__main__" or Path(sys.argv[0] if sys.argv else "").name == "liquidwarp":
    exit_during_startup()  # the program starting: before the command's imports, which take seconds

from liquidwarp.cli import main as command_line  # noqa: E402
from liquidwarp.web.command import SERVE  # noqa: E402

# The commands of the layers above the command line.
COMMANDS = (SERVE,)


def build_parser():
    """The program's parser: the command line's and :data:`COMMANDS`."""
    return command_line.build_parser(COMMANDS)


def main(argv: list[str] | None = None) -> int:
    """Run the command; its exit status (``liquidwarp.cli.main.main``)."""
    return command_line.main(argv, COMMANDS)


if __name__ == "__main__":
    sys.exit(main())
