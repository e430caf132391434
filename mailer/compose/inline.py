"""premailer, wrapped: CSS becomes style attributes once per campaign, warnings become lines.

premailer leaves rules it cannot inline (@media) in a ``<style>`` block in the head, which is
what phones need. Classes are then removed except those an @media rule still targets.
cssutils reports through the ``CSSUTILS`` logger, which by default prints to standard error;
those reports are collected here and turned into one readable line each.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urljoin, urlsplit

import cssutils
import premailer

from mailer.errors import TemplateError

_STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)
_CLASS_ATTR = re.compile(r'\sclass="([^"]*)"')
_CLASS_NAME = re.compile(r"\.(-?[_a-zA-Z][_a-zA-Z0-9-]*)")
_CSSUTILS_PROBLEM = re.compile(r"^(?P<what>[^:]+): (?P<msg>.*?)\.? \[(?P<line>\d+):(?P<col>\d+): (?P<item>.*)\]$")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def inline(html: str, *, css: str, css_name: str, base_url: str | None = None) -> tuple[str, list[str]]:
    """(inlined HTML, readable warnings). ``css`` is the template's stylesheet text."""
    collector = _Collect()
    css_log = logging.getLogger("CSSUTILS")
    saved = css_log.handlers[:], css_log.propagate
    css_log.handlers, css_log.propagate = [], False
    try:
        transformer = premailer.Premailer(
            html,
            css_text=css,
            base_url=None,
            remove_classes=False,
            keep_style_tags=False,
            strip_important=False,
            disable_validation=False,
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
        css_log.removeHandler(collector)
        css_log.handlers, css_log.propagate = saved
        cssutils.log.setLevel(logging.WARNING)
    return _keep_media_classes(out), _readable(collector.messages, css_name)


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
