"""A press-list file's bytes -> UTF-8: the encodings mailer reads, and the files it refuses.

Excel and media databases write UTF-8 (with or without BOM), UTF-16 with BOM ("Unicode Text"),
Windows-1252 ("CSV" on Windows) and Mac Roman ("CSV" in Excel for Mac). The two 8-bit code pages
map almost every byte, so a file in any other encoding would read as nonsense without an error:
the text is read in one of them only when it is plausible there (no "JosŽ Mu–oz": capitals or
symbols inside lower-case words), and other files (binary, UTF-32, UTF-16 without BOM, mixed
encodings, other code pages) are refused rather than guessed.

Stray control characters inside cells (FileMaker writes vertical tabs for line breaks; other
exports leave form feeds or 0x1A) are taken out, and the file's summary says so: they would
otherwise crash the XLSX report (openpyxl's IllegalCharacterError). A file full of them is binary.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mailer.errors import ListError

MIXED_HINT = 'Rows pasted in from another file? Retype their accented letters. Then save the list as "CSV UTF-8" and try again.'
SAVE_AS_CSV = 'In your spreadsheet, use "Save As" and choose "CSV UTF-8 (Comma delimited)", then try again.'

# Control bytes other than tab, LF and CR: a few inside cells are removed (vertical tab and
# form feed, which FileMaker and old exports use as line breaks, become spaces); many mean a
# binary file. One memchr-speed count per byte beats a regular expression over a 100 MB file.
_CONTROL_CODES = (*range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)
_CONTROL_BYTES = tuple(bytes([code]) for code in _CONTROL_CODES)
_CONTROLS_REMOVED = bytes(code for code in _CONTROL_CODES if code not in (0x0B, 0x0C))
_CONTROLS_TO_SPACE = bytes.maketrans(b"\x0b\x0c", b"  ")
_MAX_STRAY_CONTROLS = (16, 200)  # more than 16 and more than one byte in 200: binary
# Windows-1252 decodes almost any byte, so a file in another code page (Shift-JIS, ISO-8859-2)
# reads as words with symbols inside them: "ŽR“c" for 山田, "¯ó³æ" for Żółć. Apostrophes, dashes,
# the Catalan middle dot and no-break spaces do occur inside words and are left alone.
_1252_SYMBOLS = "".join(
    c for c in bytes(range(0x80, 0xC0)).decode("cp1252", errors="ignore") if not c.isalpha() and c not in "‘’´·\xa0\xad–—"
)
_SYMBOLS_BEFORE_LETTER = re.compile(rf"[{re.escape(_1252_SYMBOLS)}]+(?=[^\W\d_])")  # no look-behind: fast scan
_MAC_SYMBOLS = re.compile(
    "[{}]+(?=[^\\W\\d_])".format(
        re.escape("".join(c for c in bytes(range(0x80, 0x100)).decode("mac_roman") if not c.isalpha() and c not in "‘’´·\xa0–—"))
    )
)
# A well-formed UTF-8 multi-byte character; in real Windows-1252 text these pairs ("Ã©") do not occur.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def empty_file(path: Path) -> ListError:
    """The error for a file with nothing in it (also raised when only blank lines are left)."""
    return ListError(f"{path}: the file is empty.", hint="Export the list again with a header row and one journalist per row.")


def to_utf8(path: Path, data: bytes) -> tuple[bytes, str, tuple[str, ...]]:
    """The file as UTF-8 bytes without BOM, the encoding it was in (a label for people), and notes.

    The notes say what was done to the text (control characters removed) for ``lists check`` to show.
    """
    text, encoding = _to_utf8(path, data)
    _refuse_other_text(path, text)
    text, notes = _without_controls(path, text)
    return text, encoding, notes


# Where stray control characters stood, as ``to_utf8_marked`` leaves them for the list reader to find their rows:
# two Unicode noncharacters, which no text exchanged holds (vertical tab and form feed: a space; the others: nothing).
SPACE_MARK, GONE_MARK = "\ufdd0", "\ufdd1"


@dataclass(frozen=True, slots=True)
class StrayControls:
    """The stray control characters of a list file: how many, which (``names``: "0x0B, 0x1A"), the first one's line."""

    count: int
    names: str
    first_line: int

    def note(self, rows: Sequence[int]) -> str:
        """What ``lists check`` says of them, by the spreadsheet ``rows`` holding them, as its other notes name rows
        (edges 28: "the first on line 4" was row 3, a cell above running over two lines); the line when it differs."""
        shown = ", ".join(map(str, rows[:10])) + (f" and {len(rows) - 10:,} more" if len(rows) > 10 else "")
        if 1 < len(rows) <= 10:
            shown = ", ".join(map(str, rows[:-1])) + f" and {rows[-1]}"
        line = f", the first on line {self.first_line} of the file" if rows and rows[0] != self.first_line else ""
        return (
            f"{self.count} control character{'s' if self.count != 1 else ''} ({self.names}) taken out of the cells of "
            f"row{'s' if len(rows) != 1 else ''} {shown}{line} (vertical tabs and form feeds became spaces)."
        )


