"""plan.build: one message per list row, requests inside SendGrid's per-request limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from send_fixtures import contact, contact_list, example_rendered, rejected, rendered

from mailer import compose, contacts
from mailer.compose.release import load as load_release
from mailer.config import Config
from mailer.errors import SendError, TemplateError
from mailer.models import Attachment, ContactList, MessageState, RejectReason, Rendered, fields_json
from mailer.send import plan
from mailer.transport.base import Request
from mailer.transport.mailsend import build_body, common_body


def test_plan_batches_respect_batch_size_and_keep_list_order() -> None:
    """2,500 recipients with batch_size 1000 -> requests of 1000, 1000, 500 in list order."""
    built = plan.build(rendered(), contact_list(2500), batch_size=1000)
    numbers = [m.request_no for m in built.recipients]
    assert built.request_count == 3
    assert [numbers.count(n) for n in (1, 2, 3)] == [1000, 1000, 500]
    assert numbers == sorted(numbers)
    assert [m.email for m in built.recipients] == [c.email for c in contact_list(2500).contacts]


def test_plan_batch_size_is_capped_at_sendgrid_limit() -> None:
    """A request never holds more than 1000 personalizations, whatever batch_size says."""
    built = plan.build(rendered(), contact_list(1500), batch_size=5000)
    assert built.request_count == 2


def test_plan_rejected_rows_become_skipped_messages_with_reason() -> None:
    """Every list row is a message: rejected rows are skipped with their reason and detail."""
    rows = (
        rejected("bad@@x", RejectReason.INVALID, "not an email address"),
        rejected("j00000@example.org", RejectReason.DUPLICATE, "duplicate of row 2"),
    )
    built = plan.build(rendered(), contact_list(3, rejected=rows))
    assert len(built.messages) == 5
    assert built.skipped() == {"invalid": 1, "duplicate": 1}
    skipped = [m for m in built.messages if m.state is MessageState.SKIPPED]
    assert [(m.email, m.detail, m.request_no) for m in skipped] == [
        ("bad@@x", "not an email address", None),
        ("j00000@example.org", "duplicate of row 2", None),
    ]


def test_plan_same_address_twice_is_planned_once() -> None:
    """A hand-built list with one address twice (any case) plans it once and skips the other."""
    people = ContactList((contact("Ann@x.org"), contact("ann@X.org", 3)), (), ())
    built = plan.build(rendered(), people)
    assert [m.email for m in built.recipients] == ["Ann@x.org"]
    assert built.skipped() == {"duplicate": 1}


def test_plan_message_keys_are_opaque_and_unique() -> None:
    """Keys are random hex, never derived from the address or the name."""
    built = plan.build(rendered(), contact_list(200))
    keys = [m.message_key for m in built.messages]
    assert len(set(keys)) == 200
    assert all(len(k) == 32 and int(k, 16) >= 0 for k in keys)
    again = plan.build(rendered(), contact_list(200))
    assert not set(keys) & {m.message_key for m in again.messages}  # the same people get new keys: nothing is derived


def test_plan_substitutions_are_the_composer_values() -> None:
    """Each recipient carries compose.substitutions of their fields (HTML-escaped where needed)."""
    release = example_rendered()
    built = plan.build(release, ContactList((contact("a@x.org", outlet="Tom & Jerry"),), (), ()))
    values = built.recipients[0].substitutions
    assert values == compose.substitutions(release, {"email": "a@x.org", "outlet": "Tom & Jerry"})
    assert "Tom &amp; Jerry" in values.values() and "Tom & Jerry" in values.values()


def test_plan_recipient_over_substitution_limit_is_skipped() -> None:
    """A journalist whose values exceed 10,000 bytes is skipped, saying why, not sent in a failing request."""
    release = example_rendered()
    people = ContactList((contact("big@x.org", outlet="é" * 4000), contact("ok@x.org", 3, outlet="Daily")), (), ())
    built = plan.build(release, people)
    assert [m.email for m in built.recipients] == ["ok@x.org"]
    big = next(m for m in built.messages if m.email == "big@x.org")
    assert big.skip_reason == "invalid"
    assert "SendGrid allows 10,000 per recipient" in (big.detail or "")


def test_plan_splits_batches_under_the_request_size_limit() -> None:
    """With a small size limit the plan cuts more requests, and every real body stays under it."""
    release = example_rendered()
    people = ContactList(tuple(contact(f"p{i}@x.org", i, outlet="Ö" * 300) for i in range(300)), (), ())
    limit = 200_000
    built = plan.build(release, people, max_request_bytes=limit)
    assert built.request_count > 1
    common = common_body(release, sendgrid=Config().sendgrid, sender=Config().sender, unsubscribe_tag="t")
    for number in range(1, built.request_count + 1):
        members = tuple(m for m in built.recipients if m.request_no == number)
        body = build_body(Request("2026-02-19-x", number, release, members), common)
        assert len(json.dumps(body).encode()) < limit


def test_plan_refuses_an_email_too_large_for_any_request() -> None:
    """Attachments over 30 MB cannot be sent at all: a clear error, before anything is logged."""
    huge = rendered(attachments=(Attachment("report.pdf", b"x" * 24_000_000, "application/pdf"),))
    with pytest.raises(SendError) as caught:
        plan.build(huge, contact_list(1))
    assert caught.value.message == (
        "The email itself (text, HTML, attachments and images: 22.9 MB of files, 30.5 MB once encoded for sending) is more "
        "than one request to SendGrid can carry (30 MB, with room for the request itself). Nothing was logged or sent."
    )
    assert caught.value.hint == "Put large files on your website and link to them from the release instead of attaching them."


HOSTILE_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40
)  # the release uses them without a default
BOUND_RELEASE = (
    '---\nsubject: "For {{ contact.first_name | upper }}"\nheadline: "H"\ndate: 2026-02-19\n---\n'
    "Dear {{ contact.first_name | title }}, [your page](https://x.example/?o={{ contact.outlet | urlencode }}&b={{ contact.beat }}) "
    '![{{ contact.outlet | default("you") }}](https://x.example/p.png) {{ contact.beat | default("bees", true) | capitalize }}\n'
)


@pytest.fixture(scope="module")
def bound_release(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    path = tmp_path_factory.mktemp("bound") / "r.md"
    path.write_text(BOUND_RELEASE, encoding="utf-8")
    return compose.render(load_release(path), config=Config())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=HOSTILE_TEXT, outlet=HOSTILE_TEXT, beat=HOSTILE_TEXT)
def test_plan_substitution_bound_is_never_below_the_real_size(bound_release: Rendered, first: str, outlet: str, beat: str) -> None:
    """The quick bound the plan trusts (no values worked out) is at least the real size, whatever the
    text (ligatures that upper() makes three letters, emoji in URLs, quotes in attributes)."""
    fields = {"email": "a@x.org", "first_name": first, "outlet": outlet, "beat": beat}
    exact = sum(len(k.encode()) + len(v.encode()) for k, v in compose.substitutions(bound_release, fields).items())
    bound = compose.bounder(bound_release)(fields)
    assert bound >= exact
    constant, factors = compose.bound_terms(bound_release)  # the same bound, as the column-by-column plan adds it up
    assert constant + sum(factor * len(fields.get(name, "")) for name, factor in factors.items()) == bound


def test_plan_trusts_the_bound_only_below_the_limit() -> None:
    """A journalist whose bound is over 10,000 bytes but whose real values fit is still a recipient."""
    release = example_rendered()
    people = ContactList((contact("long@x.org", outlet="o" * 2000),), (), ())
    assert compose.bounder(release)(people.contacts[0].fields) > plan.MAX_SUBSTITUTION_BYTES
    assert [m.email for m in plan.build(release, people).recipients] == ["long@x.org"]


def test_plan_of_a_loaded_list_numbers_requests_as_the_row_by_row_plan(tmp_path: Path) -> None:
    """A list read column by column is numbered from its columns; the requests are exactly those
    the row-by-row plan makes of the same journalists (a tuple of the same Contacts)."""
    path = tmp_path / "press.csv"
    rows = ["Email,First Name,Last Name,Outlet"] + [f"j{i}@example.org,Jo{i},Doe,Outlet {i % 7}" for i in range(2_345)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    loaded = contacts.load([path])
    release = example_rendered()
    by_columns = plan.build(release, loaded, batch_size=1000)
    by_rows = plan.build(release, ContactList(tuple(loaded.contacts), loaded.rejected, loaded.files), batch_size=1000)
    assert list(by_columns.request_of) == list(by_rows.request_of)
    assert by_columns.request_count == by_rows.request_count == 3
    assert [(m.email, m.request_no, m.substitutions) for m in by_columns.recipients] == [
        (m.email, m.request_no, m.substitutions) for m in by_rows.recipients
    ]


def test_plan_of_a_loaded_list_with_an_overlong_value_goes_row_by_row(tmp_path: Path) -> None:
    """A value whose bound passes SendGrid's limit sends the plan back to the row-by-row rules."""
    path = tmp_path / "press.csv"
    path.write_text("Email,Outlet\nlong@x.org," + "é" * 4000 + "\nok@x.org,Daily\n", encoding="utf-8")
    built = plan.build(example_rendered(), contacts.load([path]))
    assert [m.email for m in built.recipients] == ["ok@x.org"]
    assert built.skipped() == {"invalid": 1}


