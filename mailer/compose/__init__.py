"""The composer: a release written in Markdown in, an inlined HTML email and a text part out.

In: a release file (YAML front matter + CommonMark) and the template folder. Out: ``Rendered``
(models.py), rendered and inlined once per campaign, with contact fields as substitution
tokens; ``personalize()`` fills them in for one journalist, the one path every proof and request
goes through.

    release.py    release.md -> Release: front matter checked, line and column on mistakes
    versions.py   a release's language versions (NAME.LANG.md beside it, or a translations: block)
    labels.py     the words a template adds and the dates, per language (built-in + labels.toml), Babel
    language_names.py  a list's language cell -> a tag: "fr", "fr_CA", or a name ("Français", "german")
    frontmatter.py  the file's bytes -> front matter (YAML, safely) and body
    sandbox.py    what a {{ ... }} may reach (contact fields, documented filters); the sandboxed Jinja
    paths.py      every file a release names stays inside its folder
    markup.py     Markdown -> HTML and text blocks, contact-field expressions -> tokens
    active.py     what a template's HTML may not hold: scripts, frames, event handlers, javascript: links
    tokens.py     the substitution tokens and their escaping, per place a value lands
    inline.py     CSS inlining (premailer), @media rules kept, links made absolute
    plaintext.py  the plain-text part, wrapped at 72 columns with footnote links
    render.py     Release -> Rendered; substitutions(), personalize(), render_for()

Never imports: contacts, send, transport, store, events, reports, cli, sendgrid, pandas
(the composer knows nothing of SendGrid or of lists).
"""

from __future__ import annotations

from mailer.compose.render import (
    ASM_UNSUBSCRIBE_TAG,
    SUBSCRIPTION_TAG,
    TEST_BANNER_HTML,
    TEST_BANNER_TEXT,
    TEST_PREFIX,
    bound_terms,
    bounder,
    check_fields,
    personalize,
    preheader_for,
    render,
    render_for,
    render_versions,
    substituter,
    substitutions,
    substitutions_of_columns,
    unknown_fields,
    unsubscribe_missing,
    unsubscribe_tag,
)

__all__ = [
    "ASM_UNSUBSCRIBE_TAG",
    "SUBSCRIPTION_TAG",
    "TEST_BANNER_HTML",
    "TEST_BANNER_TEXT",
    "TEST_PREFIX",
    "bound_terms",
    "bounder",
    "check_fields",
    "personalize",
    "preheader_for",
    "render",
    "render_for",
    "render_versions",
    "substituter",
    "substitutions",
    "substitutions_of_columns",
    "unknown_fields",
    "unsubscribe_missing",
    "unsubscribe_tag",
]
