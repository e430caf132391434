"""What an email's HTML may not hold: anything a web browser would run.

A template can come with a release from outside the office (an agency's ``kit.html.j2`` beside
its release, ``template: kit``), and is then data as the release is (promise 10). Mail programs
drop scripts, but a proof opened with ``--open`` (`mailer preview`, `mailer show`) is a page in
the press officer's browser, where a script runs: it could read the journalist's fields a
``--contact`` preview shows and send them anywhere, and a refresh could carry the browser to a
page asking for the SendGrid key (review 24k #1). So the HTML a template renders (what it wrote,
and what it made with ``| safe``) holds none of: a script, a frame or plug-in, ``<base>``, a
refresh, an event-handler attribute (``onerror=``, ``onload=``, ...), or an address starting
``javascript:`` or ``vbscript:`` as a browser reads it (entities decoded, tabs and line breaks
taken out, blanks around it trimmed).

Python's HTML parser is not a browser's, and the known ways to hide markup from one parser but
not the other are closed: the text of ``<style>`` and ``<title>`` is read as markup too (in SVG a
``<style>`` holds markup), a tag inside either is refused (a browser ends them at a ``</title>``
written inside an attribute, and reads what follows), so are the elements a browser reads as raw
text (``<noscript>``, ``<textarea>``, ``<xmp>``, ...) and CDATA sections, which a browser ends at
the first ``>``, except one holding an SVG's CSS (no markup) in its ``<style>``, as drawing programs
write it: there a browser reads it as text up to its ``]]>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

__all__ = ["Active", "find"]

ELEMENTS = frozenset(
    {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal"}
    | {"noscript", "noembed", "noframes", "xmp", "plaintext", "textarea"}  # raw text to a browser: it reads them otherwise
)
_TEXT_ONLY = frozenset({"style", "title"})  # a browser ends them at their closing tag, wherever it stands
# Attributes whose value a browser follows as an address (SVG's animation values set one too).
ADDRESSES = frozenset(
    {"href", "src", "action", "formaction", "background", "poster", "data", "codebase", "cite", "longdesc", "dynsrc", "lowsrc"}
    | {"xlink:href", "to", "from", "values", "by"}
)
_SCRIPT_ADDRESS = re.compile(r"(java|vb)script:", re.IGNORECASE)
_URL_INSIDE = re.compile("[\t\n\r]")  # what a browser takes out of an address before reading it (WHATWG URL)
_URL_AROUND = "".join(map(chr, range(0x21))) + "\x7f"  # and trims around it


@dataclass(frozen=True, slots=True)
class Active:
    """One piece of active content: as a message names it, and how to find it in a template's source."""

    named: str
    pattern: re.Pattern[str] | None = None

    def line_in(self, source: Path) -> int | None:
        """The first line of ``source`` that holds it as written (None: made by the template, or in an include)."""
        if self.pattern is None:
            return None
        try:
            text = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        found = self.pattern.search(text)
        return None if found is None else text.count("\n", 0, found.start()) + 1


