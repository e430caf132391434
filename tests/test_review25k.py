"""Review 25k: a hostile reviewer's findings, each a test that failed before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from office_cli import mailer, said

# A key as SendGrid makes them: SG. + 22 + . + 43 characters (made up).
KEY = "SG.Zq8Vb2Rk4Tn6Wp0Xs3Yd5F.Hj7Lm9Qc1Ge3Uv5Ia7Ob9Kd2Nf4Pr6St8Wx0Yz1Ab3Cd5Ef7Gh9"

# -- 1. a key pasted unquoted into mailer.toml was quoted back by the hint for the TOML mistake -----


@pytest.mark.parametrize(
    "line",
    [
        f"[sendgrid]\napi_key = {KEY}",  # the line a press officer writes first
        f"SENDGRID_API_KEY={KEY}",  # the shell's line, pasted
        f"[sendgrid]\napi_key_env = {KEY}",
        f'[sender]\nfrom_name = "Press Office" {KEY}',
        f'[sendgrid]\n"{KEY}" = true',  # as a key's name: "unknown key"
    ],
)
def test_a_key_pasted_unquoted_into_mailer_toml_is_not_repeated(project: Path, line: str) -> None:
    """Review 24k #9 kept a key out of the error for a value of mailer.toml, but the first thing a press
    officer writes is  api_key = SG....  without quotes (or the shell's line, SENDGRID_API_KEY=SG....):
    that is not valid TOML, and the hint for it wrote the line back as it should be, 'Text goes in double
    quotes (api_key = "SG....")', the whole key on the terminal and in a script's --json log. Written as
    a key's name, "unknown key" named it too. The line is named, the key never shown."""
    (project / "mailer.toml").write_text(line + "\n", encoding="utf-8")
    for args in (("campaigns",), ("campaigns", "--json")):
        result = mailer(*args)
        assert result.exit_code == 1, result.output
        assert KEY[10:30] not in result.output, result.output
        assert "looks like a SendGrid API key (it is not shown here)" in said(result), result.output
        assert "line 2" in said(result) or "line 1" in said(result), result.output
