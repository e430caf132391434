"""What is wrong in a mailer.toml, in a press officer's words: one line per problem, naming the
file and the dotted key, with a suggestion for a misspelt key (config.py raises them)."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

__all__ = ["describe"]


def describe(path: Path, exc: ValidationError, config_model: type[BaseModel]) -> str:
    """One line per problem: file, dotted key, what is wrong, and a suggestion for typos."""
    lines = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            lines.append(f'{path}: unknown key "{key}"{_suggestion(error["loc"], config_model)}')
        elif error["type"] == "missing":
            lines.append(f'{path}: missing key "{key}"')
        elif error["type"] == "value_error":
            lines.append(f'{path}: key "{key}": {str(error["msg"]).removeprefix("Value error, ")}')
        elif error["type"] in ("model_type", "dict_type"):
            lines.append(f'{path}: "{key}" should be a section: a line [{key}] followed by its keys (got {_toml(error.get("input"))})')
        else:
            what = _PLAIN_TYPES.get(error["type"], error["msg"])
            lines.append(f'{path}: key "{key}": {what} (got {_toml(error.get("input"))})')
    return "\n".join(lines)


# Pydantic's words for wrong types, in a press officer's.
_PLAIN_TYPES = {
    "int_type": "should be a whole number (an integer, without quotes)",
    "int_from_float": "should be a whole number (an integer)",
    "float_type": "should be a number, without quotes",
    "bool_type": "should be true or false, without quotes",
    "string_type": "should be text in double quotes",
    "finite_number": "should be a finite number",
}


def _toml(value: object) -> str:
    """A value as it was written in the file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def _suggestion(location: tuple[Any, ...], config_model: type[BaseModel]) -> str:
    """'; did you mean batch_size?' for a misspelt key, from the fields of its section."""
    model = config_model
    for part in location[:-1]:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return ""
        model = annotation
    # Not the fields no file sets (``exclude``: the file's own path, whether it named a log; newcomer 22 #6).
    known = [name for name, field in model.model_fields.items() if not field.exclude]
    close = difflib.get_close_matches(str(location[-1]), known, n=1)
    return f"; did you mean {close[0]}?" if close else f"; known keys here: {', '.join(known)}"
