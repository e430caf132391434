"""Release + template -> Rendered: inlined HTML, a plain-text part and substitution tokens.

A release is rendered and inlined ONCE per campaign. Contact fields print as tokens (see
mailer/tokens.py for their format and why); each journalist's values then travel in that
journalist's SendGrid ``substitutions`` (``substitutions()``), and ``personalize()`` applies
the same values locally, so the preview, the dry run and the tests show exactly what each
journalist receives. ``render_for()`` is the slow reference (one full render per journalist)
that the tests compare ``personalize()`` against.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import re
import secrets
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape as unescape_html
from pathlib import Path

import platformdirs

from mailer import unsubscribe
from mailer.compose import labels, markup, tokens, versions
from mailer.compose.inline import absolute, inline
from mailer.compose.release import Release
from mailer.config import APP_NAME, Config
from mailer.counting import counted
from mailer.errors import ReleaseError, TemplateError
from mailer.models import (
    CANONICAL_FIELDS,
    Attachment,
    Contact,
    ContactTable,
    Personalized,
    Rendered,
    Token,
    common_request_bytes,
    too_large_for_a_request,
)

ASM_UNSUBSCRIBE_TAG = "<%asm_group_unsubscribe_raw_url%>"
SUBSCRIPTION_TAG = "-~unsubscribe_url~-"
TEST_PREFIX = "[TEST] "
TEST_BANNER_HTML = (
    '<div style="background:#fff3cd;border:2px solid #b58100;color:#5c4400;font-family:Arial,Helvetica,sans-serif;'
    'font-size:16px;font-weight:bold;padding:12px;text-align:center">TEST SEND: this is a proof for staff. '
    "Journalists have not received it.</div>"
)
TEST_BANNER_TEXT = "*** TEST SEND: this is a proof for staff. Journalists have not received it. ***\n\n"
MB = 1024 * 1024
# Gmail shows "[Message clipped]" past about 102 KB of HTML (its help pages and every email-size guide).
GMAIL_CLIP_BYTES = 102 * 1024


def unsubscribe_tag(config: Config) -> str:
    """The tag the footer's unsubscribe link carries; replaced per journalist in the live request.

    With an unsubscribe group: the group's raw URL tag. Otherwise subscription tracking's
    ``substitution_tag``, which the transport sets to exactly this string; in one-click mode
    (mailer/unsubscribe.py) the same string is a substitution carrying our own signed link.
    """
    return ASM_UNSUBSCRIBE_TAG if unsubscribe.mode(config) is unsubscribe.Mode.GROUP else SUBSCRIPTION_TAG


def inline_cache() -> Path:
    """The folder where campaign renders' inlined HTML is kept (``~/.cache/press-mailer/inlined`` on Linux)."""
    return platformdirs.user_cache_path(APP_NAME, appauthor=False) / "inlined"


def render(release: Release, *, config: Config, test: bool = False, now: datetime | None = None) -> Rendered:
    """Render and inline the release once, with tokens where contact fields go.

    ``test=True`` adds "[TEST] " to the subject and a visible banner; ``content_hash`` is the
    same either way, so a live send can tell whether this exact content was test-sent.
    ``release`` is what ``release.load(path)`` returns. Raises TemplateError for a template
    that is missing or fails (file and line), ReleaseError for what the release itself gets wrong,
    or for a ``release`` that is not a loaded release (its file's path, say).
    """
    if not isinstance(release, Release):
        raise ReleaseError(
            f"compose.render takes a release loaded from its file, not a {type(release).__name__}.",
            hint='Load it first: compose.render(release.load("releases/example.md"), config=cfg).',
        )
    found: dict[str, Token] = {}
    mode = markup.TokenMode(found)
    parts = markup.build(release, config=config, mode=mode, unsubscribe_url=tokens.UNSUBSCRIBE_PLACEHOLDER)
    # Tokens, not a journalist's values: the result may be kept in the user's cache folder.
    html, css_warnings = inline(parts.html, css=parts.css, css_name=parts.css_name, base_url=config.compose.base_url, cache=inline_cache())
    html = _settle_html_tokens(html, found)
    html = _absolute_links(html, base_url=config.compose.base_url, template=parts.template)
    # Again as lxml wrote it (review 24x #5): "<!--><script>...-->" is one comment to the first check's
    # parser, but an empty comment and a script to lxml, as to a browser.
    markup.refuse_active(html, Path(parts.template))
    tag = unsubscribe_tag(config)
    html = html.replace(tokens.UNSUBSCRIBE_PLACEHOLDER, tag)
    text = parts.text.replace(tokens.UNSUBSCRIBE_PLACEHOLDER, tag)
    used = {name: spec for name, spec in found.items() if any(name in part for part in (html, text, parts.subject, parts.preheader))}
    _check_tokens_intact((parts.subject, html, text), used)
    digest = hashlib.sha256()
    for piece in (parts.subject, html, text):
        digest.update(piece.encode("utf-8") + b"\0")
    attachments = release.attachments + parts.images
    for attachment in attachments:
        digest.update(attachment.filename.encode("utf-8") + b"\0" + hashlib.sha256(attachment.content).digest())
    subject = parts.subject
    if test:
        subject = TEST_PREFIX + subject
        html = _add_banner(html)
        text = TEST_BANNER_TEXT + text
    return Rendered(
        release_path=str(release.path),
        content_hash=digest.hexdigest(),
        subject=subject,
        preheader=parts.preheader,
        html=html,
        text=text,
        fields=tuple(sorted({spec.field for spec in used.values()})),
        embargo=release.embargo,
        from_email=release.from_email or config.sender.from_email,
        from_name=tokens.escape_subject(release.from_name or config.sender.from_name),
        reply_to=release.reply_to or config.sender.reply_to,
        attachments=attachments,
        warnings=(
            *release.notes,
            *parts.warnings,
            *css_warnings,
            *_warnings(release, config, subject, html, attachments, now, text, unsubscribe_tag=tag, template=parts.template),
        ),
        tokens=used,
        unsubscribe_tag=tag,
        unsubscribe_proof=unsubscribe.proof_url(config),
        language=release.language,
        template=_own_template(parts.template),
        source_hash=_source_hash(release, config, parts, attachments, tag),
    )


