"""Release -> subject, HTML (before inlining) and plain text, with contact fields as tokens or values.

The same code renders once for a campaign (``TokenMode``: contact fields print as tokens) and
once per journalist for the reference render (``ValueMode``: their real values), so the two can
only differ where the tokens are filled in.

``{{ ... }}`` in Markdown is swapped for an inert placeholder before Markdown runs and rendered
after, so a journalist's value is always literal text: "*AT&T*" never becomes emphasis or markup.
The text part is wrapped with the (16-character) placeholders in place, so every journalist's
lines break at the same spots whatever their values; a longer value makes its line longer.
"""

from __future__ import annotations

import re
import secrets
import traceback
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markdown_it import MarkdownIt
from markdown_it.token import Token as MarkdownToken
from markupsafe import Markup, escape

from mailer.compose import active, bounds, dateline, images, labels, paths, plaintext, sandbox, tokens
from mailer.compose.inline import absolute
from mailer.compose.release import Release, Text, expressions
from mailer.config import Config
from mailer.errors import ReleaseError, TemplateError
from mailer.models import Attachment, Token

BUILTIN_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# CommonMark and its tables (GitHub's, which every Markdown editor shows as tables; review 17c #10),
# without indented code: a paragraph pasted from a word processor keeps its first-line indent (a
# tab, four spaces), and was a code block, monospace and never wrapped (review 17c #12). Code is
# written in a fence (```).
MARKDOWN = MarkdownIt("commonmark", {"html": False, "typographer": False, "linkify": False}).enable("table").disable("code")
# Wide enough that a line holding a value of up to 16 characters still fits in 72 columns.
PLACEHOLDER = re.compile(r"zqx(\d+)q*xqz")
_URLENCODE = re.compile(r"\|\s*urlencode\b")
_BLANK_LINES = re.compile(r"\n{3,}")
# Where a link of the text part's list goes until the text's own fields are filled in; a random
# part, as render_for's unsubscribe placeholder, so that no release or template text holds it.
_LINK_MARK_TEXT = f"-~link.{secrets.token_hex(8)}."
_LINK_MARK = re.compile(re.escape(_LINK_MARK_TEXT) + r"(\d+)~-")

DATELINE = "press-mailer:dateline"  # the key in a paragraph token's meta and in the render's env


def _paragraph_open(renderer: Any, tokens: Sequence[MarkdownToken], index: int, options: Any, env: dict[str, Any]) -> str:
    """``<p>``, followed by the dateline in the paragraph ``dateline.at`` chose."""
    opening = str(renderer.renderToken(tokens, index, options, env))
    return opening + env[DATELINE] if tokens[index].meta.get(DATELINE) else opening


MARKDOWN.add_render_rule("paragraph_open", _paragraph_open)


class TokenMode:
    """Contact fields print as tokens, recorded in ``found``."""

    def __init__(self, found: dict[str, Token]) -> None:
        self.found = found

    def contact(self, context: str) -> Any:
        return tokens.ContactFields(tokens.Recorder(context, self.found))


class ValueMode:
    """Contact fields print as one journalist's values (an empty value counts as lacking). In the
    HTML each value stands between VALUE_OPEN and VALUE_CLOSE, for ``settle_values``."""

    def __init__(self, fields: Mapping[str, str]) -> None:
        self.fields = {name: tokens.defuse(value) for name, value in fields.items() if value}  # as substitutions() has them

    def contact(self, context: str) -> Any:
        if context == "subject":
            return sandbox.FieldValues({name: tokens.escape_subject(value) for name, value in self.fields.items()})
        if context == "html":
            return _MarkedFields(self.fields)
        return sandbox.FieldValues(self.fields)


# A journalist's value in the HTML of the reference render stands between these, written in hex digits, as a
# token stands in the send's HTML: nothing changes it (Jinja's escaping or "| safe", lxml), and once inlined it is
# escaped for where it landed as the send escapes its token (``tokens.ESCAPES``): a value that starts a link's
# address kept to a web, mail or phone address (review 27a: render_for kept a cell's "javascript:..." link, the
# send "#"), and a value "| safe" made markup of text still (edges 28: `("Dear " ~ contact.first_name) | safe`
# put a cell's "<b>" in the reference render as markup, the send escaped it). A value its expression
# ``| urlencode``s opens with ENCODED_OPEN: encoded already, in a query too.
VALUE_OPEN, ENCODED_OPEN, VALUE_CLOSE = "-~v~-", "-~e~-", "-~w~-"
_MARKED_VALUE = re.compile(r"-~([ve])~-([0-9a-f]*)" + re.escape(VALUE_CLOSE))


