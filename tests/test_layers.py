"""Data flows one way: each stage imports only what comes before it (STYLE.md §2)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "mailer"

# module prefix -> imports it must never make (each package's docstring says the same)
_LATER = {
    "contacts": ("mailer.compose", "mailer.send", "mailer.transport", "mailer.store", "mailer.events", "mailer.reports", "mailer.cli"),
    "compose": ("mailer.contacts", "mailer.send", "mailer.transport", "mailer.store", "mailer.events", "mailer.reports", "mailer.cli"),
    "transport": ("mailer.contacts", "mailer.send", "mailer.store", "mailer.events", "mailer.reports", "mailer.cli"),
    "send": ("mailer.events", "mailer.reports", "mailer.cli"),
    "store": ("mailer.contacts", "mailer.compose", "mailer.send", "mailer.transport", "mailer.events", "mailer.reports", "mailer.cli"),
    "events": ("mailer.contacts", "mailer.compose", "mailer.send", "mailer.transport", "mailer.reports", "mailer.cli"),
    "reports": ("mailer.contacts", "mailer.compose", "mailer.send", "mailer.transport", "mailer.events", "mailer.cli"),
}
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "mailer.contacts": (*_LATER["contacts"], "sendgrid", "jinja2", "sqlalchemy"),
    "mailer.compose": (*_LATER["compose"], "sendgrid", "pandas", "sqlalchemy"),
    "mailer.transport": (*_LATER["transport"], "sqlalchemy", "pandas", "jinja2"),
    "mailer.transport.sendgrid": ("mailer.transport.dryrun",),
    "mailer.transport.dryrun": ("mailer.transport.sendgrid", "sendgrid"),
    "mailer.send": (*_LATER["send"], "sendgrid"),
    "mailer.send.plan": ("mailer.transport", "mailer.store"),
    "mailer.store": (*_LATER["store"], "sendgrid"),
    "mailer.events": _LATER["events"],
    "mailer.events.signature": ("mailer.store", "mailer.events"),
    "mailer.reports": (*_LATER["reports"], "sendgrid"),
    # Shared by compose, the transports and the webhook, so it may know none of them.
    "mailer.unsubscribe": (*_LATER["contacts"], "mailer.contacts", "sendgrid", "jinja2", "sqlalchemy"),
    "mailer.models": ("mailer.",),
    # How an address is keyed, shared by the list loader, the store and the events.
    "mailer.mailbox": ("mailer.",),
    # SendGrid's API without redirects, shared by the transport and the suppression sync.
    "mailer.sendgrid_api": ("mailer.",),
    "mailer.errors": ("mailer.",),
    # Control characters shown as escapes, shared by the terminal's output and the HTML report.
    "mailer.controls": ("mailer.",),
    # Time zones as people write them, shared by --at and the embargo, so it may know neither.
    "mailer.zones": ("mailer.",),
    # A scheduled send in words, shared by the send stage and the reports, so it may know neither
    # (the store's Campaign for its type only).
    "mailer.scheduled": (*_LATER["store"], "sqlalchemy"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_layers_no_stage_reaches_back(path: Path) -> None:
    """A stage never imports a later stage, the command line, or a library it must not know."""
    name = module_name(path)
    rules = [banned for prefix, banned in FORBIDDEN.items() if name == prefix or name.startswith(prefix + ".")]
    for banned in (b for group in rules for b in group):
        offending = sorted(i for i in imports(path) if i == banned or i.startswith(banned if banned.endswith(".") else banned + "."))
        assert not offending, f"{name} imports {offending}, which {banned} stands for"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_layers_only_config_and_cli_read_the_environment(path: Path) -> None:
    """Configuration is loaded once and passed down; library modules never read os.environ."""
    name = module_name(path)
    if name in {"mailer.config"} or name.startswith("mailer.cli"):
        return
    source = path.read_text(encoding="utf-8")
    assert "os.environ" not in source and "os.getenv" not in source, f"{name} reads the environment"
