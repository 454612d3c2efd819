"""Command-line interface (thin: parse, build a config, call the library)."""

import sys
from pathlib import Path

if Path(sys.argv[0] if sys.argv else "").name == "liquidwarp":  # the installed command, starting
    from liquidwarp.cli.interrupt import exit_during_startup

    exit_during_startup()