def _requests_by_number(built: plan.Plan, *, by_row: bool) -> dict[int, tuple[int, list[tuple[str, str, str, dict[str, str]]]]]:
    cut = built._requests_by_row() if by_row else built.requests()
    return {
        recipients.request_no or 0: (version, [(m.message_key, m.email, m.name, dict(m.substitutions)) for m in recipients])
        for version, recipients in cut
    }


def test_plan_requests_cut_from_columns_are_the_row_by_row_requests(tmp_path: Path) -> None:
    """A loaded list's requests are cut from its columns; every request holds the same journalists,
    message keys, To names and substitutions as the row-by-row path gives: two files with other
    columns, filters and defaults, a journalist without a first name, text that needs escaping, rows
    skipped in the middle (already received), so the requests are not runs of the list."""
    release_path = tmp_path / "r.md"
    release_path.write_text(BOUND_RELEASE, encoding="utf-8")
    release = compose.render(load_release(release_path), config=Config())
    first = tmp_path / "a.csv"
    first.write_text(
        "Email,First Name,Last Name,Outlet,Beat\n"
        + "".join(f"a{i}@example.org,Zoë{i},Doe,Le <Monde> & {i % 5},{'wasps' if i % 3 else 'bees'}\n" for i in range(1, 1_300))
        + "solo@example.org,Solo,,Daily,ants\n",
        encoding="utf-8",
    )
    second = tmp_path / "b.csv"
    second.write_text(
        "Email,First Name,Beat,Outlet,Country\n" + "".join(f'b{i}@example.org,Bo{i},bees,Radio "{i}",NG\n' for i in range(900)),
        encoding="utf-8",
    )
    loaded = contacts.load([first, second])
    received = {f"a{i}@example.org": "earlier" for i in range(1, 1_300, 7)}
    built, skipped = plan.skip_received(plan.build(release, loaded, batch_size=400), received)
    assert skipped == len(received)
    by_columns, by_rows = _requests_by_number(built, by_row=False), _requests_by_number(built, by_row=True)
    assert by_columns == by_rows
    assert sum(len(people) for _, people in by_columns.values()) == 1_300 + 900 - len(received)
    who = {email: (name, values) for _, people in by_columns.values() for _, email, name, values in people}
    assert who["solo@example.org"][0] == "Solo"
    assert "&lt;Monde&gt; &amp;" in "".join(who["a2@example.org"][1].values())  # escaped where it lands in HTML