def _source_hash(release: Release, config: Config, parts: markup.Parts, attachments: Iterable[Attachment], tag: str) -> str:
    """``Rendered.source_hash``: SHA-256 of what the office wrote, "" when the release file cannot be read again.

    The release file's bytes (front matter and text; an undated release is the same file every day),
    with the main file a language version takes what it lacks from and the about_file its About text is read from,
    the template files the render read, the stylesheet and the labels file, by their names in the templates folder
    (a colleague's copy of the office folder elsewhere on disk is the same), each attachment and
    image, and the settings the email shows (From, Reply-To, postal address, base URL, unsubscribe
    link). Not press-mailer's own work: a newer version that writes the same release differently
    (inlining, escaping, spacing) gives the same fingerprint.
    """
    # The release file, the main file a language version sent alone takes its date, dateline, contact and
    # sender from, and the files its texts come from (about_file; a version's inherited texts): review28.
    files = dict.fromkeys([release.path, versions.main_of(release.path), *(piece.path for piece in release.texts())])
    try:
        written = [file.read_bytes() for file in files if file is not None]
    except OSError:
        return ""
    digest = hashlib.sha256(b"press-mailer source 1\0")
    pieces: list[bytes] = [len(written).to_bytes(8, "big"), *written]
    # And the release as it was read: a file saved again between that and this is no longer what the email says.
    texts = (release.subject, release.headline, release.subheadline, release.preheader, release.about, release.body)
    pieces += [b"-" if piece is None else b"+" + piece.source.encode("utf-8", "surrogatepass") for piece in texts]
    pieces += [str(release.dateline or "").encode("utf-8", "surrogatepass"), repr(release.contact).encode("utf-8", "surrogatepass")]
    # press-mailer's built-in template is its own work, as its built-in labels are: by name only (review28).
    builtin = Path(parts.template).parent == markup.BUILTIN_TEMPLATES
    for name, text in parts.template_sources:
        pieces += [name.encode("utf-8"), b"built-in" if builtin else text.encode("utf-8", "surrogatepass")]
    pieces.append(b"built-in" if builtin else parts.css.encode("utf-8", "surrogatepass"))
    office_labels = Path(parts.template).parent / labels.FILE_NAME  # the office's own labels beside its template
    try:
        pieces.append(office_labels.read_bytes() if parts.template and office_labels.is_file() else b"")
    except OSError:
        return ""
    for attachment in attachments:
        pieces += [attachment.filename.encode("utf-8"), hashlib.sha256(attachment.content).digest()]
    sender = config.sender
    settings = (sender.from_email, sender.from_name, sender.reply_to, sender.postal_address, config.compose.base_url, tag)
    pieces += [str(value or "").encode("utf-8") for value in settings]
    for piece in pieces:
        digest.update(len(piece).to_bytes(8, "big") + piece)
    return digest.hexdigest()


def unsubscribe_missing(rendered: Rendered) -> str:
    """Which part of the email lacks its unsubscribe link ("HTML part", "text part", "HTML and text
    parts"), "" when both have it: an office's template may leave ``{{ unsubscribe_url }}`` out."""
    tag = rendered.unsubscribe_tag
    if not tag:
        return ""
    missing = [part for part, content in (("HTML", rendered.html), ("text", rendered.text)) if tag not in content]
    return "" if not missing else f"{' and '.join(missing)} part" + ("s" if len(missing) > 1 else "")