def to_utf8_marked(path: Path, data: bytes) -> tuple[bytes, str, StrayControls | None]:
    """``to_utf8`` for the list reader: each stray control character left as ``SPACE_MARK`` or ``GONE_MARK``,
    which the reader takes out of the cells once it knows their rows; what they were, or None."""
    text, encoding = _to_utf8(path, data)
    _refuse_other_text(path, text)
    present = [byte for byte in _CONTROL_BYTES if text.find(byte) >= 0]
    if not present:
        return text, encoding, None
    counts = {byte: text.count(byte) for byte in present}
    total = sum(counts.values())
    first = min(text.find(byte) for byte in present)
    minimum, one_in = _MAX_STRAY_CONTROLS
    if total > minimum and total * one_in > len(text):
        _refuse_binary(path, text[first], _line_of(text, first))
    found = StrayControls(total, ", ".join(f"0x{byte[0]:02X}" for byte in present), text.count(b"\n", 0, first) + 1)
    for byte in present:
        text = text.replace(byte, (SPACE_MARK if byte in (b"\x0b", b"\x0c") else GONE_MARK).encode("utf-8"))
    return text, encoding, found


_VCARD_HINT = (
    "Export the contacts as CSV instead: in Outlook, File > Open & Export > Import/Export > Export to a file > "
    'Comma Separated Values; in Google Contacts, Export > "Google CSV"; in Apple Contacts, copy them into a spreadsheet.'
)
_OPEN_AND_SAVE = 'Open it in Excel (or LibreOffice Calc), then use "Save As" and choose "CSV UTF-8 (Comma delimited)", and try again.'
# Text files that are not lists, by how they start (review 17 #6): web tools' "Excel" exports are
# HTML tables, Excel 2003 saved XML, and address books export vCards. Read as CSV, each gave "no
# email address column. Columns found: "<html>..."", and the hint to rename a column they have.
_OTHER_TEXT = (
    (
        re.compile(rb"<\?xml[^>]*>\s*(?:<\?mso-application[^>]*>\s*)?<(?:ss:)?Workbook\b", re.IGNORECASE),
        "an Excel XML spreadsheet",
        _OPEN_AND_SAVE,
    ),
    (
        # A comment matches one way only ("-->" never inside it): ".*?" let comments be split in
        # 2^n ways, and a file of 40 comments and no page held every command for days (review 17y #8).
        re.compile(rb"(?:<\?xml[^>]*>\s*)?(?:<!--(?:[^-]|-(?!->))*-->\s*)*<(?:!doctype\s+html|html|table|head|body|meta)\b", re.IGNORECASE),
        "a web page (HTML)",
        _OPEN_AND_SAVE,
    ),
    (
        re.compile(rb"BEGIN:VCARD\s", re.IGNORECASE),
        "a vCard file (contact cards)",
        _VCARD_HINT,
    ),
)


