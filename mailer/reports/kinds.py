"""The report kinds and output formats, named apart from the code that makes them.

The command line offers them as choices in ``--help`` without loading SQLAlchemy or Jinja.
"""

from __future__ import annotations

from pathlib import Path

KINDS = ("summary", "recipients", "opens", "clicks", "bounces", "outlets")
FORMATS = ("table", "csv", "xlsx", "json", "html")

# Where `mailer report` writes a file without -o, in the office folder (the one mailer.toml is in);
# `mailer forget` looks there for report files that mention the journalist.
REPORTS_FOLDER = Path("out") / "reports"
