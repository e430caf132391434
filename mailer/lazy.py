"""Names a package exports, imported from their module on first use.

A package's ``__init__`` maps each exported name to the module that defines it and hands
``__getattr__`` to Python (PEP 562), so ``from mailer.send import schedule`` or
``mailer lists check --help`` does not pay for SQLAlchemy, premailer or the sendgrid library
that the package's other modules need. ``from mailer.send import run`` still works: the first
access imports ``mailer.send.delivery`` and keeps the name on the package.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def exports(package: str, names: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package``: ``names`` maps an exported name to its module.

    Raises AttributeError for any other name, as a module does, so ``from package import
    submodule`` still finds submodules.
    """

    def __getattr__(name: str) -> object:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
