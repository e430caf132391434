"""personalize() gives exactly what a full per-journalist render would: proved over arbitrary values."""

from __future__ import annotations

import lxml.html
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mailer import compose
from mailer.compose import release
from mailer.config import Config, SenderConfig, SendGridConfig
from mailer.errors import TemplateError
from mailer.models import Rendered

CONFIG = Config(sender=SenderConfig(postal_address="1 Example Street"), sendgrid=SendGridConfig(asm_group_id=7))

RELEASE = """---
subject: "News for {{ contact.outlet }}"
headline: "A headline for {{ contact.first_name | default('everyone') }}"
preheader: "Read this, {{ contact.first_name | default('colleague') }}"
about: "About us, for {{ contact.outlet | upper }}."
date: 2026-02-19
contact:
  name: "Dana"
  email: "press@example.org"
---
Dear {{ contact.first_name | default("colleague") }},

*{{ contact.beat | default("") }}* news for {{ contact.outlet }} -- "{{ contact.outlet | trim }}".

> A quote with {{ contact.first_name | d("you", true) }} inside.

- item for {{ contact.beat | default("all beats") | lower }}
- [your page](https://www.example.org/p?o={{ contact.outlet | urlencode }}&b={{ contact.beat | default("x") }}&end=1)

![Photo for {{ contact.first_name | default("you") }} here](https://www.example.org/a.png)
"""

TOKEN_LIKE = [
    "-~c.outlet.h~-",
    "-~c.first_name.t~-",
    "-~c.beat.u~-",
    "-~c.outlet.s~-",
    "-~unsubscribe~-",
    "zqx0qqqqqqqqqxqz",
    "zqx1xqz",
    "<%asm_group_unsubscribe_raw_url%>",
    "{{ contact.outlet }}",
    "AT&T",
    "<b>bold</b>",
    'O\'Brien "Bob"',
    "Zoë 😀 Ng",
    "&amp;",
    "a\r\nb",
    "  spaced  ",
]
VALUE = st.one_of(st.text(max_size=30), st.sampled_from(TOKEN_LIKE), st.lists(st.sampled_from(TOKEN_LIKE), max_size=3).map("".join))


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> release.Release:
    path = tmp_path_factory.mktemp("release") / "r.md"
    path.write_text(RELEASE, encoding="utf-8")
    return release.load(path)


@pytest.fixture(scope="module")
def rendered(loaded: release.Release) -> Rendered:
    return compose.render(loaded, config=CONFIG)


def _dom(html: str) -> str:
    return lxml.html.tostring(lxml.html.document_fromstring(html), encoding="unicode")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first_name=VALUE, outlet=VALUE, beat=VALUE)
@example(first_name="-~c.outlet.h~-", outlet="-~c.first_name.h~-", beat="-~c.beat.u~-")
@example(first_name="<script>alert(1)</script>", outlet="AT&T", beat="Zoë 😀")
@example(first_name='Jo "JJ" <b onclick=x>', outlet='The "Bee" & Co', beat='a"b c')  # quotes in attributes and URLs
@example(first_name="Jo", outlet="zqx0xqz", beat="a b é")  # the text part's list of links: encoded, filled in once (review 17c #7)
def test_personalize_equals_direct_render(loaded: release.Release, rendered: object, first_name: str, outlet: str, beat: str) -> None:
    """Substituting one journalist's values equals rendering and inlining the release for them."""
    fields = {"email": "j@example.org", "first_name": first_name, "outlet": outlet, "beat": beat}
    if not outlet:  # outlet has no default: both ways refuse, naming the field
        with pytest.raises(TemplateError, match="outlet"):
            compose.personalize(rendered, fields)  # type: ignore[arg-type]
        with pytest.raises(TemplateError, match="outlet"):
            compose.render_for(loaded, fields, config=CONFIG)
        return
    fast = compose.personalize(rendered, fields)  # type: ignore[arg-type]
    slow = compose.render_for(loaded, fields, config=CONFIG)
    assert fast.subject == slow.subject
    assert fast.text == slow.text
    assert _dom(fast.html) == _dom(slow.html)
    if not any(quote in value for value in (first_name, outlet, beat) for quote in "\"'"):
        # lxml quotes an attribute with ' when its value holds ", and writes a ' in an attribute
        # as it is where personalize() writes &#39; (same DOM, other bytes)
        assert fast.html == slow.html


def test_personalize_substitution_is_single_pass(rendered: object) -> None:
    """A value that is another token is shown literally, never substituted again: not here, and
    not by SendGrid, which fills in tags inside values (review 23a #5), since a value never holds
    a tag (an invisible WORD JOINER inside its -~)."""
    email = compose.personalize(rendered, {"first_name": "-~c.outlet.h~-", "outlet": "-~c.first_name.h~-", "beat": ""})  # type: ignore[arg-type]
    assert "Dear -\u2060~c.outlet.h~-," in email.html
    assert "news for -\u2060~c.first_name.h~-" in email.html
    assert "-~c." not in email.html + email.text + email.subject


def test_personalize_tokens_are_distinct_per_part(rendered: object) -> None:
    """Subject, text, HTML text, attribute and URL tokens are separate, each escaped its own way."""
    tokens = rendered.tokens  # type: ignore[attr-defined]
    contexts = {(spec.field, spec.context) for spec in tokens.values()}
    assert {("outlet", "subject"), ("outlet", "text"), ("outlet", "html"), ("outlet", "url"), ("first_name", "attribute")} <= contexts
    for name in tokens:
        assert not set(name) & set("<>& ")
