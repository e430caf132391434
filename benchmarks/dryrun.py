"""Time dry runs of releases/example.md through the command line, and compare with mailmerge's dry run.

Run with ``python benchmarks/dryrun.py [--recipients 100000] [--every 1000,10000]``. Each run is
``mailer send releases/example.md --list LIST --dry-run`` in a fresh folder with its own log, in
a child process (start-up included), as a press officer would run it. Printed beside the
targets from issue 10:

- 100,000 recipients with default sampling (.eml for the first 50, every request body,
  skipped.csv): under 15 s on a 2-core machine;
- ``--eml all`` at 1k and 10k recipients: messages per second, against ``mailmerge --dry-run
  --no-limit`` (pip install mailmerge; found on PATH or with --mailmerge) on the same release
  as a Jinja template (multipart text + HTML) and the same list, its output sent to /dev/null.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mailer import compose
from mailer.compose import release
from mailer.config import Config

TARGET_S = 15.0
OUTLETS = ("The Riverbend Courier", "Valley Public Radio", "Hive & Garden", "Metro Daily", "")


def write_list(path: Path, count: int) -> None:
    """``count`` journalists with names and outlets (some without an outlet, so the default shows)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "first_name", "last_name", "outlet"])
        for i in range(count):
            writer.writerow([f"journalist{i:06d}@outlet{i % 97}.example.org", f"Jo{i}", "Doe", OUTLETS[i % len(OUTLETS)]])


def project(folder: Path, count: int) -> Path:
    for name in ("releases", "templates"):
        shutil.copytree(ROOT / name, folder / name)
    (folder / "lists").mkdir()
    write_list(folder / "lists" / "press.csv", count)
    (folder / "mailer.toml").write_text(f'[database]\nurl = "sqlite:///{folder / "log.db"}"\n', encoding="utf-8")
    return folder


def mailer_dry_run(folder: Path, *extra: str) -> float:
    """Wall seconds of one dry run in a child process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "mailer", "send", "releases/example.md", "--list", "lists/press.csv", "--dry-run", "--yes", *extra]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"mailer failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return took


def mailmerge_template(folder: Path) -> None:
    """The example release as a mailmerge template: the same text and HTML parts, fields as Jinja."""
    rendered = compose.render(release.load(ROOT / "releases" / "example.md"), config=Config())

    def jinja(text: str) -> str:
        text = text.replace("{", "{{ '{' }}").replace("{{ '{' }}{{ '{' }}", "{{ '{{' }}")
        return re.sub(r"-~c\.([a-z_]+)\.[sthau]\d*~-", lambda m: "{{ " + m.group(1) + ' | default("your outlet") }}', text)

    template = (
        "TO: {{email}}\nFROM: Press Office <press@example.org>\n"
        f"SUBJECT: {rendered.subject}\nMIME-Version: 1.0\n"
        'Content-Type: multipart/alternative; boundary="boundary"\n\n'
        "This is a MIME-encoded message.\n\n--boundary\nContent-Type: text/plain; charset=utf-8\n\n"
        f"{jinja(rendered.text)}\n\n--boundary\nContent-Type: text/html; charset=utf-8\n\n{jinja(rendered.html)}\n\n--boundary--\n"
    )
    (folder / "mailmerge_template.txt").write_text(template, encoding="utf-8")
    (folder / "mailmerge_server.conf").write_text("[smtp_server]\nhost = localhost\nport = 25\nsecurity = Never\n", encoding="utf-8")
    shutil.copyfile(folder / "lists" / "press.csv", folder / "mailmerge_database.csv")


def mailmerge_dry_run(folder: Path, executable: str) -> float:
    started = time.perf_counter()
    with open(os.devnull, "w") as sink:
        done = subprocess.run(
            [executable, "--dry-run", "--no-limit"], cwd=folder, stdout=sink, stderr=subprocess.PIPE, text=True, check=False
        )
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"mailmerge failed ({done.returncode}): {done.stderr[-2000:]}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--every", default="1000,10000", help="sizes for --eml all, comma-separated")
    parser.add_argument("--mailmerge", default=shutil.which("mailmerge"), help="the mailmerge executable")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        folder = project(Path(tmp) / "sampled", args.recipients)
        took = mailer_dry_run(folder)
        emls = sum(1 for _ in folder.glob("out/outbox/*/*.eml"))
        verdict = "OK" if took < TARGET_S else "MISSED"
        print(
            f"dry run, {args.recipients:,} recipients, default sampling ({emls} .eml): {took:.1f} s (target < {TARGET_S:.0f} s) {verdict}"
        )
        for count in (int(n) for n in args.every.split(",")):
            folder = project(Path(tmp) / f"all-{count}", count)
            took = mailer_dry_run(folder, "--eml", "all")
            line = f"--eml all, {count:,} recipients: mailer {took:.1f} s = {count / took:,.0f} messages/s"
            if args.mailmerge:
                mailmerge_template(folder)
                theirs = mailmerge_dry_run(folder, args.mailmerge)
                line += f"; mailmerge --dry-run --no-limit {theirs:.1f} s = {count / theirs:,.0f} messages/s ({theirs / took:.1f}x)"
            else:
                line += "; mailmerge not installed (pip install mailmerge), not compared"
            print(line)


if __name__ == "__main__":
    main()
