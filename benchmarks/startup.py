"""Start-up cost of the ``mailer`` command: CPU of `--help`, `--version`, a command's help, and a one-recipient send.

Run with ``python benchmarks/startup.py`` (``--repeat 15`` for steadier medians; ``--tree
/path/to/other/checkout`` times another copy of the code, for a before/after). Each command
runs in a fresh process; its CPU (user + system) and peak memory come from that child's own
resource usage (``os.wait4``), so other work on the machine barely moves them.

Beside the help lines, the fixed cost of a send: `mailer send releases/example.md --list
one.csv --dry-run` and the same live (``--yes --no-test-ok``) against the SendGrid stand-in
(tests/sendgrid_standin.py, in a thread of this process), each in a scratch office folder (the
example release and templates, a one-row list, a ``mailer.toml`` with an SQLite log that is
deleted before every run, so each run plans and sends its one recipient; after each live run the
log must say it was accepted). Each send is timed twice: as the first inline of the release (the
inlined-HTML cache of mailer/compose/inline.py emptied before every run) and as a send after a
preview, test send or dry run of the same release (the cache kept). The stand-in runs in a process of its own, so this one stays small
(a child's peak memory counts its parent's image: see benchmarks/README.md). Printed beside
`python -c pass` (the interpreter's floor) and `python -c "import sqlalchemy, sendgrid, jinja2,
premailer"` (the floor of the libraries a send needs) and beside importing every third-party
library a live send loads (SEND_LIBRARIES and pydantic's BaseModel, which ``import pydantic``
defers: what it cannot go below without dropping one; a plain process, so it pays the
interpreter's last garbage collections at exit, which a mailer command skips), with
issue 12's targets: under 0.3 s CPU for help and version, under 1.0 s for the one-recipient send.

Children run with their bytecode cached, as an installed package's is (a scratch
``PYTHONPYCACHEPREFIX``, one untimed warm-up run per line): with ``PYTHONDONTWRITEBYTECODE`` set,
every run would compile mailer's sources again (about 0.2 s of a send).
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).parent.parent
HELP_TARGET_CPU = 0.3  # seconds, issue 12
SEND_TARGET_CPU = 1.0  # seconds, the one-recipient send (issue 12's start-up work)
# Every third-party library a live send loads when its release was inlined before (no premailer).
SEND_LIBRARIES = (
    "sqlalchemy, sendgrid, jinja2, markdown_it, yaml, babel.dates, pydantic, email_validator, "
    "numpy, pyarrow.compute, pyarrow.csv, msgspec, platformdirs, rich.console, click"
)
FLOORS = {
    "python -c pass": ["-c", "pass"],
    "import sqlalchemy,sendgrid,jinja2,premailer": ["-c", "import sqlalchemy, sendgrid, jinja2, premailer"],
    "import every library of a send": ["-c", f"import {SEND_LIBRARIES}; from pydantic import BaseModel, SecretStr"],
}
HELP = {
    "mailer --help": ["-m", "mailer", "--help"],
    "mailer --version": ["-m", "mailer", "--version"],
    "mailer lists check --help": ["-m", "mailer", "lists", "check", "--help"],
    "mailer send --help": ["-m", "mailer", "send", "--help"],
}
SEND = ["-m", "mailer", "send", "releases/example.md", "--list", "one.csv"]


def run_once(args: list[str], *, cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """CPU seconds (user + system) and peak memory (MB) of one ``python ARGS`` child, run in ``cwd``."""
    process = subprocess.Popen([sys.executable, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd)
    assert process.stderr is not None
    error = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"python {' '.join(args)} failed with exit code {process.returncode}:\n{error.decode(errors='replace')[-2000:]}")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def make_office(folder: Path, *, api_url: str) -> Path:
    """A press office's folder: the example release and templates, a one-row list, a mailer.toml."""
    for name in ("releases", "templates"):
        shutil.copytree(ROOT / name, folder / name)
    lines = (ROOT / "lists" / "press.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (folder / "one.csv").write_text("".join(lines[:2]), encoding="utf-8")
    (folder / "mailer.toml").write_text(
        '[sender]\npostal_address = "1 Hive Road, Riverbend, ST 00000"\n\n'
        f'[sendgrid]\napi_url = "{api_url}"\nbatch_size = 1000\nconcurrency = 4\n\n'
        f'[database]\nurl = "sqlite:///{folder / "log.db"}"\n',
        encoding="utf-8",
    )
    return folder


def fresh_log(office: Path, *, first_inline: bool = False) -> None:
    """Delete the office's log and dry-run output, so the next send plans its recipient again.

    ``first_inline``: delete the inlined-HTML cache too (XDG_CACHE_HOME points into the office), as
    for a release sent without a preview or test send before it.
    """
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{office / 'log.db'}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(office / "out", ignore_errors=True)
    if first_inline:
        shutil.rmtree(office / "cache", ignore_errors=True)


def accepted(office: Path) -> None:
    """Check the live run's log: its one recipient accepted."""
    import sqlite3

    connection = sqlite3.connect(office / "log.db")
    try:
        states = connection.execute("SELECT state FROM message").fetchall()
    finally:
        connection.close()
    if states != [("accepted",)]:
        raise SystemExit(f"the live send's log says {states}, not one accepted recipient")


def start_standin() -> tuple[subprocess.Popen[str], str, str]:
    """The SendGrid stand-in in a child process; its URL and API key."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); from sendgrid_standin import SendGridStandIn\n"
        "s = SendGridStandIn(validate=False).start(); print(s.url, s.api_key, flush=True); sys.stdin.read()"
    )
    process = subprocess.Popen([sys.executable, "-c", code, str(ROOT / "tests")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    url, key = process.stdout.readline().split()
    return process, url, key


def measure(
    args: list[str], *, repeat: int, cwd: Path, env: dict[str, str], before: Callable[[], None], after: Callable[[], None]
) -> tuple[float, float, float]:
    """Median and min CPU seconds, max peak MB of ``repeat`` runs after one untimed warm-up."""
    before()
    run_once(args, cwd=cwd, env=env)  # writes the bytecode cache
    runs = []
    for _ in range(repeat):
        before()
        runs.append(run_once(args, cwd=cwd, env=env))
        after()
    return statistics.median(s for s, _ in runs), min(s for s, _ in runs), max(m for _, m in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9, help="runs per command; the median is reported (default 9)")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose mailer package to time (default: this one)")
    parser.add_argument("--no-send", action="store_true", help="only the help lines (no office folder, no stand-in)")
    args = parser.parse_args()
    standin = None if args.no_send else start_standin()
    try:
        report(args.repeat, args.tree, standin)
    finally:
        if standin is not None:
            standin[0].terminate()
            standin[0].wait()
    print("vs libs: / import sqlalchemy,sendgrid,jinja2,premailer; vs all: / import every library of a send")
    print(
        f"targets: help and version under {HELP_TARGET_CPU} s CPU, a one-recipient send under {SEND_TARGET_CPU} s "
        f"(median of {args.repeat} runs, each after one untimed warm-up run)"
    )


def nothing() -> None:
    """No preparation or check around a run."""


def report(repeat: int, tree: Path, standin: tuple[subprocess.Popen[str], str, str] | None) -> None:
    """Measure and print each line."""
    with tempfile.TemporaryDirectory(prefix="mailer-startup-") as scratch:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env |= {"PYTHONPATH": str(tree.resolve()), "PYTHONPYCACHEPREFIX": str(Path(scratch) / "pycache")}
        lines: list[tuple[str, list[str], Path, dict[str, str], Callable[[], None], Callable[[], None], float | None]] = []
        for name, command in FLOORS.items():
            lines.append((name, command, tree, env, nothing, nothing, None))
        for name, command in HELP.items():
            lines.append((name, command, tree, env, nothing, nothing, HELP_TARGET_CPU))
        if standin is not None:
            _, url, key = standin
            office = make_office(Path(scratch) / "office", api_url=url)
            send_env = env | {
                "SENDGRID_API_KEY": key,
                "MAILER_CONFIG": str(office / "mailer.toml"),
                "XDG_CACHE_HOME": str(office / "cache"),
            }
            for inlined in (False, True):
                when = "inlined before" if inlined else "first inline"
                for name, extra, check in (
                    ("--dry-run", ["--dry-run"], nothing),
                    ("live", ["--yes", "--no-test-ok"], functools.partial(accepted, office)),
                ):
                    lines.append(
                        (
                            f"mailer send 1 row {name}, {when}",
                            [*SEND, *extra],
                            office,
                            send_env,
                            functools.partial(fresh_log, office, first_inline=not inlined),
                            check,
                            SEND_TARGET_CPU,
                        )
                    )
        print(f"{'command':<44} {'CPU median':>10} {'min':>7} {'vs pass':>8} {'vs libs':>8} {'vs all':>7} {'target':>7} {'peak MB':>8}")
        floors: list[float] = []
        for name, command, cwd, child_env, before, after, target in lines:
            cpu, best, peak = measure(command, repeat=repeat, cwd=cwd, env=child_env, before=before, after=after)
            if target is None:
                floors.append(cpu)
            verdict = "" if target is None else ("ok" if cpu < target else "MISSED")
            versus = [f"{cpu / floor:.2f}x" if floor else "-" for floor in floors[:3]] + ["-"] * (3 - len(floors[:3]))
            print(
                f"{name:<44} {cpu:>9.3f}s {best:>6.3f}s {versus[0]:>8} {versus[1]:>8} {versus[2]:>7} {verdict:>7} {peak:>8.0f}", flush=True
            )


if __name__ == "__main__":
    main()