def _own_template(html_path: str) -> str:
    """The office's own template file (its folder's or one beside the release), as the preview and the
    plan show it, so that a release.html.j2 lying beside a release never replaces the built-in one unseen;
    "" for a built-in template."""
    path = Path(html_path)
    if path.parent.resolve() == markup.BUILTIN_TEMPLATES or _same_as_built_in(path):
        return ""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _same_as_built_in(html_path: Path) -> bool:
    """Whether the template's three files are copies of the built-in ones of the same name (an office
    that copied the templates folder and changed nothing)."""
    stem = html_path.name.removesuffix(".html.j2")
    for suffix in (".html.j2", ".txt.j2", ".css"):
        own, built_in = html_path.with_name(stem + suffix), markup.BUILTIN_TEMPLATES / (stem + suffix)
        try:
            if own.read_bytes() != built_in.read_bytes():
                return False
        except OSError:
            return False
    return True


def render_versions(release: Release, *, config: Config, test: bool = False, now: datetime | None = None) -> dict[str, Rendered]:
    """Language -> Rendered for every version of the release, the main (default) version first."""
    return {language: render(version, config=config, test=test, now=now) for language, version in release.all_versions().items()}


def render_for(release: Release, fields: Mapping[str, str], *, config: Config) -> Personalized:
    """One journalist's email rendered and inlined directly: slow, the reference for tests."""
    placeholder = f"-~unsubscribe.{secrets.token_hex(8)}~-"  # a journalist's value cannot hold it
    parts = markup.build(release, config=config, mode=markup.ValueMode(fields), unsubscribe_url=placeholder)
    # Each journalist's value escaped for where it lands, as the send's tokens are (review 27a)
    html, _ = inline(parts.html, css=parts.css, css_name=parts.css_name, base_url=config.compose.base_url)
    html = markup.settle_values(html)
    proof = unsubscribe.proof_url(config)  # as personalize() shows it: a proof never carries the tag
    return Personalized(
        subject=parts.subject,
        html=html.replace(placeholder, tokens.escape_url(proof)),
        text=parts.text.replace(placeholder, proof),
    )


def substitutions(rendered: Rendered, fields: Mapping[str, str]) -> dict[str, str]:
    """Token -> this journalist's value, escaped for where the token sits (SendGrid substitutions)."""
    return _values(_prepared(rendered), fields)


def substituter(rendered: Rendered) -> Callable[[Mapping[str, str]], dict[str, str]]:
    """``substitutions`` with the release's part done once: fields -> the same dict, for many journalists."""
    return functools.partial(_values, _prepared(rendered))


def substitutions_of_columns(rendered: Rendered, columns: Mapping[str, Sequence[str]], count: int) -> list[dict[str, str]]:
    """``substitutions`` for ``count`` journalists at once, from their fields as columns (field ->
    one text per journalist, "" where one has none; a field without a column is "" for all):
    the same dicts, in order, token by token instead of journalist by journalist.

    Raises TemplateError, naming the first journalist concerned, when one lacks a field the
    release uses without a default (as ``substitutions`` does).
    """
    prepared = _prepared(rendered)
    if not prepared.plan:
        return [{} for _ in range(count)]
    blank = [""] * count
    names, values = [], []
    try:
        for name, field, steps, escape, as_is in prepared.plan:
            column = columns.get(field, blank)
            # Each distinct value is worked out once: a list repeats outlets, beats, first names.
            distinct = set(column)
            if as_is:
                done = {value: escape(value) for value in distinct if value}
                if "" in distinct:
                    done[""] = escape(tokens.prepare(field, steps, None))
            else:
                done = {value: escape(tokens.prepare(field, steps, value or None)) for value in distinct}
            values.append([done[value] for value in column])
            names.append(name)
    except tokens.Missing:
        for row in range(count):  # the journalist-by-journalist path names who lacks what
            _values(prepared, {field: column[row] for field, column in columns.items()})
        raise
    made: list[dict[str, str]] = [{} for _ in range(count)]
    for name, column_values in zip(names, values, strict=True):  # a token at a time: a fifth of dict(zip()) per journalist
        for one, value in zip(made, column_values):
            one[name] = value
    return made


def bounder(rendered: Rendered) -> Callable[[Mapping[str, str]], int]:
    """fields -> an upper bound of ``substitutions(rendered, fields)``'s size as SendGrid measures
    it (UTF-8 bytes of keys and values), without working the values out: a few length sums. The
    release's part is done once, here."""
    return functools.partial(_bound, _prepared(rendered))


