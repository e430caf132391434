"""Review 24y: a hostile reviewer's findings, each a test that failed before its fix."""

from __future__ import annotations

from pathlib import Path

from office_cli import mailer, said

# -- 1. an office's own stylesheet with "<td>" in a CSS comment refused as a script ------------------


def test_a_css_comment_naming_a_tag_is_no_script(project: Path) -> None:
    """Since the template checks were combined (review 24k, 24x), any tag the check's parser read inside
    a <style> was refused: the office's own templates/release.css with a comment "/* stack the <td>
    cells on phones */" in its @media rule (kept in a <style> block by inlining), or a <style> in the
    template whose comment says "Outlook <table> fix", stopped every preview and send with "<td> inside
    <style> is not allowed in an email template: it would run in the browser", naming release.html.j2,
    which holds no such thing. A browser reads an HTML <style> as text up to its "</style": such
    comments are fine now; a tag in it hiding that end, or an SVG's <style> holding markup, is refused."""
    css = project / "templates" / "release.css"
    css.write_text(
        css.read_text(encoding="utf-8")
        + "\n@media only screen and (max-width: 620px) {\n  /* stack the <td> cells on phones */\n  .content td { display: block !important; }\n}\n",
        encoding="utf-8",
    )
    template = project / "templates" / "release.html.j2"
    written = template.read_text(encoding="utf-8")
    template.write_text(
        written.replace("</head>", "<style>/* Outlook <table> fix */ table { border-collapse: collapse; }</style>\n</head>"),
        encoding="utf-8",
    )
    shown = mailer("preview", "releases/example.md", "-o", "out")
    assert shown.exit_code == 0, shown.output
    page = (project / "out" / "example.html").read_text(encoding="utf-8")
    assert "/* stack the <td> cells on phones */" in page or ".content td" in page
    # what a browser would run is still refused
    for hidden, named in (
        ('<style><a title="</style><img src=x onerror=alert(1)>"></a></style>', "<a> holding </style> inside <style>"),
        ("<style>/* <img src=x onerror=alert(1)> */</style>", "onerror="),
        ("<svg><style>/* <td> */</style></svg>", "<td> inside <style>"),
    ):
        template.write_text(written.replace("</head>", f"{hidden}\n</head>"), encoding="utf-8")
        refused = mailer("preview", "releases/example.md", "-o", "out2")
        assert refused.exit_code == 1, (hidden, refused.output)
        assert f"{named} is not allowed in an email template" in said(refused), (hidden, refused.output)
