"""Which mailer.toml a command uses, found without reading it (no pydantic: a send starts reading
its lists by this, before its settings are loaded; issue 12)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

__all__ = ["CONFIG_ENV_VAR", "CONFIG_FILE_NAME", "find"]

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