def find(html: str) -> Active | None:
    """The first piece of active content in ``html``, or None."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.found


class _Reader(HTMLParser):
    """Reads tags as a browser names them (lower case, entities in attribute values decoded)."""

    CDATA_CONTENT_ELEMENTS = ()  # type: ignore[misc]  # <style> (and <script>) read as markup too: see the module docstring

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: Active | None = None
        self.inside: list[str] = []  # the open <style> and <title> elements
        self.containers: list[str] = []  # the _CONTAINERS open here, innermost last

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.found is not None:
            return
        if self.inside:
            if self.inside[-1] == "style" and not _FOREIGN.intersection(self.containers):
                # Outside SVG and MathML a browser reads a <style> as text up to its "</style", so "<td>" in a
                # CSS comment ("/* stack <td> cells on phones */", the office's own .css too) is text there:
                # refused only when it holds that end (review 24y #1). It is checked as markup all the same.
                written = self.get_starttag_text() or ""
                ends = re.search(r"</\s*style", written, re.IGNORECASE)
                self.found = (
                    Active(f"<{tag}> holding </style> inside <style>", re.compile(re.escape(written[:60]))) if ends else _active(tag, attrs)
                )
                return
            self.found = Active(f"<{tag}> inside <{self.inside[-1]}>")
            return
        self.found = _active(tag, attrs)
        if tag in _TEXT_ONLY:
            self.inside.append(tag)
        if tag in _CONTAINERS:
            self.containers.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if self.inside and self.inside[-1] == "style" and tag != "style":
            return  # nothing was opened
        for opened in (self.inside, self.containers):
            if opened and opened[-1] == tag:
                opened.pop()

    def handle_endtag(self, tag: str) -> None:
        if self.inside and self.inside[-1] == "style" and tag != "style" and not _FOREIGN.intersection(self.containers):
            return  # text to a browser (handle_starttag)
        if self.inside and self.inside[-1] == tag:
            self.inside.pop()
        if tag in self.containers:
            del self.containers[len(self.containers) - 1 - self.containers[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        # A browser reads a <style>'s text as HTML inside <svg> or <math>, and ends a <noscript> (and the
        # like) at the first "</noscript>", in the CSS too: '<svg><style>a{font-family:"<img src=x
        # onerror=...>"}</style>' ran the picture's onerror= there, past inlining, which keeps the CSS
        # string (review 24x #7). Markup this parser read as a tag is refused in handle_starttag; this
        # is what it left as text.
        if self.found is None and self.inside and self.inside[-1] == "style" and self.containers:
            markup = _MARKUP.search(data)
            if markup is not None:
                named = "an SVG's" if self.containers[-1] == "svg" else f"a <{self.containers[-1]}>'s"
                self.found = Active(f"HTML inside {named} <style>", re.compile(re.escape(markup.group(0)), re.IGNORECASE))

    def handle_comment(self, data: str) -> None:
        self._ends_early(data)

    def unknown_decl(self, data: str) -> None:  # <![CDATA[...]]>, and Outlook's <![if ...]>
        if self.found is None and data.lower().startswith("cdata[") and not self._svg_css(data[len("cdata[") :]):
            self.found = Active("<![CDATA[", re.compile(r"<!\[CDATA\[", re.IGNORECASE))
        self._ends_early(data)

    def _svg_css(self, text: str) -> bool:
        """A CDATA section holding an SVG's (or MathML's) CSS, as Illustrator and Inkscape write its <style>
        (review 25k #2): a browser reads it as text up to its "]]>" there, where this parser ends it too.
        Anywhere else a browser ends it at its first ">", and reads what follows."""
        return (
            bool(self.inside)
            and self.inside[-1] == "style"
            and bool(self.containers)
            and self.containers[-1] in _FOREIGN
            and "<" not in text
        )

    def handle_pi(self, data: str) -> None:
        self._ends_early(data)

    def _ends_early(self, data: str) -> None:
        """A comment (or the like) inside a <title> or <noscript> holding its end tag: this parser and lxml keep it
        whole, a browser ends the element there and runs what follows (review 24x #7)."""
        if self.found is None and self.inside and self.inside[-1] == "style" and re.search(r"</\s*style", data, re.IGNORECASE):
            self.found = Active("a comment ending a <style> early")
            return
        for container in self.containers if self.found is None else ():
            if container in _RAW_TEXT and (end := re.search(rf"</\s*{container}", data, re.IGNORECASE)) is not None:
                self.found = Active(f"a comment ending a <{container}> early", re.compile(re.escape(data[end.start() :][:60])))
                return


# Elements a browser reads otherwise than this parser and lxml do: SVG and MathML (their <style> holds
# markup) and those whose content is text to a browser up to their end tag (<noscript> when scripts run).
_RAW_TEXT = frozenset({"noscript", "noembed", "noframes", "xmp", "title", "textarea", "plaintext"})
_FOREIGN = frozenset({"svg", "math"})  # a <style> inside them holds markup
_CONTAINERS = frozenset({*_FOREIGN, *_RAW_TEXT})
_MARKUP = re.compile(r"<[A-Za-z!/?][^\"'\n]{0,60}")  # the markup as written, to find its line by


def _active(tag: str, attrs: list[tuple[str, str | None]]) -> Active | None:
    if tag in ELEMENTS:
        return Active(f"<{tag}>", re.compile(rf"<\s*{tag}\b", re.IGNORECASE))
    if tag == "meta" and any(key == "http-equiv" and (value or "").strip().lower() == "refresh" for key, value in attrs):
        return Active('<meta http-equiv="refresh">', re.compile(r"http-equiv\s*=\s*[\"']?\s*refresh", re.IGNORECASE))
    for key, value in attrs:
        if key.startswith("on"):
            return Active(f"{key}=", re.compile(rf"\b{re.escape(key)}\s*=", re.IGNORECASE))
        if key in ADDRESSES and value:
            # SVG's values="a;b;..." sets each address in turn: "https://x.example;javascript:..." too
            for address in value.split(";") if key == "values" else (value,):
                scheme = _SCRIPT_ADDRESS.match(_URL_INSIDE.sub("", address).strip(_URL_AROUND))
                if scheme is not None:
                    named = f"{scheme.group(1).lower()}script:"
                    return Active(named, re.compile(re.escape(named), re.IGNORECASE))
    return None