def _refuse_other_text(path: Path, text: bytes) -> None:
    """A ListError when the text is a web page, an Excel XML spreadsheet or a vCard, not a list."""
    start = text[:4096].lstrip()
    if not start.startswith((b"<", b"B", b"b")):
        return
    for pattern, what, hint in _OTHER_TEXT:
        if pattern.match(start):
            raise ListError(f"{path}: this is {what}, not a CSV file.", hint=hint)


def _to_utf8(path: Path, data: bytes) -> tuple[bytes, str]:
    if not has_text(data.removeprefix(codecs.BOM_UTF8)):
        raise empty_file(path)
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        what, hint = _packed_kind(path, data)
        raise ListError(f"{path}: this is {what}, not a CSV file.", hint=hint)
    if data.lstrip()[:5] == b"%PDF-":  # a media database's list printed to PDF (review 25l #6)
        raise ListError(f"{path}: this is a PDF document, not a CSV file.", hint=_FROM_PDF)
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
        return body, "UTF-8 with BOM"
    if b"\x00" in data:
        raise ListError(
            f"{path}: this is not a text file (it contains NUL bytes): a binary file, or UTF-16 text without a byte-order mark.",
            hint=SAVE_AS_CSV,
        )
    bad = _not_utf8_at(data)
    if bad is None:
        return data, "UTF-8"
    # A file with UTF-8 accents and one stray Windows byte (rows pasted from two exports) would
    # turn "josé@" into "josÃ©@", a valid but wrong address: refuse it rather than guess.
    utf8_accent = _UTF8_SEQUENCE.search(data)
    if utf8_accent:
        raise ListError(
            f"{path}: the file mixes encodings, or is in one mailer does not read: {_mixed_lines(data, bad, utf8_accent.start())}.",
            hint=MIXED_HINT,
        )
    # Not UTF-8: Excel's "CSV" export, Windows-1252 on Windows, Mac Roman in Excel for Mac.
    return _eight_bit(path, data)


_FROM_PDF = (
    "A PDF holds the list as a printed page, not as cells: export the list again as CSV (or Excel) from the media "
    'database (Cision, Meltwater, Muck Rack) or ask for the spreadsheet; save it as "CSV UTF-8 (Comma delimited)".'
)
_FROM_DOCUMENT = (
    "Copy the table of journalists into a spreadsheet (Excel, LibreOffice Calc, Google Sheets), then use "
    '"Save As" and choose "CSV UTF-8 (Comma delimited)", and try again.'
)
_DOCUMENT, _WORKBOOK = ("a Word document", _FROM_DOCUMENT), ("an Excel workbook", SAVE_AS_CSV)
_BY_SUFFIX = {
    **dict.fromkeys((".doc", ".docx", ".docm", ".rtf"), _DOCUMENT),
    **dict.fromkeys((".odt",), ("an OpenDocument text document", _FROM_DOCUMENT)),
    **dict.fromkeys((".ods",), ("an OpenDocument (LibreOffice) spreadsheet", SAVE_AS_CSV)),
    **dict.fromkeys((".zip",), ("a ZIP archive", "Unpack it and give the CSV file inside.")),
}


def _packed_kind(path: Path, data: bytes) -> tuple[str, str]:
    """What a ZIP (Office Open XML, OpenDocument) or OLE2 (Office 97-2003) file holds, and what to do
    with it: judged by its parts' names, else by the file name; an Excel workbook when unsure."""
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = archive.namelist()
                mimetype = archive.read("mimetype").decode("ascii", "replace") if "mimetype" in names else ""
        except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError):
            return _BY_SUFFIX.get(path.suffix.lower(), _WORKBOOK)
        if any(name.startswith("word/") for name in names) or mimetype.endswith(".text"):
            return _DOCUMENT if not mimetype else _BY_SUFFIX[".odt"]
        if mimetype.endswith(".spreadsheet"):
            return _BY_SUFFIX[".ods"]
        if any(name.startswith("ppt/") for name in names):
            return "a PowerPoint presentation", _FROM_DOCUMENT
        if not any(name.startswith("xl/") for name in names) and "[Content_Types].xml" not in names:
            return _BY_SUFFIX[".zip"]
        return _WORKBOOK
    if "WordDocument".encode("utf-16-le") in data:  # the stream names of an OLE2 file's directory
        return _DOCUMENT
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return _WORKBOOK
    return _BY_SUFFIX.get(path.suffix.lower(), _WORKBOOK)