# The most one character of a journalist's text can become in a substitution: upper() or
# title() can make it three characters, each up to 4 UTF-8 bytes, and each byte "%XX" in a URL
# (escaping for HTML makes one byte 6 at most: "&quot;").
_GROWTH = 36


def bound_terms(rendered: Rendered) -> tuple[int, dict[str, int]]:
    """``bounder``'s bound as terms: a constant, plus each field's length in characters times a
    factor (``bounder(rendered)(fields) == constant + sum(factor * len(fields[f]))``), so a whole
    column of journalists can be bounded at once."""
    prepared = _prepared(rendered)
    factors: dict[str, int] = {}
    for field in prepared.fields:
        factors[field] = factors.get(field, 0) + _GROWTH
    return prepared.bound, factors


def _bound(prepared: _Prepared, fields: Mapping[str, str]) -> int:
    total = prepared.bound
    get = fields.get
    for field in prepared.fields:
        value = get(field)
        if value:
            total += _GROWTH * len(value)
    return total


def _values(prepared: _Prepared, fields: Mapping[str, str]) -> dict[str, str]:
    values = {}
    try:
        for name, field, steps, escape, as_is in prepared.plan:
            value = fields.get(field)
            values[name] = escape(value if value and as_is else tokens.prepare(field, steps, value or None))
    except tokens.Missing as missing:
        who = fields.get("email", "this contact")
        raise TemplateError(
            f'{who} has no "{missing.field}", which the release uses without a default.',
            hint=f'Fill in {missing.field} in the list, or write {{{{ contact.{missing.field} | default("...") }}}}.',
        ) from None
    return values


# config.example.toml's postal_address: copied into mailer.toml and left there, it put a made-up
# address in every journalist's footer, where anti-spam laws want the office's own (newcomer 28 #2).
EXAMPLE_POSTAL_ADDRESS = "Example Association, 100 Example Street, Springfield, ST 00000, USA"
EXAMPLE_POSTAL_WORDS = (
    "The postal address in every email's footer is config.example.toml's made-up postal address "
    f'("{EXAMPLE_POSTAL_ADDRESS}"): set [sender] postal_address in mailer.toml to your office\'s own'
)


def example_postal_address(config: Config) -> bool:
    """Whether mailer.toml still holds config.example.toml's postal address (spaces aside)."""
    given = config.sender.postal_address
    return given is not None and " ".join(given.split()) == EXAMPLE_POSTAL_ADDRESS


def personalize(rendered: Rendered, fields: Mapping[str, str] | Contact) -> Personalized:
    """The exact subject, HTML and text one journalist receives (substitutions applied locally).

    ``fields``: the journalist's ``Contact.fields`` (field -> text), or the Contact itself.
    Raises TemplateError when they lack a field the release uses without a default.

    This is the proof path (preview, dry run, archive): the unsubscribe tag becomes the proof
    link (``Rendered.unsubscribe_proof``), never a raw tag nor a link that would unsubscribe
    anyone; the live request keeps the tag for SendGrid (or our one-click substitution).
    """
    if isinstance(fields, Contact):
        fields = fields.fields
    prepared = _prepared(rendered)
    values = _values(prepared, fields)
    if rendered.unsubscribe_tag:
        values[rendered.unsubscribe_tag] = rendered.unsubscribe_proof
    return Personalized(subject=prepared.subject.fill(values), html=prepared.html.fill(values), text=prepared.text.fill(values))


def preheader_for(rendered: Rendered, fields: Mapping[str, str]) -> str:
    """The inbox preview text one journalist sees."""
    return tokens.split(rendered.preheader, rendered.tokens).fill(substitutions(rendered, fields))


def check_fields(rendered: Rendered, contacts: Iterable[Contact]) -> None:
    """Refuse a campaign in which some journalists lack a field the release uses without a default.

    A list held column by column (``ContactTable``) is checked a column at a time.
    """
    required = sorted({spec.field for spec in rendered.tokens.values() if tokens.needs_value(spec)})
    if not required:
        return
    lacking = _lacking_in_columns(contacts, required) if isinstance(contacts, ContactTable) else _lacking(contacts, required)
    problems = []
    for field, (count, first) in lacking.items():
        if count:
            shown = ", ".join(first) + (f" and {count - 3} more" if count > 3 else "")
            problems.append(f'"{field}" is empty for {counted(count, "contact")}: {shown}')
    if problems:
        raise TemplateError(
            "The release uses contact fields that some journalists lack:\n  " + "\n  ".join(problems),
            hint='Fill them in the list, or give the field a default in the release: {{ contact.FIELD | default("...") }}.',
        )


