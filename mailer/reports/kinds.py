"""The report kinds and output formats, named apart from the code that makes them.

The command line offers them as choices in ``--help`` without loading SQLAlchemy or Jinja.
"""

from __future__ import annotations

KINDS = ("summary", "recipients", "opens", "clicks", "bounces", "outlets")
FORMATS = ("table", "csv", "xlsx", "json", "html")
