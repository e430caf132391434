"""Start-up: each command loads only the libraries it uses (issue 12), checked in a fresh interpreter.

Help never loads the delivery log, the composer, the transports or the webhook; listing
campaigns never loads pandas, premailer or the sendgrid library; checking a list never loads
SQLAlchemy, premailer or sendgrid; reading a CSV list never loads pandas; a send whose release
was inlined before (a preview, a test send) never loads premailer. Speed itself is measured in
benchmarks/startup.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import example

ROOT = Path(__file__).parent.parent
# Each case runs the command in a fresh Python process; its own cache, so the first inlining of a
# release is the test's own (premailer loaded), never a render another test left in a shared one.
pytestmark = [pytest.mark.slow, pytest.mark.own_cache]

HEAVY = (
    "pandas",
    "sqlalchemy",
    "premailer",
    "cssutils",
    "sendgrid",
    "jinja2",
    "starlette",
    "uvicorn",
    "openpyxl",
    "xlsxwriter",
    "rustpy_xlsxwriter",
    "markdown_it",
)
# Runs `mailer ARGS...` as the installed command does, then writes which heavy libraries got loaded.
PROBE = """
import json, sys
args, report, heavy = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3].split(",")
sys.argv = ["mailer", *args]
from mailer.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
with open(report, "w") as out:
    json.dump({"exit": code, "loaded": sorted(m for m in sys.modules if m.split(".")[0] in heavy)}, out)
"""


def loaded_by(*args: str, cwd: Path, heavy: tuple[str, ...] = HEAVY) -> set[str]:
    """The ``heavy`` top-level libraries `mailer ARGS` imports, run in a fresh interpreter in ``cwd``."""
    report = cwd / "probe.json"
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), str(report), ",".join(heavy)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])},
        check=False,
    )
    assert report.exists(), result.stderr
    found = json.loads(report.read_text(encoding="utf-8"))
    assert found["exit"] in (0, None), result.stderr
    return {name.split(".")[0] for name in found["loaded"]}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A press office's folder: the example release, lists and templates."""
    for folder in ("releases", "lists", "templates"):
        shutil.copytree(example(folder), tmp_path / folder)
    return tmp_path


HELP = [
    ["--help"],
    ["--version"],
    *(
        [*command.split(), "--help"]
        for command in (
            "lists",
            "lists check",
            "lists clean",
            "lists prune",
            "preview",
            "test",
            "send",
            "resume",
            "cancel",
            "campaigns",
            "status",
            "show",
            "webhook",
            "events",
            "events import",
            "events quarantine",
            "suppressions",
            "suppressions sync",
            "suppressions list",
            "suppressions add",
            "suppressions remove",
            "report",
            "forget",
        )
    ),
]


@pytest.mark.parametrize("args", HELP, ids=" ".join)
def test_startup_help_loads_no_heavy_library(args: list[str], tmp_path: Path) -> None:
    """`mailer --help`, `--version` and every `mailer CMD --help` print without loading any heavy
    library, nor the config's pydantic and email-validator (`mailer show`'s module loaded them for
    every help: 0.16 s CPU instead of 0.06, after review 17c #13)."""
    assert loaded_by(*args, cwd=tmp_path, heavy=(*HEAVY, "pydantic", "email_validator")) == set()


def test_startup_lists_check_loads_no_log_composer_or_sendgrid(project: Path) -> None:
    """Checking a list reads CSV with Arrow: no pandas, SQLAlchemy, premailer, Jinja, sendgrid, Starlette or openpyxl."""
    assert loaded_by("lists", "check", "lists/press.csv", cwd=project) == set()
    assert loaded_by("lists", "clean", "lists/press.csv", "-o", "clean.csv", cwd=project) == set()


def test_startup_campaigns_loads_only_the_log(project: Path, db_url: str) -> None:
    """Listing campaigns reads the log: SQLAlchemy, but no pandas, premailer, Jinja or sendgrid."""
    (project / "mailer.toml").write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    loaded_by("send", "releases/example.md", "--list", "lists/press.csv", "--dry-run", cwd=project)
    assert loaded_by("campaigns", cwd=project) == {"sqlalchemy"}
    assert loaded_by("status", "latest", cwd=project) == {"sqlalchemy"}


def test_startup_dry_run_never_loads_sendgrid_or_the_webhook(project: Path, db_url: str) -> None:
    """A dry run writes the requests to files: the sendgrid library, Starlette and uvicorn stay unloaded."""
    (project / "mailer.toml").write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    loaded = loaded_by("send", "releases/example.md", "--list", "lists/press.csv", "--dry-run", cwd=project)
    assert not loaded & {"sendgrid", "starlette", "uvicorn", "openpyxl"}, loaded
    assert {"sqlalchemy", "premailer", "jinja2"} <= loaded


def test_startup_send_of_a_csv_list_never_loads_pandas(project: Path, db_url: str) -> None:
    """A send reads its CSV lists with Arrow alone: pandas (0.3 s to import) is for irregular files only."""
    (project / "mailer.toml").write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    loaded = loaded_by("send", "releases/example.md", "--list", "lists/press.csv", "--list", "lists/staff.csv", "--dry-run", cwd=project)
    assert "pandas" not in loaded, loaded


def test_startup_send_after_a_preview_never_loads_premailer(project: Path, db_url: str) -> None:
    """The preview inlines the release once; the send of the same release takes the inlined HTML from the cache."""
    (project / "mailer.toml").write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    assert {"premailer", "cssutils"} <= loaded_by("preview", "releases/example.md", cwd=project)
    loaded = loaded_by("send", "releases/example.md", "--list", "lists/press.csv", "--dry-run", cwd=project)
    assert not loaded & {"premailer", "cssutils", "pandas"}, loaded
    assert {"sqlalchemy", "jinja2"} <= loaded


def test_startup_send_of_plain_addresses_never_loads_email_validator(project: Path, db_url: str) -> None:
    """Plain addresses (a From and a list of them) are judged without email-validator (30 ms of a send's start)."""
    (project / "mailer.toml").write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    (project / "plain.csv").write_text(
        "email,name\njane.doe@daily.example.com,Jane Doe\nli.wei+press@news.example.org,Li Wei\n", encoding="utf-8"
    )
    heavy = (*HEAVY, "email_validator")
    assert "email_validator" not in loaded_by("send", "releases/example.md", "--list", "plain.csv", "--dry-run", cwd=project, heavy=heavy)
    (project / "accented.csv").write_text("email,name\njana@zeitung-bücher.de,Jana Novák\n", encoding="utf-8")
    assert "email_validator" in loaded_by("send", "releases/example.md", "--list", "accented.csv", "--dry-run", cwd=project, heavy=heavy)


def test_startup_a_send_closes_the_log_before_it_exits(project: Path) -> None:
    """The command ends without a last garbage collection (gc.freeze), but the log is closed first: no -wal file stays."""
    (project / "mailer.toml").write_text(f'[database]\nurl = "sqlite:///{project / "log.db"}"\n', encoding="utf-8")
    loaded_by("send", "releases/example.md", "--list", "lists/press.csv", "--dry-run", cwd=project)
    assert (project / "log.db").exists()
    assert not list(project.glob("log.db-*"))


def test_startup_preview_loads_no_log_or_sendgrid(project: Path) -> None:
    """A preview renders the release: the composer's libraries, not SQLAlchemy, sendgrid or pandas."""
    loaded = loaded_by("preview", "releases/example.md", cwd=project)
    assert not loaded & {"sqlalchemy", "sendgrid", "pandas", "starlette", "openpyxl"}, loaded
