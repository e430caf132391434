"""A press-list file's bytes -> UTF-8: the encodings mailer reads, and the files it refuses.

Excel and media databases write UTF-8 (with or without BOM), UTF-16 with BOM ("Unicode Text")
and Windows-1252 ("CSV" on Windows). Windows-1252 maps almost every byte, so a file in any
other encoding would read as nonsense without an error; the checks here refuse such files
(binary, UTF-32, UTF-16 without BOM, mixed encodings, other code pages) rather than guess.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from mailer.errors import ListError

MIXED_HINT = 'Rows pasted in from another file? Retype their accented letters. Then save the list as "CSV UTF-8" and try again.'
SAVE_AS_CSV = 'In your spreadsheet, use "Save As" and choose "CSV UTF-8 (Comma delimited)", then try again.'

# Bytes that never occur in a text export: their presence means a binary file. Tab, LF, CR,
# vertical tab and form feed are left alone (FileMaker writes vertical tabs inside cells).
_BINARY_BYTES = tuple(bytes([code]) for code in (*range(0x09), *range(0x0E, 0x20), 0x7F))
_BINARY_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# Windows-1252 decodes almost any byte, so a file in another code page (Shift-JIS, ISO-8859-2)
# reads as words with symbols inside them: "ŽR“c" for 山田, "¯ó³æ" for Żółć. Apostrophes, dashes,
# the Catalan middle dot and no-break spaces do occur inside words and are left alone.
_1252_SYMBOLS = "".join(
    c for c in bytes(range(0x80, 0xC0)).decode("cp1252", errors="ignore") if not c.isalpha() and c not in "‘’´·\xa0\xad–—"
)
_SYMBOLS_BEFORE_LETTER = re.compile(rf"[{re.escape(_1252_SYMBOLS)}]+(?=[^\W\d_])")  # no look-behind: fast scan
# A well-formed UTF-8 multi-byte character; in real Windows-1252 text these pairs ("Ã©") do not occur.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def empty_file(path: Path) -> ListError:
    """The error for a file with nothing in it (also raised when only blank lines are left)."""
    return ListError(f"{path}: the file is empty.", hint="Export the list again with a header row and one journalist per row.")


def to_utf8(path: Path, data: bytes) -> tuple[bytes, str]:
    """The file as UTF-8 bytes without BOM, and the encoding it was in (a label for people)."""
    if not has_text(data.removeprefix(codecs.BOM_UTF8)):
        raise empty_file(path)
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise ListError(f"{path}: this is an Excel workbook, not a CSV file.", hint=SAVE_AS_CSV)
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise ListError(f"{path}: the file is in UTF-32, which mailer does not read.", hint=SAVE_AS_CSV)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decoded(path, data, "utf-16", "UTF-16"), "UTF-16"
    if data.startswith(codecs.BOM_UTF8):
        body = data[len(codecs.BOM_UTF8) :]
        bad = _not_utf8_at(body)
        if bad is not None:
            raise ListError(
                f"{path}: the file starts like UTF-8 (with a byte-order mark), but byte 0x{body[bad]:02X} "
                f"on {_line_of(body, bad)} is not UTF-8.",
                hint=SAVE_AS_CSV,
            )
        return _without_binary_bytes(path, body), "UTF-8 with BOM"
    if b"\x00" in data:
        raise ListError(
            f"{path}: this is not a text file (it contains NUL bytes): a binary file, or UTF-16 text without a byte-order mark.",
            hint=SAVE_AS_CSV,
        )
    bad = _not_utf8_at(data)
    if bad is None:
        return _without_binary_bytes(path, data), "UTF-8"
    # A file with UTF-8 accents and one stray Windows byte (rows pasted from two exports) would
    # turn "josé@" into "josÃ©@", a valid but wrong address: refuse it rather than guess.
    utf8_accent = _UTF8_SEQUENCE.search(data)
    if utf8_accent:
        raise ListError(
            f"{path}: the file mixes encodings, or is in one mailer does not read: "
            f"{_line_of(data, utf8_accent.start())} has UTF-8 text, but byte 0x{data[bad]:02X} on {_line_of(data, bad)} is not UTF-8.",
            hint=MIXED_HINT,
        )
    # Not UTF-8: Excel's Windows "CSV" export. Windows-1252 maps almost every byte, so this is
    # tried last, and the five bytes it leaves undefined (0x81 0x8D 0x8F 0x90 0x9D) refuse the file.
    return _decoded(path, data, "cp1252", "Windows-1252"), "Windows-1252"


def _not_utf8_at(data: bytes) -> int | None:
    """The position of the first byte that is not UTF-8, or None when all of it is."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return None


def _without_binary_bytes(path: Path, data: bytes) -> bytes:
    """UTF-8 bytes, after making sure no control byte betrays a binary file."""
    # One memchr-speed find per byte beats a regular expression over a 100 MB file.
    positions = [p for p in (data.find(byte) for byte in _BINARY_BYTES) if p >= 0]
    if positions:
        first = min(positions)
        _refuse_binary(path, data[first], _line_of(data, first))
    return data


def _decoded(path: Path, data: bytes, codec: str, label: str) -> bytes:
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        raise ListError(
            f"{path}: the file is not in an encoding mailer reads (UTF-8, UTF-16 or Windows-1252): "
            f"byte 0x{data[exc.start]:02X} at position {exc.start} is not {label}.",
            hint=SAVE_AS_CSV,
        ) from None
    text = text.removeprefix("\ufeff")
    found = _BINARY_CHARS.search(text)
    if found:
        _refuse_binary(path, ord(found.group()), f"line {text.count(chr(10), 0, found.start()) + 1}")
    odd = _symbol_inside_word(text) if codec == "cp1252" else None
    if odd:
        before = re.split(r"[\s,;]", text[max(0, odd.start() - 30) : odd.start()])[-1]
        after = re.split(r"[\s,;]", text[odd.end() : odd.end() + 30])[0]
        raise ListError(
            f"{path}: the file is in an encoding mailer does not read: as Windows-1252, line "
            f'{text.count(chr(10), 0, odd.start()) + 1} would read "{before}{odd.group()}{after}".',
            hint=SAVE_AS_CSV,
        )
    return text.encode("utf-8")


def _symbol_inside_word(text: str) -> re.Match[str] | None:
    """The first run of symbols with letters on both sides ("R“c"), or None."""
    return next((m for m in _SYMBOLS_BEFORE_LETTER.finditer(text) if m.start() and text[m.start() - 1].isalpha()), None)


def _refuse_binary(path: Path, code: int, where: str) -> None:
    raise ListError(
        f"{path}: this does not look like a text file (control character 0x{code:02X} on {where}).",
        hint=SAVE_AS_CSV,
    )


def has_text(data: bytes) -> bool:
    return re.search(rb"[^\s\x00]", data) is not None and data not in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _line_of(data: bytes, position: int) -> str:
    return "line " + str(data.count(b"\n", 0, position) + 1)