class _MarkedValue(tokens.FieldRef):
    """``contact.NAME`` in the reference render's HTML: its filters recorded as a token's are, then
    printed as the journalist's value (``tokens.prepare``), marked."""

    __slots__ = ("values",)

    def __init__(self, values: Mapping[str, str], field: str, steps: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(None, field, steps)  # type: ignore[arg-type]  # no recorder: never a token
        self.values = values

    def then(self, step: str, argument: str = "") -> tokens.FieldRef:
        return _MarkedValue(self.values, self.field, (*self.steps, (step, argument)))

    def _value(self) -> str:
        try:
            return tokens.prepare(self.field, self.steps, self.values.get(self.field))
        except tokens.Missing:
            raise jinja2.UndefinedError(f"contact has no {self.field!r}") from None

    def _open(self) -> str:
        return ENCODED_OPEN if any(step == "urlencode" for step, _ in self.steps) else VALUE_OPEN

    def __str__(self) -> str:
        return self._open() + self._value().encode("utf-8").hex() + VALUE_CLOSE

    def __html__(self) -> str:
        return str(self)  # escaped once inlined, for where it lands (``settle_values``)


class _MarkedFields(tokens.ContactFields):
    """The ``contact`` the reference render's HTML sees: any field name gives a _MarkedValue."""

    def __init__(self, values: Mapping[str, str]) -> None:
        super().__init__(None)  # type: ignore[arg-type]
        self._values = values

    def __getitem__(self, name: str) -> tokens.FieldRef:
        found = super().__getitem__(name)  # the name checked
        return _MarkedValue(self._values, found.field)


def settle_values(html: str) -> str:
    """The reference render's inlined HTML with each marked value written as the send writes its token's
    (render's ``_settle_html_tokens``): escaped for where it landed (``tokens.context_at``, read as lxml wrote
    the tag, the marks before it in place as the send's tokens are), a value its expression encoded for a
    link's query not encoded again. Raises TemplateError for a value inside CSS or a script, as the send does."""

    def settle(match: re.Match[str]) -> str:
        context = tokens.context_at(html, match.start())
        if context is None:
            raise TemplateError(
                "A contact field is used inside CSS or a script, where it cannot be personalized.",
                hint="Use contact fields in the text, in links or in attributes such as alt and title.",
            )
        if context == "query" and match.group(1) == "e":
            context = "url"  # encoded already: encoding it again would show %25 for each %
        return tokens.ESCAPES[context](bytes.fromhex(match.group(2)).decode("utf-8"))

    return _MARKED_VALUE.sub(settle, html)


Mode = TokenMode | ValueMode


@dataclass
class Parts:
    """Everything ``inline`` and the rest of compose need from one render."""

    subject: str
    preheader: str
    html: str
    text: str
    css: str
    css_name: str
    warnings: list[str] = field(default_factory=list)
    template: str = ""
    images: tuple[Attachment, ...] = ()  # local images, attached inline and shown through cid:
    # The template files this render read (the HTML and text templates and what they include): (name in
    # their folder, text), sorted. Part of what the office wrote (``Rendered.source_hash``).
    template_sources: tuple[tuple[str, str], ...] = ()


@dataclass
class _Placeholders:
    """{{ ... }} swapped for zqxNxqz while Markdown runs (and while the text part wraps)."""

    path: Path
    expressions: list[tuple[str, str]] = field(default_factory=list)  # (source, "file, line N")

    def protect(self, text: Text) -> str:
        out, position, line = [], 0, text.line
        for match in expressions(text.source):
            out.append(text.source[position : match.start()])
            line += text.source.count("\n", position, match.start())
            self.expressions.append((match.group(0), f"{text.path or self.path}, line {line}"))
            out.append(f"zqx{len(self.expressions) - 1}".ljust(13, "q") + "xqz")
            line += match.group(0).count("\n")
            position = match.end()
        out.append(text.source[position:])
        return "".join(out)

    def upper(self, text: str) -> str:
        """``text`` in capitals (the text part's top heading), each contact field with it: a
        placeholder in capitals is no placeholder ("NEWS FOR ZQX0QQQQQQQQQXQZ", review 17c #11),
        so each becomes one of its expression with ``| upper`` added."""
        out, position = [], 0
        for match in PLACEHOLDER.finditer(text):
            out.append(text[position : match.start()].upper())
            position = match.end()
            number = int(match.group(1))
            if number >= len(self.expressions):
                out.append(match.group(0).upper())
                continue
            source, where = self.expressions[number]
            if source.startswith("{{"):
                source = "{{ " + source[2:-2].strip() + " | upper }}"
            self.expressions.append((source, where))
            out.append(f"zqx{len(self.expressions) - 1}".ljust(13, "q") + "xqz")
        out.append(text[position:].upper())
        return "".join(out)

    def restore(self, rendered: str, env: jinja2.Environment, contact: Any) -> str:
        """``rendered`` with each placeholder's expression rendered (ValueMode's values escaped for where
        they landed once inlined: ``settle_values``). The spaces before a contact field (or after one that
        opens a line) go with its value, so that one that may be empty leaves none: "Dear," not "Dear  ,"."""

        def one(match: re.Match[str]) -> str:
            before = match.group(2) is not None
            number, spaces = (
                (match.group(2), match.group(1)) if before else (match.group(3), match.group(4)) if match.group(3) else (match.group(5), "")
            )
            if int(number) >= len(self.expressions):
                return match.group(0)  # text that merely looks like a placeholder
            source, where = self.expressions[int(number)]
            value = _expression(env, source, contact, where)
            return _spaced(value, spaces, contact, before=before) if spaces else value

        return _SPACED_PLACEHOLDER.sub(one, rendered)

    def urlencoded(self, match: re.Match[str]) -> bool:
        """Whether a placeholder's expression applies ``| urlencode`` itself."""
        number = int(match.group(1))
        return number < len(self.expressions) and _URLENCODE.search(self.expressions[number][0]) is not None

    def fill(self, match: re.Match[str], env: jinja2.Environment, contact: Any) -> str:
        """One placeholder's expression, rendered."""
        if int(match.group(1)) >= len(self.expressions):
            return match.group(0)  # text that merely looks like a placeholder
        source, where = self.expressions[int(match.group(1))]
        return _expression(env, source, contact, where)

    def link(self, url: str, env: jinja2.Environment, mode: Mode) -> str:
        """A link target of the text part's list of links, its contact fields escaped as the HTML's
        href has them (percent-encoded; a whole address from a field kept to a web, mail or phone
        address), so a plain-text reader follows the link the HTML reader does (review 17c #7)."""

        def fill(match: re.Match[str]) -> str:
            context = tokens.text_context(url, match.start())
            if context == "text_query" and self.urlencoded(match):
                context = "text_url"  # encoded already
            # a token (TokenMode), or a value ValueMode has defused already
            return tokens.PLACE_ESCAPES[context](self.fill(match, env, mode.contact(context)))

        return PLACEHOLDER.sub(fill, url)


# A placeholder with the spaces before it; opening a line (or an HTML element), with the spaces after it; or alone.
_SPACED_PLACEHOLDER = re.compile(r"( +)zqx(\d+)q*xqz|(?:^|(?<=>))zqx(\d+)q*xqz( +)|zqx(\d+)q*xqz", re.MULTILINE)


def _spaced(value: str, spaces: str, contact: Any, *, before: bool) -> str:
    """A rendered contact field with the ``spaces`` written before (or after) it: a token that takes them
    into its value when it may be empty (TokenMode: ``tokens.ContactFields.spaced``); a journalist's value
    with them, or nothing when the value is empty (ValueMode), as the token's would read."""
    if tokens.TOKEN.fullmatch(value) and isinstance(contact, tokens.ContactFields) and not isinstance(contact, _MarkedFields):
        return contact.spaced(value, spaces, before=before)
    if value in ("", VALUE_OPEN + VALUE_CLOSE, ENCODED_OPEN + VALUE_CLOSE):
        return value
    return spaces + value if before else value + spaces


def build(release: Release, *, config: Config, mode: Mode, unsubscribe_url: str) -> Parts:
    """Render subject, HTML and text of ``release`` with its template.

    ``unsubscribe_url`` is a placeholder that survives inlining; compose swaps in SendGrid's tag.
    """
    html_path, text_path, css_path = _template_files(release, config)
    html_env = sandbox.environment(html_path.parent, autoescape=True)
    text_env = sandbox.environment(text_path.parent, autoescape=False)
    warnings: list[str] = []
    marks = _Placeholders(release.path)
    html_contact, text_contact = mode.contact("html"), mode.contact("text")

    def plain_html(piece: Text | None) -> Markup:
        return Markup(_plain(piece, html_env, html_contact, lambda s: str(escape(s)), release.path))

    subject = _plain(release.subject, text_env, mode.contact("subject"), tokens.escape_subject, release.path)
    catalogue = labels.load(html_path.parent)
    words = catalogue.labels(release.language)
    warnings.extend(catalogue.warnings(release.language))
    date_text = words.date(release.date)
    lead = f"{release.dateline} – {date_text} –" if release.dateline else f"{date_text} –"
    notes = plaintext.Footnotes()
    found: list[Attachment] = []
    body_tokens = _markdown(release.body, marks, release.path, config.compose.base_url, warnings, found)
    about_tokens = _markdown(release.about, marks, release.path, config.compose.base_url, warnings, found) if release.about else []
    opening = f'<span class="dateline">{escape(lead)}</span> '
    lead_at = dateline.at(body_tokens, field=PLACEHOLDER)
    if lead_at is not None:
        body_tokens[lead_at - 1].meta[DATELINE] = True
    body_html = MARKDOWN.renderer.render(body_tokens, MARKDOWN.options, {DATELINE: opening})
    if lead_at is None:  # no paragraph of text: the dateline stands alone first
        body_html = f"<p>{opening.rstrip()}</p>\n{body_html}"
    shared = {
        "release_line": words.release_line(release.embargo),
        "dateline": lead,
        "date": date_text,
        "media_contact": release.contact,
        # Plain values, not the settings model: its methods unpickle (review 24k #11).
        "sender": sandbox.SenderFields(
            from_email=config.sender.from_email,
            from_name=config.sender.from_name,
            reply_to=config.sender.reply_to,
            postal_address=config.sender.postal_address,
        ),
        "unsubscribe_url": unsubscribe_url,
        "lang": release.language,
        "dir": words.direction,
        "labels": dict(words.texts),
    }
    html = _render_template(
        html_env,
        html_path.name,
        {
            **shared,
            "subject": plain_html(release.subject),
            "headline": plain_html(release.headline),
            "subheadline": plain_html(release.subheadline),
            "preheader": plain_html(release.preheader),
            "body": Markup(marks.restore(body_html, html_env, html_contact)),
            "about": Markup(marks.restore(MARKDOWN.renderer.render(about_tokens, MARKDOWN.options, {}), html_env, html_contact)),
            "contact": html_contact,
        },
    )
    if isinstance(mode, TokenMode):  # a journalist's own value may read like anything (a link's is made safe later)
        refuse_active(html, html_path)
        _check_fields_kept(html, html_path, tokens.TOKEN)
    body_text = plaintext.render(body_tokens, notes=notes, lead=lead, lead_at=lead_at, upper=marks.upper)
    targets: list[str] = []

    def stand_in(url: str) -> str:
        """A mark where the text part's list of links shows ``url``, its fields filled in (``marks.link``)."""
        targets.append(marks.link(url, text_env, mode))
        return f"{_LINK_MARK_TEXT}{len(targets) - 1}~-"

    about_text = plaintext.render(about_tokens, notes=notes, upper=marks.upper)
    text = _render_template(
        text_env,
        text_path.name,
        {
            **shared,
            "subject": subject,
            "headline": _wrapped(release.headline, marks),
            "subheadline": _wrapped(release.subheadline, marks),
            "body": body_text,
            "about": about_text,
            "links": notes.block(stand_in),
            "contact": text_contact,
        },
    )
    _check_fields_kept(text, text_path, PLACEHOLDER)
    text = marks.restore(_BLANK_LINES.sub("\n\n", text), text_env, text_contact)
    # The list's targets go in after the text's own fields, so that a value that looks like a
    # placeholder ("zqx0xqz") is never filled in a second time (as personalize() never does).
    text = _LINK_MARK.sub(lambda match: targets[int(match.group(1))], text)
    if words.rtl:
        text = right_to_left(text)
    for written, path, part, built_in in ((html, html_path, "HTML", "release.html.j2"), (text, text_path, "plain-text", "release.txt.j2")):
        if not written.strip():  # a file saved empty: premailer said "'NoneType' object has no attribute 'getroottree'" (review 17c #5)
            raise TemplateError(
                f"{path}: the template is empty, so the email would have no {part} part.",
                hint=f"Copy {BUILTIN_TEMPLATES / built_in} over it (or restore it from a backup), then make your changes again.",
            )
    preheader = _plain(release.preheader, text_env, text_contact, str, release.path)
    css = _css(css_path)
    read = {**_read_by(html_env), **_read_by(text_env)}
    return Parts(
        subject, preheader, html, text, css, str(css_path), warnings, str(html_path), images.unique(found), tuple(sorted(read.items()))
    )


def _read_by(env: jinja2.Environment) -> dict[str, str]:
    """The templates ``env``'s loader gave (``sandbox.FolderLoader.read``)."""
    loader = env.loader
    return dict(loader.read) if isinstance(loader, sandbox.FolderLoader) else {}


def refuse_active(html: str, template: Path) -> None:
    """A TemplateError when the template's HTML holds what a browser would run (``active``): a
    template may come with a release from outside the office, and proofs open in a browser.
    ``render`` asks again of the HTML as inlining wrote it, which browsers and journalists get."""
    found = active.find(html)
    if found is None:
        return
    line = found.line_in(template)
    raise TemplateError(
        f"{template}{f', line {line}' if line else ''}: {found.named} is not allowed in an email template: "
        "it would run in the browser that opens the preview, and it would go to every journalist.",
        hint="Take it out of the template: an email template holds HTML and styles only. If the template came with a "
        "release from outside the office, use your own instead (take the template: line out of the release).",
    )


def _template_files(release: Release, config: Config) -> tuple[Path, Path, Path]:
    """(HTML, text, CSS) files of the release's template: the templates folder, the release's
    folder, then the built-in templates. ``template: release.html.j2`` (the file's name as the
    folder shows it) names the template ``release``, not a file release.html.j2.html.j2."""
    name = release.template
    for suffix in (".html.j2", ".txt.j2", ".html", ".txt", ".css", ".j2"):
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    folders = list(dict.fromkeys([config.compose.templates, release.path.parent, BUILTIN_TEMPLATES]))
    where = f"{release.path}, line {release.template_line}" if release.template_line else str(release.path)
    for folder in folders:
        html = folder / f"{name}.html.j2"
        if paths.is_file(html):
            text = folder / f"{name}.txt.j2"
            if not paths.is_file(text):
                raise TemplateError(f"{html} has no plain-text companion {text.name}.", hint="Copy templates/release.txt.j2 beside it.")
            for file in (html, text, folder / f"{name}.css"):
                paths.inside(
                    file.name,
                    base=file.parent,
                    root=folder,
                    where=where,
                    what=f'the template file {file} (template "{name}")',
                    place="its templates folder",
                    hint="Keep the template's files (.html.j2, .txt.j2, .css) in the templates folder itself, not as links to elsewhere.",
                )
            return html, text, folder / f"{name}.css"
    looked = ", ".join(str(folder) for folder in folders)
    hint = "Copy the templates folder, rename the files, and set  template: NAME  in the release."
    if not BUILTIN_TEMPLATES.is_dir():
        # They ship beside the package, in the project's templates/ folder: an editable install
        # (pip install -e .) finds them there, a built wheel does not carry them.
        hint = (
            f"The built-in templates were not found at {BUILTIN_TEMPLATES}: install press-mailer from its "
            "project folder with  pip install -e . , or copy its templates/ folder here and set "
            "[compose] templates in mailer.toml."
        )
    raise TemplateError(f'{release.path}: template "{name}" not found (looked for {name}.html.j2 in {looked}).', hint=hint)


def _css(path: Path) -> str:
    """The template's stylesheet ("" when it has none)."""
    if not paths.is_file(path):
        return ""
    sandbox.check_size(path, "stylesheet")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"{path}: the stylesheet cannot be read as UTF-8 text ({exc}).", hint="Save it as UTF-8.") from exc


