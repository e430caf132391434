"""What a ``{{ ... }}`` may reach: contact fields and the documented filters, nothing else.

A release comes from a colleague or an agency, so it is data, never code (promise 10). Two
locks, one inside the other:

1. ``check_expression`` is the one rule for every ``{{ ... }}`` in a release (front matter,
   body, about file): it reads the expression's syntax tree and allows only a contact field
   (``contact.NAME``), a quoted text, and the filters in ``FILTERS`` with quoted arguments.
   Anything else (``''.__class__``, ``cycler``, ``config``, ``self``, a call, ``{% ... %}``)
   is a ReleaseError naming the file and line, before anything renders.
2. Everything renders in ``Sandbox``, Jinja's ImmutableSandboxedEnvironment without its
   globals (range, lipsum, cycler, joiner, namespace, dict), so even a template (written by
   the office, kept in the templates folder) cannot reach Python's internals. A template is
   given plain values (``SenderFields``, not mailer.toml's pydantic model, whose methods
   parse_raw and parse_file unpickle what they are given: review 24k #11), and of any pydantic
   model that reaches one the sandbox lets through its fields only. Templates are
   also read through ``FolderLoader``, which refuses ``{% import %}``, ``self``, names starting
   with ``_`` and any file (``{% include %}``) outside the template's folder.

The sandbox bounds what a template reaches; what it costs is bounded too: every step that makes a
text is weighed (bounds.py: no text past any email's size, beside a running thread as without one;
review 26m #1), and ``limits()`` stops one that takes 10 seconds (a loop of loops) or, while no other
thread runs, 512 MB of memory (review 25k #3).
"""

from __future__ import annotations

import difflib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import jinja2
import jinja2.runtime
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import BaseModel

from mailer.compose import bounds, paths, tokens
from mailer.errors import ReleaseError, TemplateError

# The filters a release may use on a contact field (README, "Contact fields in a release").
FILTERS: tuple[str, ...] = ("default", "d", *tokens.VALUE_FILTERS)
ALLOWED = (
    'Only contact fields and these filters can be used: {{ contact.first_name }}, {{ contact.outlet | default("your outlet") }}, '
    "and the filters " + ", ".join(FILTERS) + "."
)
_FIELD_HINT = 'NAME is the list\'s column name in lower case with _ for spaces: "First Name" is contact.first_name.'
# Deeper than any real expression; keeps Jinja's recursive parser away from Python's limit.
_MAX_NESTING = 40
# What rendering one template may cost (review 25k #3): a real one takes milliseconds and a few MB,
# an agency's could ask for all the computer's memory ({{ 'x' * 10**10 }}) or loop for days.
RENDER_SECONDS = 10
RENDER_MEMORY = 512 * 1024**2  # bytes of address space more than the process had
_MAX_POWER_BITS = 100_000  # 10 ** 30000


class TooCostly(TemplateError):
    """Rendering a template took longer than RENDER_SECONDS."""


# One render under the memory bound at a time: two threads each bounding and restoring the process's
# limit could restore them out of order and leave the process bounded for good (review 25x #4).
_BOUNDED = threading.RLock()


@contextmanager
def limits(*, clock: bool = True) -> Iterator[None]:
    """``_limits`` (below), one thread at a time."""
    with _BOUNDED, _limits(clock=clock):
        yield


