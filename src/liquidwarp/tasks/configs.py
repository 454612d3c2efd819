"""What the task configs share: the rules their common settings follow, and the file that records
beside each output the config it was made with.

A task's config (``ImitateConfig``, ``SwapConfig``, ``ViewConfig``) is a frozen dataclass of plain
values (numbers, text, flags, tuples; paths and person picks as the user gave them), so that it
goes to JSON and back unchanged: ``ImitateConfig(**record["config"]) == config``.

After a successful run the task writes :func:`config_file` beside its output (``OUT.config.json``
for a file ``OUT.mp4`` or ``OUT.png``; ``config.json`` inside a folder output), atomically::

    {"format": "liquidwarp-<task>-config", "version": 1, "liquidwarp": "<version>", "config": {...}}

Light to import (the command line names the file before any work).
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

from liquidwarp.errors import InputError
from liquidwarp.io.atomic import write_json_atomic
from liquidwarp.validation import check_choice, check_height, check_integer, check_size

CONFIG_VERSION = 1


def config_file(out: str | Path, folder: bool = False) -> Path:
    """Where the config of output ``out`` goes: ``OUT.config.json`` beside a file ``OUT.<ext>``,
    ``out/config.json`` in a folder output."""
    out = Path(out)
    return out / "config.json" if folder else out.with_suffix(".config.json")


def config_record(task: str, config: Any) -> dict[str, Any]:
    """The config file's content for ``config`` of ``task`` (``"imitate"``, ...)."""
    from liquidwarp import __version__

    return {"format": f"liquidwarp-{task}-config", "version": CONFIG_VERSION, "liquidwarp": __version__, "config": config.to_dict()}


def write_config(out: str | Path, task: str, config: Any, folder: bool = False) -> Path:
    """Write the config file of output ``out`` (:func:`config_file`), all or nothing; its path."""
    path = config_file(out, folder)
    write_json_atomic(path, config_record(task, config))
    return path


def read_config(path: str | Path, task: str, config_type: type) -> Any:
    """The validated ``config_type`` recorded in ``path`` (a config file of ``task``); InputError
    naming the file when it is not one, or holds a setting that is unknown or not allowed."""
    try:
        record = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise InputError(f"{path}: not a readable config file ({error})") from None
    expected = f"liquidwarp-{task}-config"
    if not isinstance(record, dict) or record.get("format") != expected:
        raise InputError(f"{path}: not a {task} config file (its format is not {expected})")
    if record.get("version") != CONFIG_VERSION:
        raise InputError(f"{path}: config version {record.get('version')!r}; this liquidwarp reads version {CONFIG_VERSION}")
    settings = record.get("config")
    known = [f.name for f in fields(config_type)]
    unknown = [key for key in settings if key not in known] if isinstance(settings, dict) else ["config"]
    if unknown:
        raise InputError(f"{path}: unknown setting {unknown[0]!r}; known: {', '.join(known)}")
    try:
        return config_type(**settings).validate()
    except ValueError as error:
        raise InputError(f"{path}: {error}") from None


# ----------------------------------------------------------------------------------- rules


def as_tuple(config: Any, *names: str) -> None:
    """In a config's ``__post_init__``: the list settings ``names`` (as JSON gives them) made tuples."""
    for name in names:
        value = getattr(config, name)
        if isinstance(value, list):
            object.__setattr__(config, name, tuple(value))


def check_generation(config: Any, methods: tuple[str, ...]) -> None:
    """The settings every task config has: ``method`` (one of ``methods``), ``size``, ``height``,
    ``checkpoint``, ``background`` and ``personalize`` (lwg only). ValueError naming the first
    that is not allowed."""
    check_choice(config.method, "method", methods)
    check_size(config.size, "size")
    if config.height is not None:
        check_height(config.height, "height")
    for name in ("checkpoint", "background"):
        check_path(getattr(config, name), name)
    check_integer(config.personalize, "personalize", low=0)
    if config.personalize and config.method != "lwg":
        raise ValueError("personalize needs method lwg")


def check_max_frames(value: int | None) -> None:
    if value is not None:
        check_integer(value, "max_frames", low=1)


def check_path(value: str | None, name: str) -> None:
    """A file as the user named it (text), or None."""
    if value is not None and (not isinstance(value, str) or not value):
        raise ValueError(f"{name} must be a file name, got {value!r}")


def check_people(picks: tuple[str, ...] | None, name: str, count: int | None = None) -> None:
    """Person picks (``[FRAME:]X,Y`` texts) or None; ``count`` of them when given."""
    from liquidwarp.fitting.recover import PersonPick

    if picks is None:
        return
    if not isinstance(picks, tuple) or (count is not None and len(picks) != count):
        raise ValueError(f"{name} must be {'a list of' if count is None else count} person pick(s) X,Y, got {picks!r}")
    for pick in picks:
        if not isinstance(pick, str):
            raise ValueError(f"{name}: expected X,Y or FRAME:X,Y (pixels), got {pick!r}")
        try:
            PersonPick.parse(pick)
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from None


def people(picks: tuple[str, ...] | None) -> list | None:
    """The person picks (``PersonPick``) of pick texts (None stays None)."""
    from liquidwarp.fitting.recover import PersonPick

    return None if picks is None else [PersonPick.parse(p) for p in picks]


def path_or_none(value: str | Path | None) -> Path | None:
    return None if value is None else Path(value)