def _expression(env: jinja2.Environment, source: str, contact: Any, where: str) -> str:
    sandbox.check_expression(source, where)  # checked at load too; a Release may be built by hand
    try:
        return env.from_string(source).render(contact=contact)
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"{where}: {source}: {exc.message}.", hint=_FIELD_HINT) from None
    except jinja2.TemplateError as exc:  # the sandbox refused something the check let through
        raise ReleaseError(f"{where}: {source} is not allowed in a release ({exc}).", hint=sandbox.ALLOWED) from None
    except TemplateError as exc:  # a contact field's own refusal (a filter's argument): say where
        raise TemplateError(f"{where}: {exc.message}", hint=exc.hint or sandbox.ALLOWED) from None
    except (TypeError, ValueError) as exc:  # a filter given what it cannot take, if the check let it through
        raise ReleaseError(f"{where}: {source} cannot be used in a release ({exc}).", hint=sandbox.ALLOWED) from None


_FIELD_HINT = 'Fill the field in for every journalist, or give it a default: {{ contact.FIELD | default("...") }}.'


def _plain(piece: Text | None, env: jinja2.Environment, contact: Any, literal: Callable[[str], str], path: Path) -> str:
    """A front-matter text: literal parts escaped with ``literal``, {{ }} rendered."""
    if piece is None:
        return ""
    out, position, line = [], 0, piece.line
    for match in expressions(piece.source):
        before = piece.source[position : match.start()]
        spaces = before[len(before.rstrip(" ")) :]  # they go with a field that may be empty, as in the body
        out.append(literal(before[: len(before) - len(spaces)]))
        line += piece.source.count("\n", position, match.start())
        value = _expression(env, match.group(0), contact, f"{path}, line {line}")
        out.append(_spaced(value, spaces, contact, before=True) if spaces else value)
        line += match.group(0).count("\n")
        position = match.end()
    out.append(literal(piece.source[position:]))
    return "".join(out)