def _eight_bit(path: Path, data: bytes) -> tuple[bytes, str]:
    """Windows-1252 or Mac Roman, whichever reads as plausible text (Windows-1252's checks refuse the rest).

    Both map (almost) every byte, so each is judged by what it makes of the letters: Mac Roman's
    "José Muñoz" reads "JosŽ Mu–oz" in Windows-1252, and Windows-1252's "Müller" reads "M¸ller"
    in Mac Roman. Windows-1252 is tried first; the five bytes it leaves undefined (0x81 0x8D 0x8F
    0x90 0x9D) are all letters in Mac Roman.
    """
    try:
        windows: str | None = data.decode("cp1252")
    except UnicodeDecodeError:
        windows = None
    windows_odd = _implausible(windows) if windows is not None else None
    if windows is not None and windows_odd is None and not _symbol_inside_word(windows):
        return windows.removeprefix("\ufeff").encode("utf-8"), "Windows-1252"
    mac = data.decode("mac_roman")
    if _MAC_EVIDENCE.search(mac) and _implausible(mac) is None and not _symbol_inside_word(mac, symbols=_MAC_SYMBOLS):
        return mac.encode("utf-8"), "Mac Roman"
    # Neither reads as plausible text: another code page (Shift-JIS, ISO-8859-2), or undefined bytes.
    return _decoded(path, data, "cp1252", "Windows-1252"), "Windows-1252"


# A letter next to these is not a sign of a wrong code page: apostrophes, the Catalan middle
# dot, no-break and soft hyphen (and the dashes, when a space or capital follows).
_INSIDE_WORDS = "’‘´·\xa0\xad"
_BEFORE_WORDS = _INSIDE_WORDS + "«»“”„‚‹›¿¡–—"
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# Mac Roman needs evidence, not just no contradiction: an accented small letter inside a word ("José"),
# or the curly apostrophe and quotes Excel's AutoCorrect types ("O’Brien", "“The Post”": review 18h #10,
# a list with no accented letter read as Windows-1252's "OÕBrien" and "ÒThe PostÓ").
_MAC_EVIDENCE = re.compile(r"[a-zA-Z][à-öø-ÿ]|[à-öø-ÿ][a-z]|[a-zA-Z]’[a-zA-Z]|“[^”\r\n]{1,80}”")
_GOES_ON_SMALL = re.compile(r"[A-Z]*[a-z]")  # the rest of a word has a small letter


def _implausible(text: str) -> int | None:
    """The position of the first character that real text would not have there, or None.

    A capital right after a small letter ("JosŽ"), or after a letter inside a word that is not all
    capitals ("OÕBrien"; "JOÃO" is fine), a small letter right before an ASCII capital ("éRìc"), an
    accented letter right after a symbol ("£Û"), or a symbol between a letter and a small letter
    ("Mu–oz", "M¸ller"; "Jean–Paul" is fine).
    """
    for match in _NON_ASCII.finditer(text):
        at = match.start()
        char = match.group()
        before = text[at - 1] if at else " "
        after = text[at + 1 : at + 2] or " "
        if char.isalpha():
            if (char.isupper() and before.islower()) or (char.islower() and after.isascii() and after.isupper()):
                return at
            if char.isupper() and before.isalpha() and _GOES_ON_SMALL.match(text, at + 1):
                return at  # "OÕBrien": a capital inside a word that is not all capitals (Mac Roman's "O’Brien")
            if not before.isascii() and not before.isalnum() and not before.isspace() and before not in _BEFORE_WORDS:
                return at  # "£Ûdü" (Mac Roman's reading of Polish "Łódź")
        elif char not in _INSIDE_WORDS and before.isalpha() and after.islower():
            return at
    return None