def test_plan_requests_cut_from_columns_keep_each_version(tmp_path: Path) -> None:
    """With language versions, each request cut from the columns holds one version's journalists,
    as the row-by-row path cuts them."""
    versions = _language_versions(tmp_path)
    path = tmp_path / "press.csv"
    languages = ["fr", "de", "", "fr-CA", "ja", "EN"]
    path.write_text(
        "Email,First Name,Outlet,Language\n" + "".join(f"p{i}@example.org,P{i},Out {i},{languages[i % 6]}\n" for i in range(2_000)),
        encoding="utf-8",
    )
    built = plan.build(versions[0], contacts.load([path]), versions=versions[1:], batch_size=300)
    by_columns = _requests_by_number(built, by_row=False)
    assert by_columns == _requests_by_number(built, by_row=True)
    assert list(by_columns) == sorted(by_columns)  # sent in request order
    assert {version for version, _ in by_columns.values()} == {0, 1, 2}


def _language_versions(tmp_path: Path) -> list[Rendered]:
    languages = Path(__file__).parent / "data" / "releases" / "languages"
    for name in ("launch.md", "launch.fr.md"):
        (tmp_path / name).write_bytes((languages / name).read_bytes())
    from mailer.config import SenderConfig

    cfg = Config(sender=SenderConfig(postal_address="1 Hive Lane"))
    return list(compose.render_versions(load_release(tmp_path / "launch.md"), config=cfg).values())