def unknown_fields(
    versions: Sequence[Rendered], people: Sequence[Contact], *, read_as: Callable[[str], str | None] | None = None
) -> list[str]:
    """Contact fields the release uses that no list has a column for: a misspelt name, most often.
    What ``mailer send`` and ``mailer preview --list`` both check (promise 9: the proof is refused
    or warned of as the send is; newcomer 15 #3).

    Raises TemplateError for one used without a default (it named a field "empty for N contacts"
    while the list had every first name; newcomer review 8); returns a warning for each used with
    a default, which every journalist would then get.
    """
    if not people:
        return []
    if isinstance(people, ContactTable):
        known = set(people.field_names)
    else:
        known = {name for person in people for name in person.fields}
    required, defaulted = _outside(versions, known)
    if required:
        raise TemplateError(
            "The release uses contact fields no list has a column for: "
            + ", ".join(_named(field, known, read_as) for field in required)
            + ".",
            hint="Fix the name in the release ({{ contact.first_name }} for a First Name column), or add the column to the list. "
            f"The lists' fields: {', '.join(sorted(known))}.",
        )
    return [
        f"No list has a column for {_named(field, known, read_as)}: every journalist gets the release's default for it."
        for field in defaulted
    ]


def misspelt_fields(versions: Sequence[Rendered], *, read_as: Callable[[str], str | None] | None = None) -> list[str]:
    """Without lists to check against (``mailer preview`` with no --list): a warning for each
    contact field the release uses that is no standard column but a typo of one ("frist_name",
    ``_typo_of``), or a name the list loader reads as one (``read_as``, contacts' header variants:
    a "Surname" column is last_name), which ``unknown_fields`` stops a send for. A field of the
    office's own columns ("region", "firm_name", "outlet_name", "email_2") is left to that check."""
    known = set(CANONICAL_FIELDS)
    required, defaulted = _outside(versions, known)
    warnings = []
    for field in [*required, *defaulted]:
        outcome = "mailer send refuses the release" if field in required else "every journalist gets the release's default for it"
        column = read_as(field) if read_as is not None else None
        if column == "name":  # a Name column: the full name, read into first_name and last_name (review 16 #5)
            warnings.append(
                f'The release uses the contact field "{field}" (did you mean "first_name" or "last_name"? mailer reads a list '
                f"column of that name as the journalist's name, into first_name and last_name): {outcome}. "
                "Check with: mailer preview RELEASE --list FILE"
            )
            continue
        written = _as_column(field)
        if written is not None:  # capitals, accents, spaces: no list column is named so (review 16 #5)
            instead = column if column is not None and column in known else _typo_of(written, known) or written
            warnings.append(
                f'The release uses the contact field "{field}" (did you mean "{instead}"?): the name of a list\'s column is in '
                f"lower case (letters, digits and _), so {outcome}. Check with: mailer preview RELEASE --list FILE"
            )
            continue
        if column in known and column != field:
            warnings.append(
                f'The release uses the contact field "{field}" (did you mean "{column}"? mailer reads a list column of that name '
                f"as {column}): unless your lists have such a column besides {column}, {outcome}. "
                "Check with: mailer preview RELEASE --list FILE"
            )
            continue
        meant = _typo_of(field, known)
        if meant is None or any(v.language.split("-")[0] in _OWN_IN_LANGUAGE.get(field, ()) for v in versions):
            continue
        warnings.append(
            f'The release uses the contact field "{field}" (did you mean "{meant}"?): unless your lists have a column of that '
            f"name, {outcome}. Check with: mailer preview RELEASE --list FILE"
        )
    return warnings


def _as_column(field: str) -> str | None:
    """The name a list gives a column headed ``field`` (contacts.headers.safe_identifier: lower-case
    ASCII letters, digits and _), when ``field`` is not such a name itself: "Outlet_Name" ->
    "outlet_name". No list has a column ``field`` then."""
    if re.fullmatch(r"[a-z][a-z0-9_]*", field):
        return None
    folded = unicodedata.normalize("NFKD", field).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^0-9a-z]+", "_", folded.lower()).strip("_") or field.lower()


def _typo_of(field: str, known: Collection[str]) -> str | None:
    """The standard column ``field`` is a typo of: one letter or underscore added, left out, changed,
    or two swapped ("frist_name", "firstname", "last_nmae", "contry"); None for a name a list's own
    column may well have. By likeness alone (difflib) it warned of names a press office's lists
    carry, "did you mean" something else (fix 16): "firm_name" (first_name), "outlet_name" and
    "outlet_type" (outlet), "state" and "twitter" (title), "note" (outlet), "alt_email" and "email_2"
    (email). Still not a typo: a plural ("first_names", "beats", "languages": several
    in one cell), a numbered column ("email_2", as the list loader names a second Email column), and
    "county", a column of many US press lists, not a misspelt country."""
    if field in _LIKE_A_STANDARD_NAME or re.fullmatch(r"[a-z_]+?_?\d+", field):
        return None
    for name in sorted(known):
        if field == f"{name}s":
            return None
    for name in sorted(known):
        if _one_edit_apart(field, name, change=len(name) > _SHORT_NAME):
            return name
    return None