def _not_utf8_at(data: bytes) -> int | None:
    """The position of the first byte that is not UTF-8, or None when all of it is."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return None


def _without_controls(path: Path, data: bytes) -> tuple[bytes, tuple[str, ...]]:
    """UTF-8 bytes without stray control characters, and a note saying how many were taken out."""
    present = [byte for byte in _CONTROL_BYTES if data.find(byte) >= 0]  # find is memchr: far faster than count
    if not present:
        return data, ()
    counts = {byte: data.count(byte) for byte in present}
    total = sum(counts.values())
    minimum, one_in = _MAX_STRAY_CONTROLS
    if total > minimum and total * one_in > len(data):
        first = min(data.find(byte) for byte, count in counts.items() if count)
        _refuse_binary(path, data[first], _line_of(data, first))
    first = min(data.find(byte) for byte, count in counts.items() if count)
    names = ", ".join(f"0x{byte[0]:02X}" for byte, count in counts.items() if count)
    cleaned = data.translate(_CONTROLS_TO_SPACE, _CONTROLS_REMOVED)
    note = (
        f"{total} control character{'s' if total != 1 else ''} ({names}) taken out of the cells, "
        f"the first on {_line_of(data, first)} (vertical tabs and form feeds became spaces)."
    )
    return cleaned, (note,)


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
    if "\x00" in text:
        _refuse_binary(path, 0, f"line {text.count(chr(10), 0, text.index(chr(0))) + 1}")
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


def _symbol_inside_word(text: str, *, symbols: re.Pattern[str] | None = None) -> re.Match[str] | None:
    """The first run of symbols with letters on both sides ("R“c"), or None."""
    pattern = symbols or _SYMBOLS_BEFORE_LETTER
    return next((m for m in pattern.finditer(text) if m.start() and text[m.start() - 1].isalpha()), None)


def _refuse_binary(path: Path, code: int, where: str) -> None:
    raise ListError(
        f"{path}: this does not look like a text file (control character 0x{code:02X} on {where}).",
        hint=SAVE_AS_CSV,
    )


def has_text(data: bytes) -> bool:
    return re.search(rb"[^\s\x00]", data) is not None and data not in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _mixed_lines(data: bytes, bad: int, accent: int) -> str:
    """Which lines of a file mixing encodings have UTF-8 text and which do not, a few of each named
    (newcomer 21 #5: only the first line not UTF-8 was named, so each try found one more to retype)."""
    utf8: list[int] = []
    other: list[int] = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.isascii():
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                other.append(number)
            else:
                utf8.append(number)
    if len(utf8) <= 1:  # none: the UTF-8 text shares its line with a byte that is not UTF-8
        having = f"{_line_of(data, accent)} has UTF-8 text"
    else:
        having = f"{len(utf8):,} lines have UTF-8 text ({_some(utf8)})"
    if len(other) <= 1:
        return f"{having}, but byte 0x{data[bad]:02X} on {_line_of(data, bad)} is not UTF-8"
    return f"{having}, but {len(other):,} lines are not UTF-8: {_some(other)} (byte 0x{data[bad]:02X} on {_line_of(data, bad)})"


def _some(numbers: list[int], shown: int = 5) -> str:
    """Line numbers as a person lists them: "10, 11 and 13", or "2, 3, 4, 5, 6 and 3 more"."""
    if len(numbers) > shown:
        return ", ".join(map(str, numbers[:shown])) + f" and {len(numbers) - shown:,} more"
    return ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}"


def _line_of(data: bytes, position: int) -> str:
    return "line " + str(data.count(b"\n", 0, position) + 1)
