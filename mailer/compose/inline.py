"""premailer, wrapped: CSS becomes style attributes once per campaign, warnings become lines.

premailer leaves rules it cannot inline (@media) in a ``<style>`` block in the head, which is
what phones need. Classes are then removed except those an @media rule still targets.
cssutils reports through the ``CSSUTILS`` logger, which by default prints to standard error;
those reports are collected here and turned into one readable line each.

Inlining is a pure function of the HTML, the CSS and its file name, the base URL, this module
and the versions of premailer, cssutils and lxml, and it is the costliest step of a small send
(importing premailer and cssutils, then cssutils checking every property: about 0.35 s of CPU).
With ``cache`` (a folder), each result is kept in a file named by a SHA-256 of all of those, so
the preview, the test send, the dry run and the live send of one release inline it once. A
cache file that cannot be read or written is ignored: the HTML is inlined again.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import re
import tempfile
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from mailer.errors import TemplateError

CACHE_ENTRIES = 64  # results kept; the oldest go first

_STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)
# An SVG's <style> as Illustrator and Inkscape write it, its CSS in <![CDATA[ ]]> (the template check lets
# only such CSS through, in SVG): a browser reads the CSS itself there, cssutils a broken rule, so the
# logo lost its colours, with a warning naming the template's .css (review 25k #2).
_CDATA_STYLE = re.compile(r"(<style\b[^>]*>)\s*<!\[CDATA\[([^<]*?)\]\]>\s*(</style\s*>)", re.IGNORECASE)
_CLASS_ATTR = re.compile(r'\sclass="([^"]*)"')
_CLASS_NAME = re.compile(r"\.(-?[_a-zA-Z][_a-zA-Z0-9-]*)")
_CSSUTILS_PROBLEM = re.compile(r"^(?P<what>[^:]+): (?P<msg>.*?)\.? \[(?P<line>\d+):(?P<col>\d+): (?P<item>.*)\]$")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def inline(html: str, *, css: str, css_name: str, base_url: str | None = None, cache: Path | None = None) -> tuple[str, list[str]]:
    """(inlined HTML, readable warnings). ``css`` is the template's stylesheet text.

    ``cache``: a folder where results are kept and looked up (see the module docstring); only
    for HTML that holds no journalist's data (the campaign's render, with tokens). Raises
    TemplateError when premailer cannot inline the HTML.
    """
    if cache is None:
        return _inline(html, css=css, css_name=css_name, base_url=base_url)
    entry = cache / f"{_cache_key(html, css, base_url)}.json"
    found = _read_entry(entry)
    if found is not None:
        try:
            os.utime(entry)  # recently used: kept longest
        except OSError:
            pass
        return found[0], [css_name + warning[len(_CSS_NAME) :] if warning.startswith(_CSS_NAME) else warning for warning in found[1]]
    result = _inline(html, css=css, css_name=css_name, base_url=base_url)
    kept = [_CSS_NAME + warning[len(css_name) :] if warning.startswith(css_name) else warning for warning in result[1]]
    _write_entry(entry, (result[0], kept))
    return result


# What a kept result's warnings begin with where they name the stylesheet (each names it first, ``_readable``
# and the @import lines): the file name is no part of the key, so two
# folders holding the same template (a colleague's copy, each test's office) share one entry and
# each reads its warnings with its own file's name.
_CSS_NAME = "\0stylesheet\0"


def _cache_key(html: str, css: str, base_url: str | None) -> str:
    """SHA-256 of everything the inlined HTML and its warnings depend on (the stylesheet's name aside)."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for library in ("premailer", "cssutils", "lxml"):  # the installed copy: its folder and when it was written
        spec = importlib.util.find_spec(library)
        origin = spec.origin if spec is not None and spec.origin else library
        folder = os.path.dirname(origin)
        stamps = [os.stat(where).st_mtime_ns if os.path.exists(where) else 0 for where in (folder, origin)]
        digest.update(f"{library}\0{origin}\0{stamps}\0".encode())
    for piece in (html, css, base_url or ""):
        digest.update(piece.encode("utf-8", errors="surrogatepass") + b"\0\1")
    return digest.hexdigest()


def _read_entry(entry: Path) -> tuple[str, list[str]] | None:
    try:
        found = json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not (isinstance(found, dict) and isinstance(found.get("html"), str) and isinstance(found.get("warnings"), list)):
        return None
    if not all(isinstance(warning, str) for warning in found["warnings"]):
        return None
    return found["html"], found["warnings"]


def _write_entry(entry: Path, result: tuple[str, list[str]]) -> None:
    """Keep one result (written whole or not at all), and only the newest CACHE_ENTRIES."""
    written = None
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=entry.parent, prefix=".", suffix=".tmp", delete=False) as out:
            written = Path(out.name)
            json.dump({"html": result[0], "warnings": result[1]}, out, ensure_ascii=False)
        os.replace(written, entry)
        written = None
        kept = sorted(entry.parent.glob("*.json"), key=lambda path: path.stat().st_mtime_ns, reverse=True)
        for old in kept[CACHE_ENTRIES:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # a cache that cannot be written costs time, not correctness
    finally:
        if written is not None:
            written.unlink(missing_ok=True)


# premailer matches every selector against the whole page: its time grows with selectors times elements,
# about 3 microseconds a pair here. The built-in template is 60 x 60; a framework's (Foundation for
# Emails) some 1,500 x 800; an agency's 4,000 x 1,500 took 16 s of CPU, 16,000 x 3,000 more than five
# minutes, before any clock could stop it (review 26m #3).
MOST_PAIRS = 4_000_000
_PRELUDE = re.compile(r"([^{}]*)\{")
_ELEMENT = re.compile(r"<[A-Za-z]")


def _check_cost(html: str, css: str, css_name: str) -> None:
    """A TemplateError before inlining when the stylesheet times the page is more than MOST_PAIRS."""
    sheets = [css, *_STYLE_BLOCK.findall(html)]
    selectors = sum(prelude.count(",") + 1 for sheet in sheets for prelude in _PRELUDE.findall(sheet))
    elements = len(_ELEMENT.findall(html))
    if selectors * elements > MOST_PAIRS:
        raise TemplateError(
            f"{css_name}: the template's stylesheet has {selectors:,} selectors and its page {elements:,} elements: "
            "putting them together would take minutes or hours, so it was stopped.",
            hint="An email's stylesheet has a few hundred selectors; if the template came with a release from outside the office, "
            "use your own instead (take the template: line out of the release).",
        )


def _inline(html: str, *, css: str, css_name: str, base_url: str | None) -> tuple[str, list[str]]:
    import cssutils  # with premailer, about 0.2 s of CPU to import: only when HTML is inlined
    import cssutils.util
    import premailer

    html = _CDATA_STYLE.sub(r"\1\2\3", html)
    _check_cost(html, css, css_name)
    collector = _Collect()
    css_log = logging.getLogger("CSSUTILS")
    saved = css_log.handlers[:], css_log.propagate
    css_log.handlers, css_log.propagate = [], False
    # cssutils follows every @import it parses, whatever premailer's allow_network says: over the
    # network, or from a file anywhere on this computer (review 12a #14). A release is data: its
    # CSS is its template's .css and <style> only. cssutils fetches through the module-level
    # default fetcher when the parser premailer makes has none of its own; while inlining, that
    # fetcher refuses and notes what was asked for.
    refused: list[str] = []
    fetcher = cssutils.util._defaultFetcher

    def refuse(url: str) -> None:
        refused.append(url)

    cssutils.util._defaultFetcher = refuse
    try:
        transformer = premailer.Premailer(
            html,
            css_text=css,
            base_url=None,
            remove_classes=False,
            keep_style_tags=False,
            strip_important=False,
            disable_validation=False,
            cache_css_parsing=False,  # its cache would swallow the warnings of a second parse: each result stands alone
            allow_network=False,
            allow_loading_external_files=False,
            cssutils_logging_handler=collector,
            cssutils_logging_level=logging.WARNING,
        )
        out = transformer.transform(pretty_print=False)
    except Exception as exc:  # premailer raises bare exceptions (external CSS, unparsable HTML)
        raise TemplateError(
            f"The template could not be turned into an email: {exc}",
            hint="Keep all CSS in the template's .css file (no <link> to other files) and check the HTML.",
        ) from exc
    finally:
        cssutils.util._defaultFetcher = fetcher
        css_log.removeHandler(collector)
        css_log.handlers, css_log.propagate = saved
        cssutils.log.setLevel(logging.WARNING)
    imports = [f"{css_name}: @import of {url} was not followed: put that CSS in the template's .css file" for url in dict.fromkeys(refused)]
    messages = [message for message in collector.messages if not message.startswith("CSSImportRule: While processing imported")]
    return _keep_media_classes(out), imports + _readable(messages, css_name)


def absolute(url: str, *, base_url: str | None) -> str | None:
    """The link as it will be sent: absolute as is, relative joined to base_url, else None."""
    parts = urlsplit(url)
    if parts.scheme or url.startswith("#"):
        return url
    if url.startswith("//"):
        return "https:" + url
    return urljoin(base_url, url) if base_url else None


def _keep_media_classes(html: str) -> str:
    """Remove class attributes, except class names that an @media rule still uses."""
    wanted = {name for block in _STYLE_BLOCK.findall(html) for name in _CLASS_NAME.findall(block)}

    def keep(match: re.Match[str]) -> str:
        names = [name for name in match.group(1).split() if name in wanted]
        return f' class="{" ".join(names)}"' if names else ""

    return _CLASS_ATTR.sub(keep, html)


def _readable(messages: list[str], css_name: str) -> list[str]:
    """'release.css line 3: unknown CSS property "foo"; email clients ignore it', once each."""
    seen: dict[str, str] = {}
    for message in messages:
        match = _CSSUTILS_PROBLEM.match(message.strip())
        if not match:
            seen.setdefault(message, f"{css_name}: {message.strip()}")
            continue
        item = match.group("item")
        if item in seen:  # cssutils reports each problem again for every element it lands on
            continue
        what = match.group("msg").lower()
        if "unknown property name" in what:
            text = f'unknown CSS property "{item}"; some email clients will ignore it'
        else:
            text = f"{match.group('what').strip()}: {what} ({item})"
        seen[item] = f"{css_name} line {match.group('line')}: {text}"
    return list(seen.values())
