"""Where the dateline goes ("Riverbend, ST – February 19, 2026 –"): the first paragraph of the
release's text, the same in the HTML and the plain-text part (nc9 #2: it was glued in front of a
personal greeting)."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from mailer import compose
from mailer.compose import release
from mailer.config import Config

LEAD = "Riverbend, ST – February 19, 2026 –"


def _rendered(tmp_path: Path, body: str) -> tuple[list[str], str]:
    """(the body's HTML paragraphs as text, the plain-text part) of a release with ``body``."""
    path = tmp_path / "r.md"
    path.write_text(f'---\nsubject: "Bees"\ndateline: "Riverbend, ST"\ndate: 2026-02-19\n---\n{body}\n', encoding="utf-8")
    rendered = compose.render_for(release.load(path), {"first_name": "Jürgen", "outlet": "TV Nord"}, config=Config())
    document = lxml.html.document_fromstring(rendered.html).get_element_by_id("body")
    return [" ".join(p.text_content().split()) for p in document.iter("p")], rendered.text


@pytest.mark.parametrize(
    ("greeting", "shown"),
    [
        (
            'Dear {{ contact.first_name | default("colleague") }} at {{ contact.outlet | default("your newsroom") }},',
            "Dear Jürgen at TV Nord,",
        ),
        ("Bonjour Madame, Monsieur,", "Bonjour Madame, Monsieur,"),
        ("Hi {{ contact.first_name }},", "Hi Jürgen,"),
    ],
)
def test_dateline_opens_the_text_after_a_greeting(tmp_path: Path, greeting: str, shown: str) -> None:
    paragraphs, text = _rendered(tmp_path, f"{greeting}\n\nThe Riverbend Beekeepers counted 1.2 million bees.\n\nMore later.")
    assert paragraphs[:2] == [shown, f"{LEAD} The Riverbend Beekeepers counted 1.2 million bees."]
    assert f"\n{shown}\n\n{LEAD} The Riverbend Beekeepers counted 1.2\nmillion bees." in text


def test_dateline_opens_the_first_paragraph_that_is_not_a_greeting(tmp_path: Path) -> None:
    """A long first paragraph that happens to end in a comma, or a first line of two, is text."""
    opening = "The Riverbend Beekeepers Association, founded in 1987 by six beekeepers and now six hundred strong,"
    paragraphs, text = _rendered(tmp_path, f"{opening}\n\nSecond paragraph.")
    assert paragraphs[0] == f"{LEAD} {opening}"
    assert f"{LEAD} The Riverbend" in text
    paragraphs, _ = _rendered(tmp_path, "Dear all,\nthe census is out.\n\nSecond paragraph.")
    assert paragraphs[0].startswith(LEAD)


def test_dateline_after_a_heading_is_in_the_first_paragraph_of_both_parts(tmp_path: Path) -> None:
    """A body opening with a heading or a list: the HTML and the text part agree (the text part used
    to glue it to the heading, the HTML to the first paragraph)."""
    paragraphs, text = _rendered(tmp_path, "## Census results\n\n- 412 volunteers\n- 1.2 million bees\n\nThe count took a week.")
    assert paragraphs[0] == f"{LEAD} The count took a week."
    assert "\nCensus results\n\n- 412 volunteers\n- 1.2 million bees\n\n" + f"{LEAD} The count took a week.\n" in text


def test_dateline_stands_alone_when_the_body_has_no_paragraph(tmp_path: Path) -> None:
    paragraphs, text = _rendered(tmp_path, "- 412 volunteers\n- 1.2 million bees")
    assert paragraphs[0] == LEAD
    assert text.index(LEAD) < text.index("- 412 volunteers")


def test_a_greeting_alone_still_gets_the_dateline(tmp_path: Path) -> None:
    paragraphs, text = _rendered(tmp_path, "Dear {{ contact.first_name }},")
    assert paragraphs[0] == f"{LEAD} Dear Jürgen,"
    assert f"{LEAD} Dear Jürgen," in text


def test_dateline_stands_alone_before_a_body_of_quotations_and_lists(tmp_path: Path) -> None:
    """Newcomer 10: a body holding only a quotation and a list put the dateline inside the quote."""
    paragraphs, text = _rendered(tmp_path, "> “A great day for bees,” said Maria Okafor.\n\n- 412 volunteers\n- 1.2 million bees")
    assert paragraphs[0] == LEAD
    assert text.index(LEAD) < text.index("A great day") and f"{LEAD} “A great" not in text
