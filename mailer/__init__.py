"""press-mailer: send press releases to journalists through SendGrid.

The library API a script imports, one module per stage, in the order data flows::

    from mailer import config, contacts, compose, send, store, events, reports
    from mailer.compose import release
    from mailer.send import plan

    cfg = config.load(Path("mailer.toml"))
    press = contacts.load(["lists/press.csv"])
    rendered = compose.render(release.load("releases/example.md"), config=cfg)

The ``mailer`` command is a thin layer over these modules. They are imported on first use,
so ``import mailer`` stays cheap.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = [
    "carry",
    "compose",
    "config",
    "contacts",
    "errors",
    "events",
    "forget",
    "models",
    "reports",
    "send",
    "store",
    "transport",
    "unsubscribe",
]


def __getattr__(name: str) -> ModuleType:
    if name in __all__:
        return importlib.import_module(f"mailer.{name}")
    raise AttributeError(f"module 'mailer' has no attribute {name!r}")