def _wrapped(piece: Text | None, marks: _Placeholders) -> str:
    return plaintext.wrap(marks.protect(piece)) if piece else ""


def _markdown(
    piece: Text, marks: _Placeholders, release_path: Path, base_url: str | None, warnings: list[str], found: list[Attachment]
) -> list[MarkdownToken]:
    """Parse Markdown once (for both parts); links made absolute or refused, local images attached, alt text checked."""
    path = piece.path or release_path
    _check_closed(piece.source, path, piece.line)
    source = without_comments(piece.source)
    warnings.extend(_html_warnings(source, path, piece.line))
    parsed = MARKDOWN.parse(marks.protect(replace(piece, source=source)))
    for block in parsed:
        if block.type != "inline":
            continue
        line = piece.line + (block.map[0] if block.map else 0)
        _check_unread_links(block.children or [], path, line)
        _check_refused_links(block.children or [], path, line)
        for child in block.children or []:
            attribute = {"link_open": "href", "image": "src"}.get(child.type)
            if attribute is None:
                continue
            url = str(child.attrGet(attribute) or "")
            if url.startswith("zqx"):
                continue  # the whole address is a contact field
            where = f"{path}, line {line}"
            if child.type == "image" and not child.content.strip():
                warnings.append(f"{where}: the image {url} has no alt text; write ![what it shows]({url}).")
            if child.type == "image" and images.is_local(url):
                file = images.locate(url, base=path.parent, root=release_path.parent, where=where)
                if file is not None:
                    image, notes = images.embed(file, src=url, where=where)
                    child.attrSet("src", f"cid:{image.content_id}")
                    found.append(image)
                    warnings.extend(notes)
                    continue
                if base_url is None:
                    raise images.missing(url, base=path.parent, where=where)
            fixed = absolute(url, base_url=base_url)
            if fixed is None:
                raise ReleaseError(
                    f'{where}: the link "{url}" is not a full address, so it would not work in an email.',
                    hint="Write the full address (https://...), or set [compose] base_url in mailer.toml.",
                )
            if fixed != url:
                child.attrSet(attribute, fixed)
                warnings.append(f"{where}: the link {url} was made absolute: {fixed}")
            warnings.extend(_scheme_warning(fixed, where, image=child.type == "image"))
    return parsed


