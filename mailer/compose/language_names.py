"""The language a list's ``language`` cell names: a tag, or a language's name in words.

Media databases write the language out: a Cision export says "Français", a Meltwater one
"Deutsch", a colleague's spreadsheet "french" (nc9 #20: those journalists silently got the main
version). ``tag_of`` reads, in this order:

1. a language tag, in any case and with ``_`` or ``-`` (``fr``, ``FR``, ``fr_CA`` -> ``fr-CA``),
   or an older or three-letter code Babel knows as an alias (``fra``, ``ger``, ``iw`` -> ``fr``,
   ``de``, ``he``);
2. a language's name in English ("French", "Canadian French" -> ``fr-CA``), in itself
   ("français", "Deutsch", "Español", "العربية") or in one of the release's own languages
   ("anglais", "allemand" when it has a French version);
3. any other language's name in itself ("polski", "Nederlands").

Before these, who speaks it, as a Belgian list says it ("néerlandophone", "Nederlandstalig": ``_SPEAKERS``).

Names are compared without case, accents or extra spaces ("FRANCAIS" is "français"), from
CLDR's data through Babel. The maps are built once per process, when a cell first needs them:
steps 1 and 2 cost a few locales; step 3 reads every language's own name (about a second) and
runs only for a cell the first two did not read. Anything else (an empty cell, "française",
"n/a") is None: the journalist gets the main version, and the plan names such cells
(send/prepare.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from functools import lru_cache

from mailer.compose.labels import locale, normalize

__all__ = ["tag_of"]


# ISO 639 codes that name no language: undetermined, multiple, no linguistic content, uncoded.
_NO_LANGUAGE = frozenset({"und", "mul", "zxx", "mis"})


def tag_of(cell: str, among: Collection[str] = ()) -> str | None:
    """The language tag a list's language cell names (``"Français"`` -> ``"fr"``), or None.

    ``among`` are the release's version languages (tags): names written in those languages are
    read too. The result is a normalized tag (``fr``, ``fr-CA``); None for an empty cell or one
    that names no language CLDR knows.
    """
    text = cell.strip()
    if not text:
        return None
    tag = normalize(text)
    if tag is not None and tag.split("-")[0].lower() in _NO_LANGUAGE:
        return None  # Babel would read "und" (undetermined) as English (review 9b)
    if tag is not None:
        found = locale(tag)
        if found is not None:
            first, *rest = tag.split("-")
            # Babel reads "fra" or "iw" as an alias ("fr_FR", "he_IL"): keep its language only.
            return tag if found.language == first else "-".join([found.language, *rest])
    key = _key(text)
    named = _SPEAKERS.get(key) or _names(tuple(sorted(set(among)))).get(key) or _own_names().get(key)
    if named is None and (shown := _DISPLAY_FORM.fullmatch(text)) is not None:
        named = _with_region(shown.group("name"), shown.group("region"), among)
    return named


# Who speaks it, as Belgian and Swiss lists name a journalist's language (newcomer 23 #5: "néerlandophone",
# "Nederlandstalig" got the French main version, as a language mailer did not know): in French, Dutch and German.
_SPEAKERS = {
    **dict.fromkeys(("francophone", "franstalig", "franstalige", "franzosischsprachig", "frankophon"), "fr"),
    **dict.fromkeys(("neerlandophone", "nederlandstalig", "nederlandstalige", "niederlandischsprachig"), "nl"),
    **dict.fromkeys(("germanophone", "duitstalig", "duitstalige", "deutschsprachig"), "de"),
    **dict.fromkeys(("anglophone", "engelstalig", "engelstalige", "englischsprachig"), "en"),
    **dict.fromkeys(("italophone", "italiaanstalig", "italienischsprachig"), "it"),
    **dict.fromkeys(("hispanophone", "spaanstalig", "spanischsprachig"), "es"),
    **dict.fromkeys(("lusophone", "portugeestalig", "portugiesischsprachig"), "pt"),
    **dict.fromkeys(("arabophone", "arabischsprachig"), "ar"),
}


# CLDR's display form of a regional language: "Français (Canada)", "German (Switzerland)".
_DISPLAY_FORM = re.compile(r"(?P<name>[^()]+?)\s*\((?P<region>[^()]+)\)")


def _with_region(name: str, region: str, among: Collection[str]) -> str | None:
    """``name (region)`` as a tag: the language as ``tag_of`` reads it, the region by its name in
    English or in that language ("Canada", "Schweiz" -> CH); the language alone when the region is
    not known (review 9b: CLDR's own display form was not read)."""
    language = tag_of(name, among)
    if language is None or "-" in language:
        return language
    territories: dict[str, str] = {}
    for names in (locale("en"), locale(language)):
        if names is not None:
            territories.update({_key(label): code for code, label in names.territories.items()})
    code = territories.get(_key(region))
    return f"{language}-{code}" if code is not None and code.isalpha() else language


def _key(name: str) -> str:
    """A name as compared: case-folded, accents dropped, spaces collapsed ("Français " -> "francais")."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


@lru_cache(maxsize=16)
def _names(among: tuple[str, ...]) -> Mapping[str, str]:
    """Name key -> tag: every language's English name, then each of ``among``'s languages' own
    name and its names for the others; the first reading of a name wins."""
    found: dict[str, str] = {}
    for language in ("en", *among):
        names = locale(language)
        if names is None:
            continue
        own = names.languages.get(names.language)
        if own:
            found.setdefault(_key(own), names.language)
        for code, name in names.languages.items():
            tag = normalize(code)
            if tag is not None:
                found.setdefault(_key(name), tag)
    return found


@lru_cache(maxsize=1)
def _own_names() -> Mapping[str, str]:
    """Name key -> tag: each language CLDR has a locale for, by its own name ("polski" -> "pl").
    A name two languages share (isiNdebele: nd and nr) reads as neither."""
    from babel import Locale, UnknownLocaleError, localedata

    found: dict[str, str] = {}
    shared: set[str] = set()
    for identifier in localedata.locale_identifiers():
        if "_" in identifier or identifier == "root":
            continue
        try:
            own = Locale.parse(identifier).languages.get(identifier)
        except (UnknownLocaleError, ValueError):
            continue
        if not own:
            continue
        key = _key(own)
        if key in found and found[key] != identifier:
            shared.add(key)
        found.setdefault(key, identifier)
    return {key: tag for key, tag in found.items() if key not in shared}
