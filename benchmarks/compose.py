"""Time the composer: one render + inline of a two-page release, then 100,000 personalizations.

Run with ``python benchmarks/compose.py``. The release is the example release with its body
repeated to about 25 KB of HTML (two printed pages or more), with contact fields in the
subject, a greeting, a link and the text part. Figures are printed beside the targets from
issue 3: render + inline once under 0.15 s; personalization under 10 µs per recipient.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mailer import compose
from mailer.compose import release
from mailer.config import Config, SenderConfig

RECIPIENTS = 100_000
RENDER_TARGET_S = 0.15
PERSONALIZE_TARGET_US = 10.0


def two_page_release(folder: Path) -> Path:
    source = (ROOT / "releases" / "example.md").read_text(encoding="utf-8")
    front, body = source.split("\n---\n", 1)
    front = front.replace('subject: "', "subject: \"{{ contact.first_name | default('Hello') }}: ", 1)
    greeting = 'Dear {{ contact.first_name | default("colleague") }},\n\n'
    link = "\n\n[Your outlet's page](https://www.example.org/press?o={{ contact.outlet | urlencode }})\n"
    path = folder / "two-pages.md"
    path.write_text(front + "\n---\n" + greeting + (body + "\n\n") * 7 + link, encoding="utf-8")
    return path


def main() -> None:
    config = Config(sender=SenderConfig(postal_address="1 Example Street, Springfield"))
    with tempfile.TemporaryDirectory() as tmp:
        loaded = release.load(two_page_release(Path(tmp)))
        start = time.perf_counter()
        rendered = compose.render(loaded, config=config)
        cold = time.perf_counter() - start
        warm = []
        for _ in range(5):
            start = time.perf_counter()
            compose.render(loaded, config=config)
            warm.append(time.perf_counter() - start)
    print(f"release: {len(rendered.html) / 1024:.1f} KB HTML, {len(rendered.text) / 1024:.1f} KB text, {len(rendered.tokens)} tokens")
    print(
        f"render + inline once: cold {cold * 1000:.0f} ms, warm median {statistics.median(warm) * 1000:.0f} ms (target < {RENDER_TARGET_S * 1000:.0f} ms)"
    )

    people = [
        {"email": f"j{n}@example.org", "first_name": f"Name{n}" if n % 7 else "", "outlet": f"Outlet & Co {n % 500}"}
        for n in range(RECIPIENTS)
    ]
    start = time.perf_counter()
    for fields in people:
        compose.substitutions(rendered, fields)
    subs = (time.perf_counter() - start) / RECIPIENTS * 1e6
    print(f"substitutions() (what SendGrid gets): {subs:.2f} µs per recipient (target < {PERSONALIZE_TARGET_US:.0f} µs)")
    start = time.perf_counter()
    for fields in people:
        compose.personalize(rendered, fields)
    full = (time.perf_counter() - start) / RECIPIENTS * 1e6
    print(
        f"personalize() (whole subject + HTML + text, for dry runs): {full:.2f} µs per recipient (target < {PERSONALIZE_TARGET_US:.0f} µs)"
    )
    print(f"{RECIPIENTS:,} recipients: {subs * RECIPIENTS / 1e6:.2f} s substitutions, {full * RECIPIENTS / 1e6:.2f} s personalize")


if __name__ == "__main__":
    main()