# Read with HTML on only to find what a Markdown editor would not show: the office's notes to
# colleagues in HTML comments. The email itself is always rendered with HTML off (MARKDOWN).
_WITH_HTML = MarkdownIt("commonmark", {"html": True, "typographer": False, "linkify": False}).enable("table").disable("code")


def without_comments(source: str) -> str:
    """The Markdown without its HTML comments (``<!-- note -->``), which every Markdown editor and
    viewer hides, so a note to colleagues never reaches a journalist (review 17c #8: HTML off
    showed it as text). Lines are kept, so messages keep their line numbers; a comment in a code
    block or a code span is code, and stays."""
    if "<!--" not in source:
        return source
    lines: list[str | None] = list(source.split("\n"))  # None: a line a note took, dropped at the end
    for token in _WITH_HTML.parse(source):
        if token.map is None:
            continue
        start, end = token.map
        if token.type == "html_block" and token.content.lstrip().startswith("<!--"):
            lines[start:end] = [""] * (end - start)
        elif token.type == "inline":
            comments = [child.content for child in token.children or [] if child.type == "html_inline" and child.content.startswith("<!--")]
            if comments:
                chunk = "\n".join(line for line in lines[start:end] if line is not None)
                for comment in comments:
                    spaced = f" {comment} "  # "the census <!-- note --> is out": one space left, not two
                    if "\n" not in comment and spaced in chunk:
                        chunk = chunk.replace(spaced, " ", 1)
                    else:
                        chunk = _without(chunk, _in_file(comment))
                kept: list[str | None] = list(chunk.split("\n"))
                # The lines a note spanned: blank where a blank line follows anyway (messages keep their line
                # numbers), else dropped, so that the paragraph, its list item or its quotation goes on whole.
                after = lines[end] if end < len(lines) else ""
                filler = "" if after is not None and not after.strip() else None
                lines[start:end] = kept + [filler] * (end - start - len(kept))
    return "\n".join(line for line in lines if line is not None)


