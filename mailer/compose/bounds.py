"""How much text one template may make: every text and list it makes is weighed before it is made.

An agency's template can grow a text a thousandfold in one step ({{ 'x' * 1500000000 }}, ``center``,
``replace``, ``join``, ``format`` with a width, a text doubled line after line, a loop that writes 1 MB
a thousand times). The process's memory bound (sandbox.limits) is set only while no other thread runs,
so during a send, whose lists are read on a thread of their own, it was the only bound, and there was
none (review 26m #1). Here each step that can grow a text is weighed, without reading the process's
memory (another thread's allocations are not the template's):

- what a step would make is worked out before it runs, from its inputs' sizes (``'x' * n``, ``center(n)``,
  ``replace``, ``join``, ``format``, ``indent``, ``wordwrap``, ``translate``), and no number a filter or
  method is given may be above MAX_NUMBER (a width, a count of bytes);
- what it made is weighed after (the steps that can grow a text only a few times over);
- no one text or list above MAX_TEXT, and no more than MAX_MADE in all for one render (``_made``).

A real template's largest text is its email, tens of kilobytes; the checks cost a ``len`` or two per
filter, ``~`` and block: nothing to measure against premailer's inlining.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

import jinja2.runtime

from mailer.errors import TemplateError

MAX_TEXT = 5_000_000  # characters of one text (items of one list): a hundred times an email
MAX_MADE = 50_000_000  # characters all the texts one render makes add up to
MAX_NUMBER = 1_000_000  # the largest width or count a filter or method is given

_DEPTH = 30  # lists in lists deeper than this: weighed as too large


class TooLarge(TemplateError):
    """A template made (or was about to make) a text larger than any email."""


_state = threading.local()


def start() -> int | None:
    """A render begins on this thread: what it makes is counted from nothing (``sandbox.limits``); the count
    it had before (None: none), for ``stop``."""
    previous: int | None = getattr(_state, "made", None)
    _state.made = 0
    return previous


def stop(previous: int | None) -> None:
    """The render is over: the count goes back to what it was (None: nothing is counted)."""
    _state.made = previous


def size(value: Any) -> int:
    """How many characters ``value`` is as text, or items as a list (its items' too, lists in lists)."""
    if isinstance(value, (str, bytes, bytearray)):
        return len(value)
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        return _container(value, {}, 0)
    if isinstance(value, int) and not isinstance(value, bool):
        return value.bit_length() // 3 + 1
    return 1


def _container(value: Any, seen: dict[int, int], depth: int) -> int:
    """A list's size, its shared items weighed once each time they appear (``[a, a]`` is twice ``a``),
    computed once each (a list of itself a thousand times over is worked out in a thousand steps)."""
    known = seen.get(id(value))
    if known is not None:
        return known
    if depth > _DEPTH:
        return MAX_TEXT + 1
    items: Iterable[Any] = (*value.keys(), *value.values()) if isinstance(value, dict) else value
    total = 2
    for item in items:
        if isinstance(item, (list, tuple, set, frozenset, dict)):
            total += _container(item, seen, depth + 1) + 2
        else:
            total += size(item) + 2
        if total > MAX_TEXT:
            break
    seen[id(value)] = total
    return total


def refuse(what: str) -> TooLarge:
    """The error for a step that makes ``what``: a text larger than any email."""
    return TooLarge(
        f"the template makes {what} larger than any email (more than {MAX_TEXT:,} characters), so it was stopped "
        "(it repeats or grows a text)"
    )


def ahead(estimate: int, what: str) -> None:
    """A step about to make ``estimate`` characters (or items): a TooLarge when that is too many."""
    if estimate > MAX_TEXT:
        raise refuse(what)


def made(value: Any, what: str = "a text") -> Any:
    """``value``, made by a step: a TooLarge when it is too large, or the render has made too much."""
    if isinstance(value, (str, bytes, bytearray, list, tuple)):
        weight = len(value)
        if weight > MAX_TEXT:
            raise refuse(f"{what} of {weight:,} characters")
        count(weight)
    return value


def count(weight: int) -> None:
    """``weight`` characters more made by the render on this thread."""
    total = getattr(_state, "made", None)
    if total is None:
        return
    total += weight
    _state.made = total
    if total > MAX_MADE:
        raise TooLarge(
            f"the template makes texts larger than any email (more than {MAX_MADE:,} characters in all as it renders), "
            "so it was stopped (it repeats a large text many times)"
        )


def numbers(args: Iterable[Any], what: str) -> None:
    """No width or count above MAX_NUMBER (``center(1500000000)``, ``(7).to_bytes(1500000000)``)."""
    for arg in args:
        if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > MAX_NUMBER:
            raise TooLarge(
                f"{what} is given the number {arg:,}, which would make a text far larger than any email, so it was stopped "
                f"(a width or count is at most {MAX_NUMBER:,})"
            )


# A width or precision in a format: "%10s", "%.3f", "{:>10}", "{0:^{1}}".
_PERCENT_WIDTH = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(\d*|\*)(?:\.(\d*|\*))?")
_BRACE_SPEC = re.compile(r"\{[^{}]*?:([^{}]*)\}")
_DIGITS = re.compile(r"\d+")


def formatted(template: Any, args: Iterable[Any]) -> int:
    """At most how long ``template`` formatted with ``args`` (``%`` or ``str.format``) comes out."""
    text = template if isinstance(template, str) else str(template)
    values = list(args)
    largest = max((size(value) for value in values), default=0)
    widths = sum(int(width or 0) + int(precision or 0) for width, precision in _PERCENT_WIDTH.findall(text.replace("*", "")))
    for spec in _BRACE_SPEC.findall(text):
        widths += sum(int(digits) for digits in _DIGITS.findall(spec))
    if "*" in text or re.search(r"\{[^{}]*\{", text):  # a width taken from the values
        widths += sum(abs(value) for value in values if isinstance(value, int) and not isinstance(value, bool))
    return len(text) + widths + (text.count("%") + text.count("{") + 1) * largest


def _lines(text: str) -> int:
    return text.count("\n") + 1


def _filter_estimate(name: str, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    """At most how large the filter ``name`` makes ``value`` (None: a few times its size at most)."""
    text = value if isinstance(value, str) else None
    if name == "replace" and text is not None and len(args) >= 2:
        old, new = str(args[0]), str(args[1])
        return len(text) + (text.count(old) if old else len(text) + 1) * max(len(new) - len(old), 0)
    if name == "join":
        separator = str(args[0] if args else kwargs.get("d", ""))
        items = value if isinstance(value, (str, list, tuple)) else []
        return size(items) + len(items) * len(separator)
    if name == "format" and text is not None:
        return formatted(text, (*args, *kwargs.values()))
    if name == "indent" and text is not None:
        width = args[0] if args else kwargs.get("width", 4)
        return len(text) + _lines(text) * (width if isinstance(width, int) else len(str(width)))
    if name == "wordwrap" and text is not None:
        width = args[0] if args else kwargs.get("width", 79)
        wrap = str(args[2] if len(args) > 2 else kwargs.get("wrapstring") or "\n")
        breaks = len(text) // max(width if isinstance(width, int) else 1, 1) + text.count(" ") + _lines(text)
        return len(text) + breaks * len(wrap)
    if name == "urlize" and text is not None:
        extra = sum(len(str(arg)) for arg in (*args, *kwargs.values()) if isinstance(arg, str))
        return len(text) + (len(text) // 4 + 1) * (extra + 60)
    if name == "sum":
        return size(value)
    return None


# Filters whose numbers are values, not widths or counts: a readership's default of 1,200,000 was
# refused (review 26x #5). A format's widths, in its text or taken from its values ("%*s"), are
# weighed by ``formatted`` before it runs.
_VALUES_GIVEN = frozenset({"default", "d", "format"})


def checked_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """The filter ``function``, weighing what it would make before and what it made after."""

    @functools.wraps(function)
    def weighed(*args: Any, **kwargs: Any) -> Any:
        # A filter marked pass_context / pass_eval_context / pass_environment gets that first (kept by wraps).
        shift = 1 if getattr(function, "jinja_pass_arg", None) is not None else 0
        value, rest = (args[shift], args[shift + 1 :]) if len(args) > shift else (None, ())
        if name not in _VALUES_GIVEN:
            numbers((*rest, *kwargs.values()), f'the filter "{name}"')
        estimate = _filter_estimate(name, value, rest, kwargs)
        if estimate is not None:
            ahead(estimate, f'a text with the filter "{name}"')
        return made(function(*args, **kwargs), f'a text with the filter "{name}"')

    return weighed


def method_estimate(method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    """At most how large a text's method (``'x'.replace``, ``.join``, ``.format``) makes its result."""
    owner: Any = getattr(method, "__self__", None)
    if not isinstance(owner, (str, bytes)):
        return None
    name = getattr(method, "__name__", "")
    occurrences: Callable[[Any], int] = owner.count
    if name == "replace" and len(args) >= 2:
        old, new = args[0], args[1]
        if isinstance(old, type(owner)) and isinstance(new, type(owner)):
            return len(owner) + (occurrences(old) if old else len(owner) + 1) * max(len(new) - len(old), 0)
    if name == "join" and args:
        items = args[0] if isinstance(args[0], (str, bytes, list, tuple)) else []
        return size(items) + len(items) * len(owner)
    if name in ("format", "format_map"):
        return format_estimate(owner, name, args, kwargs)
    if name == "translate" and args:
        table = args[0]
        longest = max((size(item) for item in table.values()), default=1) if isinstance(table, dict) else 1
        return len(owner) * max(longest, 1)
    if name == "expandtabs":
        tabsize = args[0] if args and isinstance(args[0], int) else kwargs.get("tabsize", 8)
        return len(owner) + occurrences("\t" if isinstance(owner, str) else b"\t") * (tabsize if isinstance(tabsize, int) else 8)
    return None


def format_estimate(template: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    """At most how long ``template.format(...)`` or ``template.format_map(...)`` comes out."""
    values = (*args, *kwargs.values())
    if name == "format_map" and args and isinstance(args[0], dict):
        values = (*values, *args[0].values())
    return formatted(template, values)


def operator(operator: str, left: Any, right: Any) -> None:
    """A TooLarge before ``left * right``, ``left + right`` or ``left % right`` makes a text too large."""
    sequences = (str, bytes, list, tuple)
    if operator == "*":
        for sequence, times in ((left, right), (right, left)):
            if isinstance(sequence, sequences) and isinstance(times, int) and not isinstance(times, bool):
                kind = "a list" if isinstance(sequence, (list, tuple)) else "a text"
                ahead(size(sequence) * max(times, 0), f"{kind} repeated {times:,} times")
    elif operator == "+" and isinstance(left, sequences) and isinstance(right, sequences):
        ahead(size(left) + size(right), "a text added to a text")
    elif operator == "%" and isinstance(left, str):
        ahead(
            formatted(left, right if isinstance(right, tuple) else right.values() if isinstance(right, dict) else (right,)),
            "a formatted text",
        )


def joined(parts: Iterable[Any], what: str = "a text joined with ~") -> list[Any]:
    """``parts`` as a list, weighed as the text they make together (a generator is read one part at a time)."""
    kept: list[Any] = []
    total = 0
    for part in parts:
        total += len(part) if isinstance(part, str) else size(part)
        if total > MAX_TEXT:
            raise refuse(what)
        kept.append(part)
    count(total)
    return kept


def str_join(seq: Iterable[Any]) -> str:
    """Jinja's ``~`` without autoescape, weighed."""
    return jinja2.runtime.str_join(joined(seq))


def markup_join(seq: Iterable[Any]) -> str:
    """Jinja's ``~`` with autoescape, weighed."""
    result = jinja2.runtime.markup_join(joined(seq))
    if len(result) > MAX_TEXT:  # escaping made it a few times longer
        raise refuse("a text joined with ~")
    return result