def test_columns_substitutions_name_who_lacks_a_required_field(tmp_path: Path) -> None:
    """Cut from columns, a journalist without a field the release needs is named, as row by row."""
    path = tmp_path / "r.md"
    path.write_text('---\nsubject: "S"\nheadline: "H"\ndate: 2026-02-19\n---\nFor {{ contact.outlet }}.\n', encoding="utf-8")
    release = compose.render(load_release(path), config=Config())
    columns = {"email": ["a@x.org", "b@x.org"], "outlet": ["Daily", ""]}
    with pytest.raises(TemplateError, match='b@x.org has no "outlet"'):
        compose.substitutions_of_columns(release, columns, 2)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(HOSTILE_TEXT, HOSTILE_TEXT, st.sampled_from(["", "bees", "<b>&"]) | HOSTILE_TEXT), min_size=1, max_size=8))
def test_columns_substitutions_equal_the_journalist_by_journalist_ones(bound_release: Rendered, rows: list[tuple[str, str, str]]) -> None:
    """Whatever the text (repeated values, escapes, filters, empty cells), the substitutions worked out
    a column at a time are those ``substitutions`` gives each journalist."""
    columns = {
        "email": [f"j{i}@x.org" for i in range(len(rows))],
        "first_name": [r[0] for r in rows],
        "outlet": [r[1] for r in rows],
        "beat": [r[2] for r in rows],
    }
    try:
        expected = [compose.substitutions(bound_release, {name: values[i] for name, values in columns.items()}) for i in range(len(rows))]
    except TemplateError as missing:  # an empty beat: the release uses it without a default
        with pytest.raises(TemplateError) as found:
            compose.substitutions_of_columns(bound_release, columns, len(rows))
        assert found.value.message == missing.message
        return
    assert compose.substitutions_of_columns(bound_release, columns, len(rows)) == expected


def _column_rows(built: plan.Plan) -> list[tuple[object, ...]]:
    return [
        row
        for block in built.log_columns()
        for row in zip(
            block.message_keys,
            block.emails,
            block.fields,
            block.sources,
            block.states,
            block.skip_reasons,
            block.request_nos,
            block.details,
            block.languages,
            strict=True,
        )
    ]


