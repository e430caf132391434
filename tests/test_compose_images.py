"""Local images in a release: attached inline, shown through cid:, checked, and previewable."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from click.testing import CliRunner
from conftest import ROOT
from send_fixtures import config_for, contact_list, transport_for

from mailer import compose
from mailer.cli import main
from mailer.compose import images, release
from mailer.compose import preview as preview_module
from mailer.config import ComposeConfig, Config
from mailer.errors import ReleaseError, SendError
from mailer.models import Message
from mailer.send import plan
from mailer.transport import mailsend
from mailer.transport.base import Request

DATA = ROOT / "tests" / "data" / "releases" / "images"
WITH_LOGO = DATA / "with-logo.md"
LOGO = DATA / "kit" / "logo.png"


def _render(path: Path, config: Config | None = None) -> Any:
    return compose.render(release.load(path), config=config or Config())


def _write(folder: Path, body: str, files: dict[str, bytes] | None = None) -> Path:
    """A release r.md in ``folder`` with ``body``, beside ``files`` (relative name -> content)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in (files or {}).items():
        file = folder / name
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(content)
    path = folder / "r.md"
    path.write_text(f'---\nsubject: "Subject"\n---\nIntro.\n\n{body}\n', encoding="utf-8")
    return path


def test_images_local_png_is_attached_inline_and_named_by_cid() -> None:
    """The logo becomes one inline attachment (used twice, sent once); every <img> names its content id."""
    rendered = _render(WITH_LOGO)
    content = LOGO.read_bytes()
    (image,) = rendered.attachments
    assert (image.filename, image.content, image.mime_type, image.disposition) == ("logo.png", content, "image/png", "inline")
    assert image.content_id == f"img-{hashlib.sha256(content).hexdigest()[:24]}@press-mailer"
    sources = [img.get("src") for img in lxml.html.document_fromstring(rendered.html).iter("img")]
    assert sources == [f"cid:{image.content_id}"] * 2
    assert _render(WITH_LOGO).attachments[0].content_id == image.content_id  # stable: the same picture, the same id


def test_images_request_body_has_inline_attachment_the_standin_accepts(standin: Any) -> None:
    """The Mail Send body carries the image with disposition inline and the content_id the HTML's cid: names."""
    rendered = _render(WITH_LOGO)
    cid = rendered.attachments[0].content_id
    messages = (Message("k" * 32, "jo@example.org", "Jo Doe", {"email": "jo@example.org"}),)
    transport_for(standin, config_for(standin.url)).send(Request("2026-02-19-logo", 1, rendered, messages))
    (sent,) = standin.mail_sends
    assert sent.status == 202  # the stand-in checks the body against SendGrid's OpenAPI description
    assert sent.body["attachments"] == [
        {
            "content": mailsend.base64.b64encode(LOGO.read_bytes()).decode("ascii"),
            "filename": "logo.png",
            "type": "image/png",
            "disposition": "inline",
            "content_id": cid,
        }
    ]
    html = next(part["value"] for part in sent.body["content"] if part["type"] == "text/html")
    assert f'src="cid:{cid}"' in html


def test_images_text_part_shows_alt_text_and_dateline_skips_the_logo() -> None:
    """The text part says [Image: alt]; the dateline opens the first paragraph of text, not the logo's."""
    rendered = _render(WITH_LOGO)
    assert "\n[Image: Riverbend Beekeepers Association logo]\n\nRiverbend, ST – February 19, 2026 – The Riverbend" in rendered.text
    body = lxml.html.document_fromstring(rendered.html).get_element_by_id("body")
    first, second = body.findall(".//p")[:2]
    assert first.find("img") is not None and first.find("span") is None
    assert second.text_content().startswith("Riverbend, ST – February 19, 2026 – The Riverbend")


@pytest.mark.parametrize("written", ["../outside.png", "kit/../../outside.png", "ABSOLUTE", "/etc/passwd", "kit/link.png"])
def test_images_outside_the_release_folder_are_refused(tmp_path: Path, written: str) -> None:
    """../ escapes, absolute paths and links that lead out of the release's folder are refused, naming the line."""
    outside = tmp_path / "outside.png"
    outside.write_bytes(LOGO.read_bytes())
    path = _write(tmp_path / "release", "![x](SRC)".replace("SRC", str(outside) if written == "ABSOLUTE" else written))
    (tmp_path / "release" / "kit").mkdir()
    (tmp_path / "release" / "kit" / "link.png").symlink_to(outside)
    with pytest.raises(ReleaseError) as caught:
        _render(path)
    shown = str(outside) if written == "ABSOLUTE" else written
    assert caught.value.message == (
        f'{path}, line 6: the image "{shown}" is outside the release\'s folder ({path.parent}), so it cannot be used.'
    )
    assert "kit/logo.png" in (caught.value.hint or "")


def test_images_a_text_file_named_png_is_refused(tmp_path: Path) -> None:
    """The file's first bytes decide what it is, not its name."""
    path = _write(tmp_path, "![Logo](kit/fake.png)", {"kit/fake.png": (DATA / "kit" / "fake.png").read_bytes()})
    with pytest.raises(ReleaseError) as caught:
        _render(path)
    assert caught.value.message == (
        f'{path}, line 6: the image "kit/fake.png" is not a PNG, JPEG or GIF image (its content is not, whatever its name says).'
    )
    assert (caught.value.hint or "").startswith("Save it as PNG or JPEG")