def _in_file(comment: str) -> re.Pattern[str]:
    """A comment as the file holds it: Markdown hands a note wrapped in a bullet point or a quotation
    over without the indent or "> " of its next lines (review 17x #4: such a note was not found and
    reached every journalist), so each line break may be followed by those."""
    return re.compile(r"[ \t]*\n[ \t>]*".join(re.escape(line.strip(" \t")) for line in comment.split("\n")))


def _without(chunk: str, note: re.Pattern[str]) -> str:
    """``chunk`` without the first match of ``note``, and without one of the two spaces around it."""
    found = note.search(chunk)
    if found is None:
        return chunk
    start, end = found.span()
    if 0 < start and chunk[start - 1] == " " and chunk[end : end + 1] == " ":
        start -= 1
    return chunk[:start] + chunk[end:]


def _check_closed(source: str, path: Path, first_line: int) -> None:
    """A ReleaseError for a comment never closed: Markdown hides everything after ``<!--`` up to the
    end of the file (or of its quotation or list), so the email lost the rest of the release without a
    word (review 17x #5)."""
    if "<!--" not in source:
        return
    for token in _WITH_HTML.parse(source):
        if (
            token.type == "html_block"
            and token.map is not None
            and token.content.lstrip().startswith("<!--")
            and "-->" not in token.content
        ):
            opened = " ".join(token.content.strip().split("\n", 1)[0].split())
            shown = opened if len(opened) <= 50 else opened[:47] + "..."
            raise ReleaseError(
                f"{path}, line {first_line + token.map[0]}: the note {shown} is never closed, so everything after it would be "
                "left out of the email (Markdown hides it all).",
                hint="End the note with --> where it ends: <!-- your note -->.",
            )


def _html_warnings(source: str, path: Path, first_line: int) -> list[str]:
    """A warning for each kind of HTML tag the Markdown holds (``<br>``, ``<u>``): a release is
    data, so HTML in it is shown as it is written, and journalists would read the tag itself
    (review 17c #9: nothing said so)."""
    if "<" not in source:
        return []
    found: dict[str, str] = {}  # tag name -> the warning for its first use

    def note(tag: str, line: int) -> None:
        name = re.match(r"</?([A-Za-z][A-Za-z0-9-]*)", tag)
        key = name.group(1).lower() if name else tag
        if key in found:
            return
        shown = " ".join(tag.split())
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        found[key] = (
            f"{path}, line {line}: {shown} is HTML, which a release shows as it is written: journalists would read "
            f'"{shown}". Write Markdown instead: a backslash (\\) at the end of a line for a line break, **bold**, '
            "*italics*, [words](https://...) for a link; or take the tag out."
        )

    for token in _WITH_HTML.parse(source):
        if token.map is None:
            continue
        if token.type == "html_block" and not token.content.lstrip().startswith("<!--"):
            note(token.content.strip().split("\n", 1)[0], first_line + token.map[0])
        elif token.type == "inline":
            for child in token.children or []:
                if child.type == "html_inline" and not child.content.startswith("<!--"):
                    offset = token.content.count("\n", 0, max(token.content.find(child.content), 0))
                    note(child.content, first_line + token.map[0] + offset)
    return list(found.values())


# ![alt](path) or [text](address) left as text by CommonMark because the path has a space in it
# ("kit/our logo.png", as Windows and macOS name files): every journalist would read the Markdown
# itself (review 17c #6). Only a destination that looks like a file or an address counts, so a
# "[sic](see below)" stays text.
# The text in [ ] holds no "[" but a pair's: with any, a line of 100,000 "[" was read again from each (review 25k #4).
_LINK_TEXT = r"(?:[^\[\]\0]|\[[^\[\]\0]*\])*"
_UNREAD_LINK = re.compile(rf"(!?)\[({_LINK_TEXT})\]\(([^()\0]*)\)")
_SPACE = re.compile(r"\s")
_LOOKS_LIKE_PATH = re.compile(r"/|\.[A-Za-z0-9]{2,5}\Z|\A[A-Za-z][A-Za-z0-9+.-]*:")


