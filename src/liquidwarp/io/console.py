"""Plain lines for the user on stderr, the way the command line speaks (``liquidwarp: ...``).

Not Python's ``warnings``: those print the file and line that raised them, which tells a user of
the command nothing. Lines go through ``tqdm.write`` so that they do not break a progress bar.
"""

from __future__ import annotations

import sys


def note(text: str) -> None:
    """Print ``liquidwarp: <text>`` on its own line on stderr."""
    from tqdm import tqdm

    tqdm.write(f"liquidwarp: {text}", file=sys.stderr)
    sys.stderr.flush()
