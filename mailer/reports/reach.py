"""A campaign and its follow-ups together: which follows which, and the combined reach.

A follow-up (``mailer send --follow-up``) names its original in the log (``campaign.follow_up_of``).
The report of either shows the link, and the reach of the original and every follow-up of it
together: journalists delivered to and journalists who opened (by people, Apple's pre-fetch left
out), each journalist counted once however many of the emails they got or opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from mailer.counting import counted
from mailer.store import campaigns as campaign_store
from mailer.store import follow_ups

__all__ = ["Reach", "reach"]

WHO = {"not-opened": "not opened", "not-clicked": "not clicked"}  # --who as the plan says it


@dataclass(frozen=True, slots=True)
class Reach:
    """The original, its live follow-ups (oldest first, with the ``--who`` each went to) and their reach together."""

    campaign_id: str  # the campaign the report is about
    original: str
    follow_ups: tuple[tuple[str, str], ...]  # (campaign id, who)
    delivered: int  # distinct journalists delivered to by any of them
    opened: int  # distinct journalists who opened any of them (by people)

    def lines(self) -> list[str]:
        """What the report says about it, in sentences."""
        count = len(self.follow_ups)
        said = [f"{cid} ({WHO.get(who, who)})" for cid, who in self.follow_ups]
        link = (
            f"Followed up by {', '.join(said)}."
            if self.campaign_id == self.original
            else f"Follow-up of {self.original}" + (f"; all follow-ups: {', '.join(said)}." if count > 1 else ".")
        )
        together = f"{self.original} and its {count} follow-up{'s' if count != 1 else ''}"
        combined = f"Combined reach of {together}: {counted(self.delivered, 'journalist')} delivered to, {self.opened:,} opened by people"
        return [link, combined + " (each journalist counted once)."]

    def as_json(self) -> dict[str, Any]:
        return {
            "original": self.original,
            "follow_ups": [{"campaign": cid, "who": who} for cid, who in self.follow_ups],
            "combined": {"delivered": self.delivered, "opened_human": self.opened},
        }


def reach(connection: Connection, campaign_id: str) -> Reach | None:
    """The link and combined reach of a campaign that follows up, or was followed up by, live sends; None otherwise."""
    family = campaign_store.follow_up_family(connection, campaign_id)
    if len(family) == 1:
        return None
    later = []
    for cid in family[1:]:
        info = campaign_store.get(connection, cid)
        who = str((info.filters.get("follow_up") or {}).get("who", "")) if info is not None else ""
        later.append((cid, who))
    delivered, opened = follow_ups.reach(connection, family)
    return Reach(campaign_id, family[0], tuple(later), delivered, opened)