# A standard name this short ("beat", "tags") is one changed letter from everyday words a list's
# own column may be named ("seat", "best", "tabs", "bags"): for it, only a letter added, left out
# or two swapped ("bet", "beta", "tgas") is a typo (session 16's leftover).
_SHORT_NAME = 4


_LIKE_A_STANDARD_NAME = frozenset({"county"})  # one letter from a standard column, and a column of its own
# ... and in a release of these languages: "titel", a German or Dutch list's academic title (Dr., Prof.), not the
# job title (office 27: "did you mean title?" in a German release led to "Sehr geehrter Herr Redakteur Müller").
_OWN_IN_LANGUAGE = {"titel": ("de", "nl")}


def _one_edit_apart(one: str, other: str, *, change: bool = True) -> bool:
    """Whether two different names are one edit apart: a character added, left out or (with
    ``change``) changed, or two neighbours swapped."""
    if one == other or abs(len(one) - len(other)) > 1:
        return False
    if len(one) == len(other):
        differ = [i for i, (a, b) in enumerate(zip(one, other, strict=True)) if a != b]
        if len(differ) == 1:
            return change
        return len(differ) == 2 and differ[1] == differ[0] + 1 and one[differ[0]] == other[differ[1]] and one[differ[1]] == other[differ[0]]
    shorter, longer = sorted((one, other), key=len)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def _outside(versions: Sequence[Rendered], known: Collection[str]) -> tuple[list[str], list[str]]:
    """The contact fields the versions use that are not in ``known``: those used without a default, and those with one."""
    required: dict[str, None] = {}
    defaulted: dict[str, None] = {}
    for version in versions:
        for spec in version.tokens.values():
            if spec.field not in known:
                (required if tokens.needs_value(spec) else defaulted).setdefault(spec.field, None)
    return list(required), [field for field in defaulted if field not in required]


def _named(field: str, known: Collection[str], read_as: Callable[[str], str | None] | None = None) -> str:
    """``"frist_name" (did you mean "first_name"?)``: the field, and the known name closest to it, if one is close;
    for a list's own heading that mailer reads as a standard column ("vorname" beside a Vorname column),
    that column's name and why (newcomer 28 #3: "No list has a column for "vorname"", of a list headed Vorname);
    ``read_as``: contacts' header variants, given by the caller (compose does not reach into the list manager)."""
    close = difflib.get_close_matches(field, sorted(known), n=1, cutoff=0.6)
    column = read_as(field) if read_as is not None else None
    if column == "name" and {"first_name", "last_name"} & set(known) and not close:
        return (
            f'"{field}" (did you mean "first_name" or "last_name"? mailer reads a list column headed {field} as the name, into those two)'
        )
    if column is not None and column != field and column in known and column not in close:  # a typo of it says so already
        return f'"{field}" (did you mean "{column}"? mailer reads a list column headed {field} as {column})'
    return f'"{field}"' + (f' (did you mean "{close[0]}"?)' if close else "")


def _lacking(contacts: Iterable[Contact], required: Sequence[str]) -> dict[str, tuple[int, list[str]]]:
    """Field -> how many contacts have it empty, and the first three of their addresses."""
    lacking: dict[str, tuple[int, list[str]]] = {field: (0, []) for field in required}
    for contact in contacts:
        for field in required:
            if not contact.fields.get(field):
                count, first = lacking[field]
                lacking[field] = (count + 1, first if len(first) == 3 else [*first, contact.email])
    return lacking


def _lacking_in_columns(table: ContactTable, required: Sequence[str]) -> dict[str, tuple[int, list[str]]]:
    """``_lacking`` of a list held column by column (its text is never null; "" where a row has none)."""
    import pyarrow.compute as pc

    emails = table.column("email")
    lacking: dict[str, tuple[int, list[str]]] = {}
    for field in required:
        if field not in table.field_names:
            lacking[field] = (len(table), emails.slice(0, 3).to_pylist())
            continue
        empty = pc.equal(table.column(field), "")
        count = int(pc.sum(empty).as_py() or 0)
        lacking[field] = (count, emails.filter(empty).slice(0, 3).to_pylist() if count else [])
    return lacking


@dataclass(frozen=True, slots=True)
class _Prepared:
    """Per-Rendered work done once: each part cut at its tokens, and how to fill each token."""

    subject: tokens.Split
    html: tokens.Split
    text: tokens.Split
    # (token, field, steps, escape, a present value is used as it is)
    plan: tuple[tuple[str, str, tuple[tuple[str, str], ...], Callable[[str], str], bool], ...]
    fields: tuple[str, ...] = ()  # the field of each token (repeated when several tokens use one)
    bound: int = 0  # the bound's part that is the same for everyone: keys and defaults (bounder)


