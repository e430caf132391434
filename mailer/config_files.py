"""Which mailer.toml a command uses, found without reading it, and the names the log gives lists
relative to its folder (no pydantic, no SQLAlchemy: a send starts reading its lists by these,
before its settings are loaded; issue 12)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["CONFIG_ENV_VAR", "CONFIG_FILE_NAME", "find", "logged_list_paths", "office_of"]

CONFIG_FILE_NAME = "mailer.toml"
CONFIG_ENV_VAR = "MAILER_CONFIG"


def find(explicit: Path | None, environ: Mapping[str, str], cwd: Path) -> Path | None:
    """The config file to use: --config, then $MAILER_CONFIG, then mailer.toml in ``cwd`` or the
    nearest folder above it (as git and ruff find theirs), else None."""
    if explicit is not None:
        return explicit
    if environ.get(CONFIG_ENV_VAR):
        return Path(environ[CONFIG_ENV_VAR])
    for folder in (cwd, *cwd.parents):
        candidate = folder / CONFIG_FILE_NAME
        if candidate.is_file():
            return candidate
    return None


def office_of(source: Path | None) -> Path | None:
    """The office folder: the one the mailer.toml at ``source`` is in, where the log's relative list names are
    (None without one). The read-ahead, the command line and the library's prepare calls all name lists by it."""
    return source.resolve().parent if source is not None else None


def logged_list_paths(paths: Sequence[Path], office: Path | None) -> tuple[Path, ...]:
    """Lists as the log will name them: one typed with ".." ("../lists/press.csv" from the releases
    folder), or typed in another folder than ``office`` (the folder of mailer.toml: "beat.csv" from
    lists/, review 12b #11), becomes its whole path, so the log's name means the same file from any
    folder, and a resume run from another folder reads the list the send read (newcomer 23py #2: a
    script's send named "lists/press.csv" as typed, and its resume from elsewhere mailed those who
    had opted out there meanwhile). Others (typed in the office folder, or with no mailer.toml) stay
    as typed."""
    elsewhere = office is not None and Path.cwd().resolve() != office.resolve()
    return tuple(Path(os.path.abspath(path)) if ".." in Path(path).parts or elsewhere else Path(path) for path in paths)