def test_images_svg_is_refused_with_the_formats_that_work(tmp_path: Path) -> None:
    """SVG (and WebP, BMP, TIFF, HEIC) are refused: many email clients cannot show them."""
    path = _write(tmp_path, "![Logo](logo.svg)", {"logo.svg": b'<svg xmlns="http://www.w3.org/2000/svg"/>'})
    with pytest.raises(ReleaseError, match=r'line 6: the image "logo.svg" is a SVG file, which many email clients cannot show'):
        _render(path)


def test_images_gif_and_jpeg_take_the_type_their_content_says(tmp_path: Path) -> None:
    """A GIF is image/gif; a JPEG saved with a .png name is sent as image/jpeg."""
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
    path = _write(
        tmp_path, "![Dot](kit/dot.gif) ![Photo](photo.png)", {"kit/dot.gif": (DATA / "kit" / "dot.gif").read_bytes(), "photo.png": jpeg}
    )
    rendered = _render(path)
    assert [(a.filename, a.mime_type, a.disposition) for a in rendered.attachments] == [
        ("dot.gif", "image/gif", "inline"),
        ("photo.png", "image/jpeg", "inline"),
    ]


def test_images_missing_file_is_refused_unless_base_url_completes_it(tmp_path: Path) -> None:
    """A local image that is not there is an error; with [compose] base_url it is a web address, as before."""
    path = _write(tmp_path, "![Team](team.jpg)")
    with pytest.raises(ReleaseError) as caught:
        _render(path)
    assert caught.value.message == f'{path}, line 6: the image "team.jpg" does not exist ({tmp_path / "team.jpg"}).'
    rendered = _render(path, Config(compose=ComposeConfig(base_url="https://www.example.org/")))
    assert 'src="https://www.example.org/team.jpg"' in rendered.html and not rendered.attachments


def test_images_large_image_warns_with_its_size(tmp_path: Path) -> None:
    """An image over 1 MB is sent, with a warning naming it, its size and what to do."""
    path = _write(tmp_path, "![Big photo](big.png)", {"big.png": b"\x89PNG\r\n\x1a\n" + b"\0" * (1536 * 1024)})
    rendered = _render(path)
    assert (
        f"{path}, line 6: the image big.png is 1.5 MB; large images are clipped or slow to load on phones. "
        "Make it smaller (1200 pixels wide is plenty; save photos as JPEG)."
    ) in rendered.warnings


def test_images_missing_alt_text_warns_naming_the_image(tmp_path: Path) -> None:
    """An image without alt text warns, naming the file as written (not its cid:)."""
    path = _write(tmp_path, "![](kit/logo.png)", {"kit/logo.png": LOGO.read_bytes()})
    assert f"{path}, line 6: the image kit/logo.png has no alt text; write ![what it shows](kit/logo.png)." in _render(path).warnings


def test_images_change_the_content_hash(tmp_path: Path) -> None:
    """Replacing the picture (same file name) is new content: promise 8 must not skip it as already received."""
    path = _write(tmp_path, "![Logo](logo.png)", {"logo.png": LOGO.read_bytes()})
    before = _render(path).content_hash
    (tmp_path / "logo.png").write_bytes(LOGO.read_bytes() + b"\0")
    assert _render(path).content_hash != before


def test_images_count_toward_the_request_size(tmp_path: Path) -> None:
    """The plan counts inline images (base64) in what every request repeats: too big for one request is refused."""
    path = _write(tmp_path, "![Photo](photo.png)", {"photo.png": b"\x89PNG\r\n\x1a\n" + b"\0" * (3 * 1024 * 1024)})
    rendered = _render(path)
    assert plan.build(rendered, contact_list(2), max_request_bytes=5 * 1024 * 1024).request_count == 1
    with pytest.raises(SendError, match=r"more than one request to SendGrid can carry \(4 MB"):
        plan.build(rendered, contact_list(2), max_request_bytes=4 * 1024 * 1024)


def test_images_preview_shows_the_image_from_a_local_copy(tmp_path: Path) -> None:
    """A browser cannot resolve cid:, so the preview HTML points at a copy of the image beside it."""
    folder = tmp_path / "preview"
    shown = preview_module.write(WITH_LOGO, config=Config(), folder=folder)
    html = shown.html_path.read_text(encoding="utf-8")
    assert "cid:" not in html
    sources = {img.get("src") for img in lxml.html.document_fromstring(html).iter("img")}
    (source,) = sources
    assert source.startswith("with-logo.images/img-") and source.endswith(".png")
    assert (folder / source).read_bytes() == LOGO.read_bytes()


def test_images_cli_preview_lists_the_image(tmp_path: Path) -> None:
    """`mailer preview` names each inline image apart from attachments."""
    shutil.copytree(DATA, tmp_path / "releases")
    result = CliRunner().invoke(main, ["preview", "releases/with-logo.md", "-o", "out"])
    assert result.exit_code == 0, result.output
    assert f"Image:     logo.png ({LOGO.stat().st_size / 1024:.1f} KB)\n" in result.stdout
    assert (tmp_path / "out" / "with-logo.images").is_dir()


def test_images_is_local() -> None:
    """Only a path is read from disk: addresses, protocol-relative links, anchors and cid: are not."""
    assert images.is_local("kit/logo.png") and images.is_local("/srv/logo.png") and images.is_local("../x.png")
    for src in ("https://x.org/a.png", "//x.org/a.png", "#top", "cid:abc", "data:image/png;base64,AA==", ""):
        assert not images.is_local(src), src