_PREPARED: dict[int, tuple[Rendered, _Prepared]] = {}


def _prepared(rendered: Rendered) -> _Prepared:
    """Cached by identity, so 100,000 journalists cost a join each, not a search."""
    cached = _PREPARED.get(id(rendered))
    if cached is None or cached[0] is not rendered:
        if len(_PREPARED) > 16:
            _PREPARED.clear()
        cut_at = [*rendered.tokens, rendered.unsubscribe_tag] if rendered.unsubscribe_tag else list(rendered.tokens)
        prepared = _Prepared(
            subject=tokens.split(rendered.subject, cut_at),
            html=tokens.split(rendered.html, cut_at),
            text=tokens.split(rendered.text, cut_at),
            plan=tuple(
                (name, spec.field, spec.steps, tokens.ESCAPES[spec.context], all(step == "default" for step, _ in spec.steps))
                for name, spec in rendered.tokens.items()
            ),
            fields=tuple(spec.field for spec in rendered.tokens.values()),
            bound=sum(
                len(name.encode("utf-8")) + _GROWTH * sum(len(str(argument)) for _, argument in spec.steps)
                for name, spec in rendered.tokens.items()
            ),
        )
        cached = _PREPARED[id(rendered)] = (rendered, prepared)
    return cached[1]


def _settle_html_tokens(html: str, found: dict[str, Token]) -> str:
    """Rename HTML tokens that ended up inside an attribute (or a URL) so their values escape right."""
    html_tokens = {name for name, spec in found.items() if spec.context == "html"}
    if not html_tokens:
        return html
    out: list[str] = []
    last = 0
    for match in tokens.TOKEN.finditer(html):
        name = match.group(0)
        if name not in html_tokens:
            continue
        context = tokens.context_at(html, match.start())
        if context is None:
            spec = found[name]
            raise TemplateError(
                f"contact.{spec.field} is used inside CSS or a script, where it cannot be personalized.",
                hint="Use contact fields in the text, in links or in attributes such as alt and title.",
            )
        if context != "html":
            spec = found[name]
            if context == "query" and any(step == "urlencode" for step, _ in spec.steps):
                context = "url"  # encoded already: encoding it again would show %25 for each %
            renamed = f"-~c.{spec.field}.{tokens.LETTERS[context]}{name.rsplit('.h', 1)[1]}"
            found[renamed] = Token(field=spec.field, context=context, steps=spec.steps)
            out.append(html[last : match.start()] + renamed)
            last = match.end()
    out.append(html[last:])
    return "".join(out)


def _check_tokens_intact(parts: Iterable[str], used: Mapping[str, Token]) -> None:
    """A filter other than the supported ones turns a token into text no journalist's value replaces."""
    for part in parts:
        if part.count("-~c.") != sum(part.count(name) for name in used):
            raise TemplateError(
                "A contact field is used with a filter that cannot be applied to each journalist's value.",
                hint="Use only default, upper, lower, title, capitalize, trim or urlencode on contact fields.",
            )


_LINK = re.compile(r'(\s(?:href|src)=")([^"]*)"')


def _absolute_links(html: str, *, base_url: str | None, template: str) -> str:
    """Links the template itself carries (a logo, a website) must be absolute too."""

    def fix(match: re.Match[str]) -> str:
        url = match.group(2)
        if url.startswith("-~"):  # a contact field or the unsubscribe tag
            return match.group(0)
        fixed = absolute(url, base_url=base_url)
        if fixed is None:
            raise TemplateError(
                f'{template} links to "{url}", which is not a full address.',
                hint="Write the full address (https://...) in the template, or set [compose] base_url in mailer.toml.",
            )
        return f'{match.group(1)}{fixed}"'

    return _LINK.sub(fix, html)


# A hidden element opening the body: the preheader, which inboxes show after the subject.
_HIDDEN_FIRST = re.compile(r"\s*<(div|span)\b[^>]*\bstyle=\"[^\"]*display\s*:\s*none[^\"]*\"[^>]*>[^<]*</\1>", re.IGNORECASE)


def _add_banner(html: str) -> str:
    """The test banner first on the page, after the hidden preheader if the body opens with one:
    before it, the banner's words were the proof's inbox line instead of the preheader (review 18p #2)."""
    start = html.find("<body")
    end = html.find(">", start) + 1 if start >= 0 else 0
    hidden = _HIDDEN_FIRST.match(html, end)
    if hidden is not None:
        end = hidden.end()
    return html[:end] + TEST_BANNER_HTML + html[end:]


