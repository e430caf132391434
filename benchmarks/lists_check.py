"""Time `mailer lists check` on generated press lists of 100,000 and 1,000,000 rows.

Run with ``python benchmarks/lists_check.py`` (add ``--rows 100000`` to time one size). The
lists are written once under benchmarks/data/ (git-ignored) with realistic columns, about 2%
invalid and 3% duplicate addresses (some differing only in case) and a few internationalized
ones. Each size is timed as a whole command in a fresh process, start-up included, and its
peak memory (max RSS of the child) is printed beside the targets from issue 2.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).parent / "data"
TARGETS = {100_000: 1.0, 1_000_000: 5.0}  # seconds, whole command
MEMORY_TARGET_MB = 1500

FIRST = ["Jane", "John", "Amara", "Li", "Sofia", "Mateo", "Chloé", "Søren", "Priya", "Kwame", "Ana", "Yuki"]
LAST = ["Doe", "Smith", "Okafor", "Wei", "García", "Müller", "Ng", "Silva", "Kowalski", "Haddad", "Berg"]
OUTLETS = ["Daily Example", "Example Times", "The Sample Post", "Example Radio", "Tech Example", "Health Weekly"]
TITLES = ["Reporter", "Editor", "Correspondent", "Producer", "Columnist", "Freelance Journalist"]
BEATS = ["health", "science", "politics", "business", "technology", "climate", "education"]
TAGS = ["science", "health", "vip", "radio", "print", "online", "eu", "us"]
COUNTRIES = ["US", "CA", "GB", "DE", "FR", "ES", "IN", "JP", "BR", "NG"]
LANGUAGES = ["en", "de", "fr", "es", "pt", "ja"]
DOMAINS = ["example.com", "example.org", "example.net", "news.example.com", "mail.example.org"]
INVALID = [
    "{u}@@example.com",
    "{u}.example.org",
    "{u}@example",
    "{u}@exa mple.com",
    "{u}@example..com",
    ".{u}@example.net",
]
INTERNATIONAL = ["josé.{u}@example.org", "{u}@bücher.example.com", "søren.{u}@example.net"]


def generate(path: Path, rows: int, *, seed: int = 2, valid_only: bool = False) -> None:
    """Write a realistic list of ``rows`` journalists (about 2% invalid, 3% duplicates).

    With ``valid_only`` every address is a valid, distinct ASCII one (the same names and
    columns): a list where every row becomes a recipient, for the send benchmarks.
    """
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Email", "First Name", "Last Name", "Outlet", "Title", "Beat", "Tags", "Country", "Language", "Twitter"])
        for index in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            user = f"{first.lower()}.{last.lower()}{index}".encode("ascii", "ignore").decode()
            draw = 1.0 if valid_only else rng.random()
            if draw < 0.02:
                email = rng.choice(INVALID).format(u=user)
            elif draw < 0.05 and written:
                previous = rng.choice(written)
                email = previous.upper() if rng.random() < 0.3 else previous
            elif draw < 0.051:
                email = rng.choice(INTERNATIONAL).format(u=user)
            else:
                email = f"{user}@{rng.choice(DOMAINS)}"
                written.append(email)
            tags = "; ".join(rng.sample(TAGS, rng.randint(0, 3)))
            writer.writerow(
                [
                    email,
                    first,
                    last,
                    rng.choice(OUTLETS),
                    rng.choice(TITLES),
                    rng.choice(BEATS),
                    tags,
                    rng.choice(COUNTRIES),
                    rng.choice(LANGUAGES),
                    f"@{user[:15]}",
                ]
            )


def time_check(path: Path) -> tuple[float, float]:
    """Seconds and peak memory (MB) of one `mailer lists check FILE` in a fresh process."""
    command = [sys.executable, "-m", "mailer", "lists", "check", str(path)]
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        raise SystemExit(f"mailer lists check failed ({completed.returncode}):\n{completed.stderr}")
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, peak_kb / 1024


def time_help() -> float:
    """Seconds for `mailer --help`: the start-up cost every command pays."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mailer", "--help"], capture_output=True, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="list size(s) to time (default: 100000 and 1000000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the best is reported")
    args = parser.parse_args()
    sizes = args.rows or sorted(TARGETS)
    print(f"mailer --help: {min(time_help() for _ in range(args.repeat)):.2f} s")
    for rows in sizes:
        path = DATA / f"press-{rows}.csv"
        if not path.exists():
            print(f"generating {path} ...", flush=True)
            generate(path, rows)
        # Each run is a separate child; ru_maxrss of children is the largest so far, so the
        # smaller size goes first and each figure is the peak of that size or a smaller one.
        runs = [time_check(path) for _ in range(args.repeat)]
        best = min(seconds for seconds, _ in runs)
        peak = max(memory for _, memory in runs)
        target = TARGETS.get(rows)
        verdict = "" if target is None else f" (target < {target:.0f} s: {'met' if best < target else 'MISSED'})"
        print(
            f"lists check {rows:>9,} rows: {best:.2f} s{verdict}, peak memory {peak:.0f} MB "
            f"(target < {MEMORY_TARGET_MB} MB: {'met' if peak < MEMORY_TARGET_MB else 'MISSED'})"
        )


if __name__ == "__main__":
    main()
