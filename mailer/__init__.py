"""press-mailer: send press releases to journalists through SendGrid.

The library API a script imports; the ``mailer`` command is a thin layer over it.
"""

from __future__ import annotations

__all__: list[str] = []