ADDRESSES_NOTED = 5  # an attachment holding this many email addresses or more is named in a warning
_ADDRESS = re.compile(rb"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _addresses_in(attachment: Attachment) -> int:
    """How many different email addresses a text attachment (a CSV, a text file) holds; 0 for others."""
    if attachment.inline or not (
        attachment.mime_type.startswith("text/") or attachment.filename.lower().endswith((".csv", ".tsv", ".txt"))
    ):
        return 0
    return len({found.lower() for found in _ADDRESS.findall(attachment.content)})


def _warnings(
    release: Release,
    config: Config,
    subject: str,
    html: str,
    attachments: tuple[Attachment, ...],
    now: datetime | None,
    text: str = "",
    *,
    unsubscribe_tag: str = "",
    template: str = "",
) -> list[str]:
    """What a press officer should fix before sending; none of these stop a preview."""
    now = now or datetime.now(UTC)
    found = []
    if len(subject) > 100:
        found.append(f"The subject is {len(subject)} characters long; inboxes cut it after about 100.")
    html_bytes = len(html.encode("utf-8"))
    if html_bytes > GMAIL_CLIP_BYTES:
        found.append(
            f"The email's HTML is {html_bytes / 1024:.0f} KB; Gmail cuts emails over about 102 KB behind a "
            '"[Message clipped] View entire message" link, hiding the end of the release and the unsubscribe link. '
            "Shorten the release, or put long parts (tables, full reports) on a web page and link to it."
        )
    if release.embargo and release.embargo < now:
        found.append(f"The embargo ({release.embargo.isoformat()}) is in the past; remove it or move it.")
    if not config.sender.postal_address:
        found.append("No postal address: set [sender] postal_address in mailer.toml (required for a live send).")
    elif example_postal_address(config):
        found.append(EXAMPLE_POSTAL_WORDS + " (a live send to SendGrid refuses it).")
    else:
        postal = " ".join(config.sender.postal_address.split())
        lacking = [part for part, content in (("HTML", unescape_html(html)), ("text", text)) if postal not in " ".join(content.split())]
        if lacking:  # an office's template without its footer (review 17c #16)
            found.append(
                f"{template}: the email's {' and '.join(lacking)} part{'s' if len(lacking) > 1 else ''} do{'es' if len(lacking) == 1 else ''} not show "
                f'the postal address ("{config.sender.postal_address}"), which anti-spam laws require in every email: put '
                "{{ sender.postal_address }} in the template's footer, as templates/release.html.j2 and release.txt.j2 do."
            )
    missing = [part for part, content in (("HTML", html), ("text", text)) if unsubscribe_tag not in content]
    if missing:
        found.append(
            f"{template}: the email has no unsubscribe link in its {' and '.join(missing)} part{'s' if len(missing) > 1 else ''}, "
            "so mailer send refuses it: put {{ unsubscribe_url }} in the template's footer, as templates/release.html.j2 "
            "and release.txt.j2 do."
        )
    if unsubscribe.mode(config) is unsubscribe.Mode.NONE:
        found.append(
            "No working unsubscribe link, so a live or test send would be refused: set [sendgrid] asm_group_id, "
            "turn on [sendgrid.tracking] subscription_tracking, or set [webhook] public_url (README, Unsubscribe)."
        )
    limit = config.compose.max_attachment_mb
    total = 0
    for attachment in attachments:
        size = len(attachment.content)
        total += size
        if size > limit * MB and not attachment.inline:  # inline images have their own, lower limit (images.py)
            found.append(
                f"{release.path}: the attachment {attachment.filename} is {size / MB:.1f} MB; many mail servers refuse emails "
                f"with attachments over {limit:g} MB. Put it on your website and link to it "
                "(or raise [compose] max_attachment_mb in mailer.toml)."
            )
    for attachment in attachments:
        held = _addresses_in(attachment)
        if held >= ADDRESSES_NOTED:  # lists/press.csv, from a release saved in the office folder (review 24y #8)
            found.append(
                f"{release.path}: the attachment {attachment.filename} holds {held:,} email addresses, and every journalist "
                "would get them all. If it is a press list (or a report of one), take it out of attachments:."
            )
    common = common_request_bytes(subject, text, html, attachments)
    if too_large_for_a_request(common):
        found.append(
            f"{release.path}: the attachments and images total {total / MB:.1f} MB, {common / MB:.1f} MB once encoded for sending: "
            "more than one email to SendGrid can carry (30 MB, with room for the request itself), so mailer send and "
            "mailer test will refuse it. Put large files on your website and link to them instead of attaching them."
        )
    elif total * 4 / 3 > 25 * MB:
        found.append(
            f"{release.path}: the attachments and images total {total / MB:.1f} MB, close to SendGrid's 30 MB limit once encoded; "
            "link to large files instead of attaching them."
        )
    return found
