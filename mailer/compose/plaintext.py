"""The plain-text part, written from the release's Markdown tokens (never scraped from HTML).

Paragraphs wrap at 72 columns, quotes are indented, list items get "- " or "1. ", links become
numbered footnotes ("the report [1]" ... "[1] https://..."), images show their alt text, and no
Markdown or HTML is left over.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from markdown_it.token import Token

WIDTH = 72


@dataclass
class Footnotes:
    """Link targets collected across the whole text part, numbered in order of first use."""

    urls: list[str] = field(default_factory=list)

    def number(self, url: str) -> int:
        if url not in self.urls:
            self.urls.append(url)
        return self.urls.index(url) + 1

    def block(self, shown: Callable[[str], str] = str) -> str:
        """The list of links, each target as ``shown`` writes it (its contact fields filled in)."""
        return "\n".join(f"[{n}] {shown(url)}" for n, url in enumerate(self.urls, start=1))


def wrap(text: str, *, indent: str = "", first: str | None = None, width: int = WIDTH) -> str:
    """Wrap one paragraph; words (and URLs) are never split."""
    lines = text.split("\n")  # hard line breaks stay
    out = []
    for number, line in enumerate(lines):
        lead = first if first is not None and number == 0 else indent
        out.append(
            textwrap.fill(
                line,
                width=width,
                initial_indent=lead,
                subsequent_indent=indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
            or lead.rstrip()
        )
    return "\n".join(out)


def render(
    tokens: Sequence[Token], *, notes: Footnotes, lead: str = "", lead_at: int | None = None, upper: Callable[[str], str] = str.upper
) -> str:
    """Markdown block tokens -> wrapped plain text. ``lead`` (the dateline) opens the paragraph
    whose inline token is ``tokens[lead_at]`` (``dateline.at``), or stands alone first when None.
    ``upper`` puts a top heading in capitals (the composer's keeps contact fields working)."""
    blocks: list[str] = [wrap(lead)] if lead and lead_at is None else []
    tight: set[int] = set()  # indexes of blocks that follow the previous one without a blank line
    quote = 0
    lists: list[list[int]] = []  # one [counter] per open list; counter 0 = bullet list
    pending_item: str | None = None
    after_item = False  # the last block was a list item: the next item follows on the next line
    table: _Table | None = None
    for index, token in enumerate(tokens):
        kind = token.type
        if table is not None:  # a table's cells are read into rows, laid out when it closes
            if kind == "table_close":
                blocks.append(textwrap.indent(table.text(), "    " * quote))
                table = None
            else:
                table.read(token, notes)
            continue
        if kind == "table_open":
            table = _Table()
            after_item = False
        elif kind == "blockquote_open":
            quote += 1
        elif kind == "blockquote_close":
            quote -= 1
        elif kind == "bullet_list_open":
            lists.append([0])
        elif kind == "ordered_list_open":
            lists.append([int(token.attrGet("start") or 1)])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            after_item = bool(lists) and after_item
        elif kind == "list_item_open":
            counter = lists[-1]
            pending_item = "- " if counter[0] == 0 else f"{counter[0]}. "
            if counter[0]:
                counter[0] += 1
        elif kind == "inline":
            text = inline(token.children or [], notes=notes)
            if lead and index == lead_at:
                text = f"{lead} {text}"
            indent = "    " * quote + "   " * len(lists)
            if pending_item is not None:
                first = "    " * quote + "   " * (len(lists) - 1) + pending_item
                if after_item:
                    tight.add(len(blocks))
                blocks.append(wrap(text, indent=indent, first=first))
                pending_item = None
                after_item = True
                continue
            heading = index > 0 and tokens[index - 1].type == "heading_open"
            blocks.append(wrap(upper(text) if heading and tokens[index - 1].tag == "h1" else text, indent=indent))
            after_item = False
        elif kind in ("fence", "code_block"):
            blocks.append(textwrap.indent(token.content.rstrip("\n"), "    "))
        elif kind == "hr":
            blocks.append("-" * 20)
    return _join(blocks, tight)


@dataclass
class _Table:
    """A Markdown table's cells, as the text part lays them out: columns padded to their widest
    cell (numbers kept right-aligned where the table says so), a line of dashes under the header."""

    rows: list[list[tuple[str, str]]] = field(default_factory=list)  # (cell text, alignment) per cell
    header: int = 0  # how many of the rows are the header's
    align: str = "left"

    def read(self, token: Token, notes: Footnotes) -> None:
        kind = token.type
        if kind == "tr_open":
            self.rows.append([])
        elif kind in ("th_open", "td_open"):
            style = str(token.attrGet("style") or "")
            self.align = "right" if "right" in style else "center" if "center" in style else "left"
        elif kind == "inline" and self.rows:
            self.rows[-1].append((" ".join(inline(token.children or [], notes=notes).split()), self.align))
        elif kind == "thead_close":
            self.header = len(self.rows)

    def text(self) -> str:
        columns = max((len(row) for row in self.rows), default=0)
        widths = [max((len(row[n][0]) for row in self.rows if n < len(row)), default=0) for n in range(columns)]
        lines = []
        for number, row in enumerate(self.rows):
            cells = []
            for n, (cell, align) in enumerate(row):
                cells.append(
                    cell.rjust(widths[n]) if align == "right" else cell.center(widths[n]) if align == "center" else cell.ljust(widths[n])
                )
            lines.append("  ".join(cells).rstrip())
            if number + 1 == self.header:
                lines.append("  ".join("-" * width for width in widths))
        return "\n".join(lines)


def inline(children: Sequence[Token], *, notes: Footnotes) -> str:
    """Inline tokens -> one line of text (hard breaks as newlines), links as footnote marks."""
    parts: list[str] = []
    href_stack: list[str] = []
    for child in children:
        kind = child.type
        if kind in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif kind == "softbreak":
            parts.append(" ")
        elif kind == "hardbreak":
            parts.append("\n")
        elif kind == "link_open":
            href_stack.append(str(child.attrGet("href") or ""))
        elif kind == "link_close":
            href = href_stack.pop() if href_stack else ""
            target = href.removeprefix("mailto:")
            shown = "".join(parts).rsplit(" ", 1)[-1]
            if href and target != shown:
                parts.append(f" [{notes.number(target)}]")
        elif kind == "image":
            alt = child.content or "image"
            parts.append(f"[Image: {alt}]")
    return "".join(parts)


def _join(blocks: list[str], tight: set[int]) -> str:
    """Blocks separated by one blank line; consecutive list items by a line break only."""
    out = ""
    for index, block in enumerate(blocks):
        if index:
            out += "\n" if index in tight else "\n\n"
        out += block
    return out