@contextmanager
def _limits(*, clock: bool = True) -> Iterator[None]:
    """Rendering a template inside: a MemoryError past RENDER_MEMORY more (Linux: the process's address
    space is bounded while inside), and with ``clock`` TooCostly past RENDER_SECONDS (Python's trace
    hook, which sees every call and every line the template runs; not when a debugger already holds it;
    reading a template needs no clock, and would take twice as long with one).

    The memory bound is the process's, so it is set only while no other thread runs (`mailer preview`,
    a script's render): a send, which reads its lists on a thread of its own as it composes, renders
    under the clock and the sandbox's own checks alone."""
    import sys

    deadline = time.monotonic() + RENDER_SECONDS
    stopped = False

    def trace(frame: FrameType, event: str, arg: object) -> Any:
        """Each call (and each line of the template's own code: its loops) looks at the clock."""
        nonlocal stopped
        if stopped:
            return None  # once: Jinja's own handling of the error runs on untroubled
        if time.monotonic() > deadline:
            stopped = True
            raise TooCostly(f"the template took more than {RENDER_SECONDS} seconds to render")
        return trace if isinstance(frame.f_globals.get("environment"), Sandbox) else None

    # The bound is the whole process's: only while no other thread runs. Beside the lists' read-ahead
    # (a send reads them as it composes), Arrow's allocator reserving address space failed under it, and
    # so did the imports the main thread made next ("No module named 'subprocess'"; lead 25).
    previous = _bound_memory() if sys.platform == "linux" and threading.active_count() == 1 else None
    traced = clock and sys.gettrace() is None
    if traced:
        sys.settrace(trace)
    counted = bounds.start()
    try:
        yield
    finally:
        bounds.stop(counted)
        if traced:
            sys.settrace(None)
        if previous is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, previous)


def _bound_memory() -> tuple[int, int] | None:
    """The process's address space bounded to RENDER_MEMORY more than now; the bound it had (None: left as it was)."""
    import resource  # Unix only

    previous = resource.getrlimit(resource.RLIMIT_AS)
    try:
        allowed = _address_space() + RENDER_MEMORY
        if previous[0] != resource.RLIM_INFINITY and previous[0] <= allowed:
            return None
        resource.setrlimit(resource.RLIMIT_AS, (allowed, previous[1]))
    except (ValueError, OSError):  # no /proc: no bound
        return None
    return previous


def _address_space() -> int:
    """The process's address space now, in bytes (Linux)."""
    import os

    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


class Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with the composer's own objects closed too.

    ``contact.NAME`` (a FieldRef while rendering once, a journalist's value otherwise) is the
    only attribute a contact offers: a FieldRef's own attributes (its recorder, ``then``) are
    unsafe, and a journalist's fields are looked up by name, never as dict methods.

    ``**`` goes through ``call_binop`` (Jinja's own way to limit an operator), which refuses a power
    of thousands of digits: 7 ** 1000000000 took hours of one C call, nothing could stop. ``*``, ``+``
    and ``%`` do too, and with the filters, the methods, ``~``, slices and the joins of blocks and
    output, they are weighed (bounds.py): no step makes a text larger than any email (review 26m #1).
    """

    intercepted_binops = frozenset({"**", "*", "+", "%"})

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        if (
            operator == "**"
            and isinstance(left, int)
            and isinstance(right, int)
            and abs(left) > 1
            and right * abs(left).bit_length() > _MAX_POWER_BITS
        ) or (
            operator == "*"
            and isinstance(left, int)
            and isinstance(right, int)
            and abs(left).bit_length() + abs(right).bit_length() > _MAX_POWER_BITS
        ):
            raise SecurityError(f"{left} {operator} {right} is a number too large to work out")
        bounds.operator(operator, left, right)
        return bounds.made(super().call_binop(context, operator, left, right))

    def call(self, context: jinja2.runtime.Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """A call, weighed: a text's or number's method given a width or count past bounds.MAX_NUMBER, or
        about to make a text past bounds.MAX_TEXT ('x'.ljust(1500000000), s.replace('x', s)), is refused."""
        owner = getattr(obj, "__self__", None)
        if isinstance(owner, (str, bytes, int)):
            name = getattr(obj, "__name__", "")
            if name not in ("format", "format_map"):
                bounds.numbers((*args, *kwargs.values()), f'the method ".{name}"')
            estimate = bounds.method_estimate(obj, args, kwargs)
            if estimate is not None:
                bounds.ahead(estimate, f'a text with ".{name}"')
        return bounds.made(super().call(context, obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """Jinja's own ``str.format`` (its sandboxed formatter), weighed: '{:>1500000000}'.format('x')."""
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        template, name = value.__self__, value.__name__

        def weighed(*args: Any, **kwargs: Any) -> str:
            bounds.ahead(bounds.format_estimate(template, name, args, kwargs), f'a text with ".{name}"')
            return str(bounds.made(wrapper(*args, **kwargs)))

        return weighed

    def getitem(self, obj: Any, argument: Any) -> Any:
        value = super().getitem(obj, argument)
        return bounds.made(value) if isinstance(argument, slice) else value

    def concat(self, parts: Iterable[Any]) -> str:
        """The joins of a template's output and its blocks (Environment.concat), weighed as they are read."""
        return "".join(bounds.joined(parts, "its email"))

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, (tokens.FieldRef, tokens.Recorder)):
            return False
        if isinstance(obj, BaseModel) or (isinstance(obj, type) and issubclass(obj, BaseModel)):
            # Its fields, never its methods: pydantic's parse_raw(..., proto="pickle") runs code.
            return attr in type(obj).model_fields if isinstance(obj, BaseModel) else False
        return super().is_safe_attribute(obj, attr, value)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, FieldValues):
            return obj[attribute] if attribute in obj else self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


@dataclass(frozen=True, slots=True)
class SenderFields:
    """What a template knows of the sender: mailer.toml's [sender] as plain text ({{ sender.postal_address }})."""

    from_email: str
    from_name: str
    reply_to: str | None
    postal_address: str | None


class FieldValues(dict[str, str]):
    """One journalist's fields as ``contact`` (``contact.items`` is the field "items", not a method)."""

    def __str__(self) -> str:
        raise TemplateError("contact is printed as a whole; write one field, contact.NAME.", hint=tokens.WHOLE_CONTACT_HINT)


def environment(folder: Path, *, autoescape: bool) -> jinja2.Environment:
    """The sandboxed environment templates and release expressions render in."""
    env = Sandbox(
        loader=FolderLoader(folder),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    env.globals.clear()
    env.filters.update(tokens.filter_overrides())
    env.filters = {name: bounds.checked_filter(name, function) for name, function in env.filters.items()}
    return env


def _finalize(value: Any) -> Any:
    """What a ``{{ ... }}`` writes, weighed first: a list written out as text ({{ [a, a, a] * 9 }}), and a
    text counted (escaped, it is copied: a loop writing 1 MB a thousand times made a thousand copies)."""
    if isinstance(value, str):
        bounds.count(len(value))
    elif isinstance(value, (list, tuple, set, frozenset, dict)):
        bounds.ahead(bounds.size(value), "a list written out")
    return value


class _Template(jinja2.Template):
    """A template whose ``~`` (Jinja's str_join and markup_join) is weighed like the rest (bounds.py)."""

    @classmethod
    def _from_namespace(cls, environment: jinja2.Environment, namespace: Any, globals: Any) -> Any:
        namespace["str_join"] = bounds.str_join
        namespace["markup_join"] = bounds.markup_join
        return super()._from_namespace(environment, namespace, globals)


Sandbox.template_class = _Template


# A template or its stylesheet is a few kilobytes; an agency's of gigabytes was read whole, held twice
# (bytes, then text) and parsed, before any clock or bound applied (review 26m #4).
MOST_TEMPLATE = 2 * 1024**2


def check_size(path: Path, what: str) -> None:
    """A TemplateError for a template file larger than MOST_TEMPLATE, told before it is read."""
    try:
        size = path.stat().st_size
    except OSError:
        return  # not there: the reader says so in its own words
    if size > MOST_TEMPLATE:
        raise TemplateError(
            f"{path}: the {what} is {size / 1024**2:,.0f} MB; an email's {what} is a few kilobytes, so it was not read.",
            hint="If the template came with a release from outside the office, use your own instead (take the template: line out of the release).",
        )


class FolderLoader(jinja2.FileSystemLoader):
    """Templates from one folder only (links followed, then checked), each checked by ``check_template``."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.folder = folder
        self.read: dict[str, str] = {}  # each template this loader gave, by its name in the folder: its text

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        check_size(self.folder / template, "template")
        try:
            source, filename, uptodate = super().get_source(environment, template)
        except UnicodeDecodeError as exc:  # saved as Windows-1252 by an editor (review 17c #4: a traceback)
            line = exc.object[: exc.start].count(b"\n") + 1
            raise TemplateError(
                f"{self.folder / template}, line {line}: the template file is not UTF-8 text.",
                hint="Save it as UTF-8 (in your editor: Save As, Encoding: UTF-8) and try again.",
            ) from None
        if paths.resolve(filename, base=self.folder, root=self.folder) is None:
            raise TemplateError(
                f'{filename}: the template "{template}" is outside the templates folder ({self.folder}).',
                hint="Keep a template's files, and the files it includes, inside its own folder.",
            )
        check_template(environment.parse(source, template, filename), filename)
        self.read[template] = source
        return source, filename, uptodate


def check_template(tree: nodes.Template, filename: str) -> None:
    """Refuse what could let a template reach beyond its context: imports, ``self``, private names."""
    for node in tree.find_all((nodes.Import, nodes.FromImport, nodes.Name, nodes.Getattr, nodes.Getitem, nodes.Include, nodes.Extends)):
        problem = None
        if isinstance(node, (nodes.Import, nodes.FromImport)):
            problem = "{% import %} is not allowed in a template"
        elif isinstance(node, nodes.Name) and (node.name == "self" or node.name.startswith("_")):
            problem = f'"{node.name}" is not allowed in a template'
        elif isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            problem = f'".{node.attr}" is not allowed in a template'
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and str(node.arg.value).startswith("_"):
            problem = f'"[{node.arg.value!r}]" is not allowed in a template'  # other keys: the sandbox checks them as it renders
        elif isinstance(node, (nodes.Include, nodes.Extends)) and not isinstance(node.template, nodes.Const):
            problem = "{% include %} and {% extends %} need a quoted file name"
        elif isinstance(node, (nodes.Include, nodes.Extends)) and not str(getattr(node.template, "value", "")).lower().endswith(".j2"):
            # A template beside a release could put any file of its folder in every email: a press
            # list (press.csv), mailer.toml with the log's URL and password (review 23a #11).
            problem = f'{{% include "{getattr(node.template, "value", "")}" %}}: only template files (.j2) can be included, not other files'

        if problem:
            raise TemplateError(
                f"{filename}, line {node.lineno}: {problem}.",
                hint="A template uses the release's fields (see templates/release.html.j2), contact fields and filters only.",
            )


def check_expression(source: str, where: str) -> None:
    """The one rule for a ``{{ ... }}`` in a release; a ReleaseError at ``where`` ("file, line N") otherwise."""
    if source.startswith("{%"):
        raise ReleaseError(
            f"{where}: {source} is not supported in a release.",
            hint='Use {{ contact.FIELD }} or {{ contact.FIELD | default("...") }}; put conditions in a template instead.',
        )
    if source.startswith("{#"):
        return  # a comment: Jinja drops it
    if _nesting(source) > _MAX_NESTING:
        raise ReleaseError(f"{where}: {_short(source)} is not allowed in a release.", hint=ALLOWED)
    try:
        tree = _PARSER.parse(source)
    except jinja2.TemplateSyntaxError as exc:
        raise ReleaseError(
            f"{where}: {_short(source)} is not a valid expression: {exc.message}.",
            hint='Write it like {{ contact.first_name | default("colleague") }}.',
        ) from exc
    except RecursionError as exc:
        raise ReleaseError(f"{where}: {_short(source)} is not allowed in a release.", hint=ALLOWED) from exc
    for expression in _outputs(tree, source, where):
        _check_value(expression, source, where)


_PARSER = Sandbox()


def _outputs(tree: nodes.Template, source: str, where: str) -> Iterator[nodes.Expr]:
    for statement in tree.body:
        if not isinstance(statement, nodes.Output):
            raise ReleaseError(f"{where}: {_short(source)} is not allowed in a release.", hint=ALLOWED)
        for item in statement.nodes:
            if not isinstance(item, nodes.TemplateData):
                yield item


def _check_value(node: nodes.Expr, source: str, where: str) -> None:
    """A quoted text, a contact field, or an allowed filter (quoted arguments) over one of those."""
    while isinstance(node, nodes.Filter):
        if node.name not in FILTERS:
            close = difflib.get_close_matches(node.name, FILTERS, n=1)
            raise ReleaseError(
                f'{where}: {source} uses the filter "{node.name}", which a release cannot use.',
                hint=(f"Did you mean {close[0]}? " if close else "") + ALLOWED,
            )
        arguments = [*node.args, *(keyword.value for keyword in node.kwargs)]
        if node.dyn_args or node.dyn_kwargs or not all(_is_constant(argument) for argument in arguments):
            raise ReleaseError(f"{where}: {source}: a filter's arguments must be quoted text.", hint=ALLOWED)
        _check_arguments(node, source, where)
        if node.node is None:
            raise ReleaseError(f"{where}: {_short(source)} is not allowed in a release.", hint=ALLOWED)
        node = node.node
    if _is_constant(node):
        return
    if isinstance(node, nodes.Name):
        if node.name == "contact":
            raise ReleaseError(f"{where}: {source}: write contact fields as contact.NAME.", hint=_FIELD_HINT)
        close = difflib.get_close_matches(node.name, ["contact"], n=1)
        raise ReleaseError(
            f'{where}: {source} uses "{node.name}", which a release does not know.',
            hint=f"Did you mean {close[0]}?" if close else ALLOWED,
        )
    if isinstance(node, (nodes.Getattr, nodes.Getitem)) and isinstance(node.node, nodes.Name) and node.node.name == "contact":
        key = node.attr if isinstance(node, nodes.Getattr) else node.arg.value if isinstance(node.arg, nodes.Const) else None
        if isinstance(key, str) and tokens.FIELD_NAME.match(key) and not key.startswith("_"):
            return
        raise ReleaseError(f"{where}: {source}: write contact fields as contact.NAME.", hint=_FIELD_HINT)
    for name in node.find_all(nodes.Name):
        if name.name != "contact":
            _check_value(name, source, where)  # the unknown name is the clearest message
    raise ReleaseError(f"{where}: {_short(source)} is not allowed in a release.", hint=ALLOWED)


# What each filter a release may use takes besides the value (review 17c #2: default("a", "b", "c")
# or "x" | upper("y") stopped the preview with a Python traceback).
_DEFAULT_KEYWORDS = ("default_value", "boolean")


def _check_arguments(node: nodes.Filter, source: str, where: str) -> None:
    """A filter's arguments are ones it takes: default("text") (and true to use it for an empty
    value too), and nothing for upper, lower, title, capitalize, trim and urlencode."""
    if node.name in ("default", "d"):
        keywords = [keyword.key for keyword in node.kwargs]
        taken = _DEFAULT_KEYWORDS[: len(node.args)]
        if len(node.args) <= len(_DEFAULT_KEYWORDS) and all(key in _DEFAULT_KEYWORDS and key not in taken for key in keywords):
            return
        raise ReleaseError(
            f'{where}: {_short(source)}: the filter "{node.name}" takes one quoted text, the value shown when a journalist has none.',
            hint='Write it like {{ contact.first_name | default("colleague") }}.',
        )
    if node.args or node.kwargs:
        raise ReleaseError(
            f'{where}: {_short(source)}: the filter "{node.name}" takes no arguments.',
            hint=f"Write it like {{{{ contact.outlet | {node.name} }}}}. " + ALLOWED,
        )


def _is_constant(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Const) and (node.value is None or isinstance(node.value, (str, bool, int, float)))


def _nesting(source: str) -> int:
    depth = deepest = 0
    for char in source:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    return max(deepest - 2, source.count("|"))  # the {{ }} themselves count twice


def _short(source: str) -> str:
    """The expression as a message quotes it: its first line, 80 characters at most (a missing
    "}" runs it on to the next "}}", maybe 30 lines down; newcomer review 8)."""
    first, newline, _ = source.partition("\n")
    if len(first) > 80 or newline:
        return first[:77].rstrip() + "..."
    return first
