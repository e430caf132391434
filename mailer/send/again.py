"""A logged campaign's release file, and the command that sends that release again.

A campaign that cannot go on (cancelled, or its release changed since) is sent again by a new
``mailer send``: its refusal names that command with the release, the lists and the filters the
campaign row records, ready to paste (newcomer 15 #1: a bare "mailer send" left the press
officer to remember which lists and which --where the cancelled send had).
"""

from __future__ import annotations

import re
import shlex
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from zoneinfo import ZoneInfo

from mailer.compose.render import TEST_PREFIX
from mailer.config import Config
from mailer.models import Mode
from mailer.store import campaigns

__all__ = ["command", "release_file"]


def release_file(config: Config, found: campaigns.Campaign) -> Path:
    """The campaign's release file: where the log says it was, or, when that path is not on this
    computer (a colleague's copy of the press folder, sharing a PostgreSQL log; review 12a #16),
    the same file under this office's folder (mailer.toml's, else the current one): at the path
    inside the office folder the campaign kept (``campaigns.RELEASE``), else the longest end of
    the logged path found there. The caller compares its content with the campaign's."""
    logged = Path(found.release_path)
    if logged.is_file():
        return logged
    office = config.source.parent if config.source is not None else Path.cwd()
    inside = found.filters.get(campaigns.RELEASE)  # its path inside the office folder (newcomer 13 #1)
    if isinstance(inside, str) and config.source is not None and (office / inside).is_file():
        return office / inside
    # Logged on another system: C:\Users\ana\press\releases\x.md splits by Windows rules (review 12b #5).
    windows = "\\" in found.release_path or re.match(r"[A-Za-z]:", found.release_path) is not None
    pure = PureWindowsPath(found.release_path) if windows else PurePosixPath(found.release_path)
    parts = pure.parts[1:] if pure.anchor else pure.parts
    for start in range(len(parts)):
        for base in dict.fromkeys((office, Path.cwd())):
            candidate = base.joinpath(*parts[start:])
            if candidate.is_file():
                return candidate
    return logged  # not found: release.load says so, naming the logged path


def command(config: Config, found: campaigns.Campaign, *, now: datetime) -> str:
    """The command that sends ``found``'s release again as it was sent: ``mailer send RELEASE
    --list FILE ... --where ... --tag ...`` (with ``--follow-up``/``--who`` for a follow-up, the
    addresses it let through by name, ``--at`` its time while that is ahead, on the office's clock when
    mailer.toml names it, ``--dry-run`` for a dry run), or ``mailer test RELEASE``
    for a test send. Files are named from the current folder when they are inside it, else by
    their whole path, each quoted for the shell where it needs it. A test send to ``--to``
    addresses is named as one to the staff list: the log keeps no list of those addresses."""
    words = ["mailer", "test" if _is_test(found) else "send", _shown(release_file(config, found))]
    follow_up = found.filters.get("follow_up")
    lists = list(found.lists)
    if isinstance(follow_up, dict) and not _is_test(found):
        words += ["--follow-up", str(follow_up.get("of")), "--who", str(follow_up.get("who"))]
        lists = lists[1:]  # the first names the original: "CAMPAIGN (not opened)"
    if not _is_test(found):
        for name in lists:
            words += ["--list", _shown(_list_file(config, name))]
        words += [word for where in found.filters.get("where") or () for word in ("--where", str(where))]
        words += [word for tag in found.filters.get("tag") or () for word in ("--tag", str(tag))]
    words += [word for address in found.overrides for word in ("--override-suppression", address)]
    at = found.scheduled_at
    if at is not None and not _is_test(found) and at > now:  # still ahead: at that time (newcomer 25 #7; the log's clock)
        zone = config.reports.time_zone
        words += ["--at", f"{at.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} {zone}" if zone else f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"]
    if found.mode is Mode.DRY_RUN:
        words.append("--dry-run")
    return " ".join(shlex.quote(word) for word in words)


def _is_test(found: campaigns.Campaign) -> bool:
    """A test send to staff, live or a dry run (the log keeps its [TEST] subject)."""
    return found.mode is Mode.TEST or found.subject.startswith(TEST_PREFIX)


def _list_file(config: Config, name: str) -> Path:
    """A press list as the log names it: a whole path, or one inside the office folder (the
    current one without a mailer.toml), where a send logs a list typed there (cli.send.logged_paths)."""
    office = config.source.parent if config.source is not None else Path.cwd()
    return next((base / name for base in (office, Path.cwd()) if (base / name).is_file()), office / name)


def _shown(path: Path) -> str:
    """``path`` from the current folder when it is inside it ("lists/press.csv"), else whole."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