def _check_unread_links(children: Sequence[MarkdownToken], path: Path, line: int) -> None:
    """A ReleaseError for a picture or link CommonMark did not read because its path has a space."""
    written = "".join(
        child.content if child.type == "text" else "\n" if child.type in ("softbreak", "hardbreak") else "\0" for child in children
    )
    for match in _UNREAD_LINK.finditer(written):
        destination = " ".join(match.group(3).split())  # a path an editor wrapped onto the next line, too
        if not _SPACE.search(match.group(3)) or not _LOOKS_LIKE_PATH.search(destination) or PLACEHOLDER.search(destination):
            continue
        picture = bool(match.group(1))
        what = "a picture" if picture else "a link"
        alt = " ".join(match.group(2).split())
        fixed = f"{match.group(1)}[{alt}](<{destination}>)"
        raise ReleaseError(
            f"{path}, line {line + written.count(chr(10), 0, match.start())}: {match.group(1)}[{alt}]({destination}) is not read as {what}, "
            "because its path has a space in it: every journalist would see it as it is written here.",
            hint=f"Write the path between < and >: {fixed}, or rename the file without spaces"
            + (" (on a web address, write %20 for each space)." if not picture else "."),
        )


# [text](address) or <address> left as text because CommonMark refuses the address's kind (markdown-it's
# validateLink): a file on this computer, a script, inline data. The README promised a warning for a
# file:// link; journalists read "[full report](file:///C:/Users/ana/report.pdf)" as written, with
# "No warnings." (review 23a #9).
_REFUSED_LINK = re.compile(
    rf"(?P<bang>!?)\[(?P<text>{_LINK_TEXT})\]\(\s*<?(?P<address>(?P<scheme>javascript|vbscript|file|data):(?=\S)[^\0\[]*?)>?\s*\)(?!\))"
    r"|<(?P<auto>(?P<auto_scheme>javascript|vbscript|file|data):[^<>\s\0]*)>",
    re.IGNORECASE,
)


def _check_refused_links(children: Sequence[MarkdownToken], path: Path, line: int) -> None:
    """A ReleaseError for a link or picture CommonMark did not read because of its address's kind."""
    written = "".join(
        child.content if child.type == "text" else "\n" if child.type in ("softbreak", "hardbreak") else "\0" for child in children
    )
    found = _REFUSED_LINK.search(written)
    if found is None:
        return
    scheme = (found.group("scheme") or found.group("auto_scheme")).lower()
    shown = " ".join(found.group(0).split())
    shown = shown if len(shown) <= 90 else shown[:87] + "..."
    where = f"{path}, line {line + written.count(chr(10), 0, found.start())}"
    if scheme == "file":
        why = "a file:// address points at a file on your computer, which journalists cannot open"
        hint = "Put the file on your website and link to it with its https:// address, or attach it (attachments: in the front matter)."
    else:
        why = f"a {scheme}: address cannot be a link in an email"
        hint = "Link to a web page (https://...), a mail address (mailto:) or a phone number (tel:)."
    raise ReleaseError(f"{where}: {shown} is not read as a link: {why}, so every journalist would see it as it is written here.", hint=hint)


# Addresses an email may link to without a warning: the web (https), mail, phone, and the
# email's own anchors and inline images.
_FINE_SCHEMES = ("https", "mailto", "tel", "cid")


def _scheme_warning(url: str, where: str, *, image: bool) -> list[str]:
    """A link that is not https (an http:// page, an ftp:// or file:// address) warns, naming it."""
    scheme = urlsplit(url).scheme.lower()
    if not scheme or scheme in _FINE_SCHEMES:
        return []
    if scheme == "http":
        return [f"{where}: the link {url} is not https; use https:// if the site has it."]
    shown = url if len(url) <= 80 else url[:77] + "..."
    if image:
        return [f"{where}: the image {shown} is not a web address (https://); many email clients will not show it."]
    return [f"{where}: the link {shown} is not a web address (https://); most email clients will not open it."]


# A plain-text line is a paragraph of its own to the Unicode bidirectional algorithm (UAX #9,
# rule P1), which takes its direction from its first strong letter (P2): a line opening with a
# Latin name or a web address would be laid out left to right, its punctuation on the wrong
# side. U+200F RIGHT-TO-LEFT MARK at the start makes every line right to left. A line with no
# Arabic or Hebrew letter at all (a phone number, an address, "[1] https://...") also gets
# U+200E LEFT-TO-RIGHT MARK after it, so its numbers keep their order (rule W7): without it,
# "+1 555 0100 123" shows as "123 0100 555 +1".
RLM = "\u200f"
LRM = "\u200e"


def right_to_left(text: str) -> str:
    """The text part of a right-to-left version: each non-empty line opens with RLM (and LRM when it is all LTR)."""
    return "\n".join(_rtl_line(line) for line in text.split("\n"))


def _rtl_line(line: str) -> str:
    if not line.strip():
        return line
    if any(unicodedata.bidirectional(char) in ("R", "AL") for char in line):
        return RLM + line
    return RLM + LRM + line


