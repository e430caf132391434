"""Planning a send of a release in three languages, beside the same send of its main version alone.

Run with ``python benchmarks/plan_languages.py`` (``--rows 200000`` is the default; ``--repeat 3``).
Issue 14: each journalist gets the version their ``language`` column picks, and requests are cut
per version; the plan keeps one small number per contact, so the cost should stay near the
one-language plan's.

- **ours**: ``send.plan.build`` with the three versions of tests/data/releases/languages/launch.md
  (English, German in its translations block, French beside it), for a made-up list whose
  ``language`` cells cycle through fr, fr-CA, de, ja, (empty) and EN; then every recipient's
  Message read once, in request order, as a send reads them.
- **baseline**: the same list planned and read for the main (English) version alone.

Each run happens in a child process of its own (the list is made there, outside the timing).
Printed: CPU seconds of building and of reading, the child's peak RSS, and ours / baseline
(the best of ``--repeat`` runs each).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("fr", "fr-CA", "de", "ja", "", "EN")


def child(rows: int, versions: bool) -> dict[str, float]:
    """One measurement, in this process: build the plan, then read every recipient."""
    sys.path.insert(0, str(ROOT))
    from mailer import compose
    from mailer.compose import release
    from mailer.config import Config
    from mailer.models import Contact, ContactList
    from mailer.send import plan

    folder = Path(tempfile.mkdtemp())
    for name in ("launch.md", "launch.fr.md"):
        shutil.copy(ROOT / "tests" / "data" / "releases" / "languages" / name, folder / name)
    loaded = release.load(folder / "launch.md")
    every = list(compose.render_versions(loaded, config=Config(), now=datetime(2026, 2, 1, tzinfo=UTC)).values())
    people = ContactList(
        tuple(
            Contact(
                email=f"j{i:07d}@example.org",
                fields={"email": f"j{i:07d}@example.org", "first_name": f"Jo{i}", "last_name": "Doe", "language": LANGUAGES[i % 6]},
                source="press.csv",
                row=i + 2,
            )
            for i in range(rows)
        ),
        (),
        (),
    )
    start = time.process_time()
    built = plan.build(every[0], people, versions=every[1:] if versions else ())
    built_at = time.process_time()
    read = sum(1 for _ in built.recipients)
    done = time.process_time()
    shutil.rmtree(folder)
    assert read == rows
    return {
        "build": built_at - start,
        "read": done - built_at,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "requests": built.request_count,
    }


def measure(rows: int, versions: bool) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(rows), "--versions" if versions else "--one"],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", type=int)
    parser.add_argument("--versions", action="store_true")
    parser.add_argument("--one", action="store_true")
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.versions)))
        return
    results = {}
    for label, versions in (("baseline (one version)", False), ("ours (three versions)", True)):
        runs = [measure(args.rows, versions) for _ in range(args.repeat)]
        best = {key: min(run[key] for run in runs) for key in ("build", "read")}
        results[label] = best
        print(
            f"{label:24} build {best['build']:.3f} s CPU, read {best['read']:.3f} s CPU, "
            f"peak RSS {max(run['rss_mb'] for run in runs):.0f} MB, {runs[0]['requests']:.0f} requests ({args.rows:,} journalists)"
        )
    ours, base = results["ours (three versions)"], results["baseline (one version)"]
    print(
        f"ours / baseline: build {ours['build'] / base['build']:.2f}, read {ours['read'] / base['read']:.2f}, "
        f"both {(ours['build'] + ours['read']) / (base['build'] + base['read']):.2f}"
    )


if __name__ == "__main__":
    main()
