"""Time a 100,000-recipient send through the SendGrid stand-in answering each request after 100 ms.

Run with ``python benchmarks/send.py [--recipients N] [--naive-slice N]``. The stand-in runs
in its own process (so its JSON parsing does not compete with the sender for the GIL), with
the OpenAPI schema check off and SendGrid's limits still checked. Printed beside the targets
from issue 4:

- plan + log + send of 100k recipients, default concurrency: < 8 s wall, < 1 GB peak memory;
- the naive approach (one API call per recipient, one after the other) on a 2,000 slice,
  extrapolated to 100k: at least 1000 times slower;
- building a 1000-personalization body as a plain dict vs. with the library's helper classes.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from pydantic import SecretStr

from mailer import compose, contacts, send
from mailer.compose import release
from mailer.config import Config
from mailer.models import Contact, ContactList, Mode
from mailer.send import plan
from mailer.store import connect
from mailer.transport.base import Request
from mailer.transport.mailsend import build_body, common_body
from mailer.transport.sendgrid import SendGridTransport

LIST = ROOT / "benchmarks" / "data" / "press-100000.csv"
DELAY = 0.1
WALL_TARGET_S = 8.0
MEMORY_TARGET_MB = 1024
NAIVE_FACTOR_TARGET = 1000


def serve(queue: Any, delay: float) -> None:
    """The stand-in in a child process: every mail send answered after ``delay`` seconds."""
    from sendgrid_standin import SendGridStandIn
    from starlette.responses import JSONResponse

    standin = SendGridStandIn(validate=False)

    async def stats(_: Any) -> JSONResponse:
        accepted = standin.accepted_addresses()
        return JSONResponse(
            {"requests": len(standin.mail_sends), "addresses": len(accepted), "max_per_address": max(accepted.values(), default=0)}
        )

    standin.add_route("/_stats", stats)
    standin.slow(delay)
    standin.start()
    queue.put((standin.url, standin.api_key))
    while True:
        time.sleep(3600)


def padded(found: Sequence[Contact], count: int) -> tuple[Contact, ...]:
    """The list's valid contacts (a tuple, or the column-wise table ``contacts.load`` gives), topped
    up with made-up ones to reach ``count`` recipients."""
    extra = tuple(
        Contact(f"extra{i}@example.net", {**found[i % len(found)].fields, "email": f"extra{i}@example.net"}, "made-up", i)
        for i in range(max(0, count - len(found)))
    )
    return (tuple(found[: min(count, len(found))]) + extra)[:count]


def stats(url: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{url}/_stats") as answer:
        return json.loads(answer.read())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--naive-slice", type=int, default=2_000)
    args = parser.parse_args()

    queue: Any = multiprocessing.get_context("spawn").Queue()
    server = multiprocessing.get_context("spawn").Process(target=serve, args=(queue, DELAY), daemon=True)
    server.start()
    url, key = queue.get(timeout=60)
    base = Config()
    config = base.model_copy(update={"sendgrid": base.sendgrid.model_copy(update={"api_url": url})})
    rendered = compose.render(release.load(ROOT / "releases" / "example.md"), config=config)
    if not LIST.exists():  # the same list benchmarks/lists_check.py makes
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from lists_check import generate

        LIST.parent.mkdir(parents=True, exist_ok=True)
        generate(LIST, 100_000)
    loaded = contacts.load([LIST])
    people = ContactList(padded(loaded.contacts, args.recipients), (), loaded.files)
    print(
        f"{len(people.contacts):,} recipients ({len(loaded.contacts):,} valid rows of {LIST.name}, the rest made up); stand-in answers after {DELAY * 1000:.0f} ms; concurrency {config.sendgrid.concurrency}"
    )

    def transport() -> SendGridTransport:
        return SendGridTransport(
            api_key=SecretStr(key), sendgrid=config.sendgrid, sender=config.sender, unsubscribe_tag=compose.unsubscribe_tag(config)
        )

    with tempfile.TemporaryDirectory() as folder:
        engine = connect(f"sqlite:///{folder}/log.db")
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        built = plan.build(rendered, people, batch_size=config.sendgrid.batch_size)
        t1 = time.perf_counter()
        recorded = send.record(engine, built, mode=Mode.LIVE, slug="bench", lists=[LIST.name], filters={}, sender={})
        first = recorded.parts.written if recorded.parts is not None else len(built.messages)  # rows written with the campaign
        t2 = time.perf_counter()
        cpu2 = time.process_time()
        outcome = send.run(
            engine,
            recorded.campaign_id,
            rendered=rendered,
            transport=transport(),
            pacing=send.Pacing.from_config(config.sendgrid),
            plan=built,
            parts=recorded.parts,  # the rest of the plan, written as the requests go (README "How a large send runs")
        )
        t3 = time.perf_counter()
        cpu3 = time.process_time()
    seen = stats(url)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    wall = t3 - t0
    print(f"plan.build:   {t1 - t0:6.2f} s  ({(t1 - t0) / len(people.contacts) * 1e6:.1f} µs per recipient)")
    print(
        f"send.record:   {t2 - t1:6.2f} s  (campaign + {first:,} rows in one transaction, {len(built.messages) - first:,} kept in parts; CPU {cpu2 - cpu0:.2f} s for plan + log)"
    )
    print(f"send.run:     {t3 - t2:6.2f} s  ({seen['requests']} requests and the parts written meanwhile, CPU {cpu3 - cpu2:.2f} s)")
    print(
        f"accepted:     {outcome.counts['accepted']:,} logged; stand-in saw {seen['addresses']:,} addresses, at most {seen['max_per_address']} time(s) each"
    )
    print(f"TOTAL wall:   {wall:6.2f} s   target < {WALL_TARGET_S:.0f} s   {'OK' if wall < WALL_TARGET_S else 'MISSED'}")
    print(f"peak memory:  {peak_mb:6.0f} MB  target < {MEMORY_TARGET_MB} MB  {'OK' if peak_mb < MEMORY_TARGET_MB else 'MISSED'}")

    # Naive: one API call per recipient, one after the other.
    slice_ = ContactList(people.contacts[: args.naive_slice], (), ())
    naive_plan = plan.build(rendered, slice_, batch_size=1)
    with tempfile.TemporaryDirectory() as folder:
        engine = connect(f"sqlite:///{folder}/log.db")
        naive_id = send.record(engine, naive_plan, mode=Mode.LIVE, slug="naive", lists=[LIST.name], filters={}, sender={}).campaign_id
        n0 = time.perf_counter()
        send.run(engine, naive_id, rendered=rendered, transport=transport(), pacing=send.Pacing(concurrency=1))
        naive = time.perf_counter() - n0
    extrapolated = naive / len(slice_.contacts) * len(people.contacts)
    factor = extrapolated / (t3 - t2) if t3 > t2 else float("inf")
    print(
        f"naive:        {naive:6.1f} s for {len(slice_.contacts):,} (one request each) -> {extrapolated:,.0f} s for {len(people.contacts):,}"
    )
    print(
        f"naive/batched send: {factor:,.0f}x (vs. send.run), {extrapolated / wall:,.0f}x (vs. plan+log+send)   target >= {NAIVE_FACTOR_TARGET}x   {'OK' if extrapolated / wall >= NAIVE_FACTOR_TARGET else 'MISSED'}"
    )

    body_timings(rendered, built, config)
    server.terminate()


def body_timings(rendered: Any, built: plan.Plan, config: Config) -> None:
    """A 1000-personalization body: plain dict vs. the sendgrid helper classes."""
    from sendgrid.helpers.mail import (
        Category,
        Content,
        CustomArg,
        From,
        Mail,
        Personalization,
        Substitution,
        To,
    )

    members = tuple(m for m in built.recipients[:1000])
    request = Request("2026-02-19-bench", 1, rendered, members)
    common = common_body(rendered, sendgrid=config.sendgrid, sender=config.sender, unsubscribe_tag="t")

    def with_dicts() -> Any:
        return build_body(request, common)

    def with_helpers() -> Any:
        mail = Mail()
        mail.from_email = From(config.sender.from_email, config.sender.from_name)
        mail.subject = rendered.subject
        mail.add_content(Content("text/plain", rendered.text))
        mail.add_content(Content("text/html", rendered.html))
        mail.add_category(Category(config.sendgrid.category))
        for message in members:
            personalization = Personalization()
            personalization.add_to(To(message.email, message.name or None))
            for tag, value in message.substitutions.items():
                personalization.add_substitution(Substitution(tag, value))
            personalization.add_custom_arg(CustomArg("campaign", request.campaign_id))
            personalization.add_custom_arg(CustomArg("message", message.message_key))
            mail.add_personalization(personalization, index=len(mail.personalizations or []))
        return mail.get()

    for name, build in (("dict body", with_dicts), ("helper classes", with_helpers)):
        runs = []
        for _ in range(15):
            start = time.perf_counter()
            json.dumps(build())
            runs.append(time.perf_counter() - start)
        print(f"{name:15s} 1000 personalizations + json.dumps: median {statistics.median(runs) * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