def test_plan_log_columns_are_the_log_rows(tmp_path: Path) -> None:
    """The log's rows made a block at a time from the list's columns are the rows ``log_rows`` gives:
    two files with other columns, rows the lists rejected, a duplicate, rows already received."""
    first = tmp_path / "a.csv"
    first.write_text(
        "Email,First Name,Outlet\n" + "".join(f"a{i}@example.org,Ann{i},Daily\n" for i in range(9_000)) + "not an address,X,Y\n",
        encoding="utf-8",
    )
    second = tmp_path / "b.csv"
    second.write_text("Email,Beat\na5@example.org,bees\n" + "".join(f"b{i}@example.org,wasps\n" for i in range(300)), encoding="utf-8")
    loaded = contacts.load([first, second])
    built, skipped = plan.skip_received(
        plan.build(example_rendered(), loaded), {f"a{i}@example.org": "earlier" for i in range(0, 9_000, 13)}
    )
    assert skipped and loaded.rejected
    rows = list(built.log_rows())
    assert _column_rows(built) == [tuple(row) for row in rows]
    assert len(rows) == 9_000 + 300 + len(loaded.rejected)
    # The fields' text made a column at a time is the text the log makes of each row's fields.
    texts = [text for block in built.log_columns() for text in (block.fields_json or [fields_json(f) for f in block.fields])]
    assert texts == [fields_json(row[2]) for row in rows]
    assert {row[4] for row in rows} == {"planned", "skipped"}


def test_plan_log_columns_of_versions_name_each_language(tmp_path: Path) -> None:
    """With language versions, each row's column values (language included) are ``log_rows``' own."""
    versions = _language_versions(tmp_path)
    path = tmp_path / "press.csv"
    path.write_text("Email,Language\n" + "".join(f"p{i}@example.org,{['fr', 'de', ''][i % 3]}\n" for i in range(100)), encoding="utf-8")
    built = plan.build(versions[0], contacts.load([path]), versions=versions[1:])
    assert _column_rows(built) == [tuple(row) for row in built.log_rows()]
    assert {row[8] for row in built.log_rows()} == {"en", "fr", "de"}


def test_plan_requests_of_a_plan_whose_everyone_is_skipped_are_none(tmp_path: Path) -> None:
    """Everyone already received the release (skipped while the plan was logged): no request at all."""
    path = tmp_path / "press.csv"
    path.write_text("Email\na@example.org\nb@example.org\n", encoding="utf-8")
    built, skipped = plan.skip_received(
        plan.build(example_rendered(), contacts.load([path])), {"a@example.org": "c1", "b@example.org": "c1"}
    )
    assert skipped == 2
    assert list(built.requests()) == [] == list(built._requests_by_row())


def test_plan_of_a_loaded_list_in_several_languages_numbers_as_the_row_by_row_plan(tmp_path: Path) -> None:
    """With language versions, a list read column by column is numbered from its columns (each
    journalist's version from the language column), exactly as the row-by-row plan numbers the same
    Contacts: versions, request numbers, the count; a second file without a language column gets the
    main version."""
    versions = _language_versions(tmp_path)
    first = tmp_path / "a.csv"
    cells = ["fr", "de", "", "fr-CA", "ja", "EN", "DE"]
    first.write_text(
        "Email,First Name,Language\n" + "".join(f"p{i}@example.org,P{i},{cells[i % 7]}\n" for i in range(2_500)), encoding="utf-8"
    )
    second = tmp_path / "b.csv"
    second.write_text("Email\n" + "".join(f"q{i}@example.org\n" for i in range(700)), encoding="utf-8")
    loaded = contacts.load([first, second])
    assert (
        plan._numbered_by_columns((versions[0], *versions[1:]), loaded.contacts, 300, [10**7] * 3, plan.PER_PERSONALIZATION_OVERHEAD, 0)
        is not None
    )
    by_columns = plan.build(versions[0], loaded, versions=versions[1:], batch_size=300)
    by_rows = plan.build(
        versions[0], ContactList(tuple(loaded.contacts), loaded.rejected, loaded.files), versions=versions[1:], batch_size=300
    )
    assert list(by_columns.version_of) == list(by_rows.version_of)
    assert list(by_columns.request_of) == list(by_rows.request_of)
    assert by_columns.request_count == by_rows.request_count
    assert by_columns.version_counts() == by_rows.version_counts() == {"en": 1_771, "de": 714, "fr": 715}

    def without_keys(built: plan.Plan, *, by_row: bool) -> dict[int, tuple[int, list[tuple[str, str, dict[str, str]]]]]:
        return {n: (v, [person[1:] for person in people]) for n, (v, people) in _requests_by_number(built, by_row=by_row).items()}

    assert without_keys(by_columns, by_row=False) == without_keys(by_rows, by_row=True)  # each plan has its own random keys


