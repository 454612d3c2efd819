"""The ``serve`` command of ``liquidwarp`` (added to the command line's parser by
``liquidwarp/__main__.py``). Light to import: the page and gradio load only when it runs."""

from __future__ import annotations

import argparse

from liquidwarp.cli.main import Command


def _add(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser("serve", help="every task on a local web page (needs the web extra: pip install 'liquidwarp[web]')")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=7860, help="port to listen on (default 7860)")


def _run(args: argparse.Namespace) -> None:
    from liquidwarp.web.app import serve

    serve(args.host, args.port)


SERVE = Command("serve", _add, _run)