def _render_template(env: jinja2.Environment, name: str, context: Mapping[str, Any]) -> str:
    """Render a template file; Jinja's errors become TemplateError with the file and line."""
    try:
        with sandbox.limits(clock=False):  # Jinja works out what it can as it reads: {{ 'x' * 10**10 }}
            template = env.get_template(name)
        with sandbox.limits():
            return template.render(context)
    except MemoryError as exc:
        raise TemplateError(
            f"{_template_line(exc, env, name)}: the template needs more than {sandbox.RENDER_MEMORY // 1024**2} MB of memory to render, "
            "so it was stopped (it repeats or grows a text beyond any email).",
            hint="An email's template is a few kilobytes of HTML; if it came with a release from outside the office, "
            "use your own instead (take the template: line out of the release).",
        ) from None
    except bounds.TooLarge as exc:
        raise TemplateError(
            f"{_template_line(exc, env, name)}: {exc.message}.",
            hint="An email's template is a few kilobytes of HTML; if it came with a release from outside the office, "
            "use your own instead (take the template: line out of the release).",
        ) from None
    except sandbox.TooCostly as exc:
        raise TemplateError(
            f"{_template_line(exc, env, name)}: {exc.message}, so it was stopped (a loop that would run for hours).",
            hint="An email's template renders in a blink; if it came with a release from outside the office, "
            "use your own instead (take the template: line out of the release).",
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            f"{exc.filename or name}, line {exc.lineno}: {(exc.message or '').rstrip('.')}.",
            hint="Fix the template; compare with templates/release.html.j2.",
        ) from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(
            f"{_template_line(exc, env, name)}: {(exc.message or '').rstrip('.')}.",
            hint="Check the spelling against templates/release.html.j2 (release fields, media_contact, sender, contact).",
        ) from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(
            f'{_template_line(exc, env, name)}: the template file "{exc.name}" is not in the template\'s folder.',
            hint="A template may include only files in its own folder, written as a quoted name: {% include 'footer.html.j2' %}.",
        ) from None
    except jinja2.TemplateError as exc:  # SecurityError and the like: the sandbox refused an expression
        raise TemplateError(
            f"{_template_line(exc, env, name)}: {(exc.message or str(exc)).rstrip('.')}.",
            hint="A template uses the release's fields (see templates/release.html.j2), contact fields and filters only.",
        ) from None
    except TemplateError as exc:  # raised by a contact field or the loader inside the template
        if _LOCATED.match(exc.message):
            raise
        raise TemplateError(f"{_template_line(exc, env, name)}: {exc.message}", hint=exc.hint) from None
    except RecursionError:
        raise TemplateError(f"{name}: the template includes itself or nests too deeply.", hint="Check its {% include %} lines.") from None
    except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
        # A line Jinja parses but cannot carry out: a filter given a wrong argument (truncate("60")),
        # a number added to a text (review 17c #3: a Python traceback).
        raise TemplateError(
            f"{_template_line(exc, env, name)}: this line cannot be rendered ({exc}).",
            hint="Check the filters' arguments (numbers without quotes) and what the line adds or compares; "
            "compare with templates/release.html.j2.",
        ) from None


_LOCATED = re.compile(r"\S+\.(?:j2|html|txt)[,:]")


# A contact field's stand-in (a placeholder of the text part, a token of the HTML) in other letters:
# a filter of the template changed it, and it would reach every journalist as it is.
_CHANGED_FIELD = re.compile(f"{PLACEHOLDER.pattern}|{tokens.TOKEN.pattern}", re.IGNORECASE)
_CASE_FILTER = re.compile(r"\|\s*(upper|title|capitalize|lower|swapcase)\b")


def _check_fields_kept(written: str, path: Path, stand_in: re.Pattern[str]) -> None:
    """A TemplateError when the template changed a contact field's stand-in ({{ headline | upper }} on
    a headline holding one): every journalist read "BEE CENSUS FOR ZQX0QQQQQQQQQXQZ" (review 17x #6)."""
    for match in _CHANGED_FIELD.finditer(written):
        if stand_in.fullmatch(match.group(0)) or PLACEHOLDER.fullmatch(match.group(0)) or tokens.TOKEN.fullmatch(match.group(0)):
            continue
        where = str(path)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            lines = []
        found = next((n for n, line in enumerate(lines, 1) if _CASE_FILTER.search(line)), None)
        if found is not None:
            where += f", line {found}"
        raise TemplateError(
            f'{where}: a filter here changes a contact field the release puts in this place, so every journalist would read "{match.group(0)}" '
            "instead of their own value (upper, title and the like work on the text before the journalists' values are filled in).",
            hint="Take the filter off, and write the text in capitals in the release itself "
            '(headline: "BEE CENSUS FOR {{ contact.outlet | upper }}"), or in the HTML use text-transform: uppercase in the stylesheet.',
        )


def _template_line(exc: BaseException, env: jinja2.Environment, name: str) -> str:
    """'templates/x.html.j2, line 12' from the traceback Jinja rewrites to template lines."""
    for frame, line in reversed(list(traceback.walk_tb(exc.__traceback__))):
        filename = frame.f_code.co_filename
        if filename.endswith((".j2", ".html", ".txt")):
            return f"{filename}, line {line}"
    return name