@pytest.mark.parametrize("reserve", [(0, 0), (0, 300)])
def test_plan_numbered_from_columns_counts_every_journalists_fixed_cost(tmp_path: Path, reserve: tuple[int, int]) -> None:
    """Whatever the request size limit, a list read column by column is numbered as the row-by-row
    loop numbers it: the per-personalization overhead (and the transport's reserve) counted once
    per journalist, not once per request (hostile review 4)."""
    path = tmp_path / "press.csv"
    path.write_text(
        "Email,First Name,Last Name,Outlet\n" + "".join(f"j{i}@example.org,Jo,Doe,Daily\n" for i in range(1000)), encoding="utf-8"
    )
    loaded = contacts.load([path])
    release = example_rendered()
    by_rows_list = ContactList(tuple(loaded.contacts), loaded.rejected, loaded.files)
    common = plan._common_bytes(release)
    for budget in range(7_000_000, 7_700_000, 10_000):
        max_bytes = int((budget + common) / plan.REQUEST_SAFETY) + 2
        by_columns = plan.build(release, loaded, max_request_bytes=max_bytes, reserve=reserve)
        by_rows = plan.build(release, by_rows_list, max_request_bytes=max_bytes, reserve=reserve)
        assert list(by_columns.request_of) == list(by_rows.request_of), max_bytes


def test_plan_skip_received_counts_only_the_requests_left(tmp_path: Path) -> None:
    """After journalists who already received the release are skipped, ``request_count`` is the
    number of requests that still hold someone, and the others keep their numbers (the log holds
    them; a resume reads them): 2 new journalists of 45, at both ends, are 2 requests, not 5."""
    path = tmp_path / "press.csv"
    path.write_text("Email\n" + "".join(f"p{i}@example.org\n" for i in range(45)), encoding="utf-8")
    built = plan.build(example_rendered(), contacts.load([path]), batch_size=10)
    assert built.request_count == 5
    received = {f"p{i}@example.org": "earlier" for i in range(1, 44)}
    left, skipped = plan.skip_received(built, received)
    assert (skipped, left.request_count) == (43, 2)
    assert [(m.email, m.request_no) for m in left.recipients] == [("p0@example.org", 1), ("p44@example.org", 5)]
    assert [(version, r.request_no) for version, r in left.requests()] == [(0, 1), (0, 5)]
    nobody, _ = plan.skip_received(built, {**received, "p0@example.org": "earlier", "p44@example.org": "earlier"})
    assert nobody.request_count == 0


def test_plan_skip_received_counts_requests_per_language_version(tmp_path: Path) -> None:
    """With language versions (a request per version), the requests left are counted across versions."""
    versions = _language_versions(tmp_path)
    path = tmp_path / "press.csv"
    path.write_text("Email,Language\n" + "".join(f"p{i}@example.org,{['fr', ''][i % 2]}\n" for i in range(40)), encoding="utf-8")
    built = plan.build(versions[0], contacts.load([path]), versions=versions[1:], batch_size=10)
    assert built.request_count == 4
    left, _ = plan.skip_received(built, {f"p{i}@example.org": "earlier" for i in range(2, 40)})
    assert left.request_count == 2 and left.version_counts() == {"en": 1, "de": 0, "fr": 1}
