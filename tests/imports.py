"""Which modules a piece of code imports, seen from a fresh interpreter."""

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

SOURCES = Path(__file__).resolve().parents[1] / "src"


def run_and_list_imports(code: str, modules: Sequence[str]) -> tuple[str, list[str]]:
    """Run ``code`` in a new Python process (this checkout's sources first on its path); returns
    what it printed, and which of ``modules`` were imported by the end."""
    script = f"{code}\nimport json as _json, sys as _sys\nprint(_json.dumps([m for m in {list(modules)!r} if m in _sys.modules]))\n"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SOURCES), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120, check=True).stdout
    printed, _, last = out.rstrip("\n").rpartition("\n")
    return printed, json.loads(last)
