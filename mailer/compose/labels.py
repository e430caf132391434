"""The words a template adds around a release, in the version's language, and its dates.

A release's own text (subject, body, about, media contact) is written by the office in each
language; the words the template adds ("FOR IMMEDIATE RELEASE", "Media contact", the footer,
"Unsubscribe") and the dates come from here: a built-in catalogue (``BUILTIN``: language ->
key -> text) for en, fr, de, es, it, pt, nl, ar and he, which an office extends or corrects with
a ``labels.toml`` in its templates folder::

    [fr]
    footer_reason = "Vous recevez ce communiqué en tant que journaliste accrédité."

    [ja]
    immediate = "即時発表"
    ...

Dates and times are formatted with Babel's CLDR data for the version's language ("19 février
2026", "19. Februar 2026"), and a language whose script is written right to left (Arabic, Hebrew,
Persian, Urdu: CLDR's ``character_order``) is marked ``rtl``.

A language tag is what a list's ``language`` column holds: ``fr``, ``fr-CA``, ``pt_BR``
(``normalize`` makes it ``pt-BR``); ``candidates`` gives its fallbacks (``fr-CA`` -> ``fr``).
The column may also name the language in words ("Français", "german"): ``pick`` reads those
through language_names.py.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from mailer.compose import paths
from mailer.errors import ConfigError

if TYPE_CHECKING:
    from babel import Locale

__all__ = ["BUILTIN", "FILE_NAME", "KEYS", "Catalogue", "Labels", "candidates", "load", "locale", "normalize", "pick"]

FILE_NAME = "labels.toml"
DEFAULT_LANGUAGE = "en"

# key -> what it is (the README and labels.toml errors show these)
KEYS: Mapping[str, str] = {
    "immediate": "the release line of a release without embargo",
    "embargoed": "the release line of an embargoed release; {when} is the date, time and zone",
    "media_contact": "the heading above the media contact",
    "about": "a heading for the about text (for templates that show one)",
    "footer_reason": "the footer's line saying why the journalist receives the release",
    "unsubscribe": "the footer's unsubscribe link",
    "links": "the heading of the text part's list of links",
    "colon": "the colon after a heading in the text part (French puts a space before it)",
}
# The only {placeholders} a label may hold.
PLACEHOLDERS: Mapping[str, frozenset[str]] = {"embargoed": frozenset({"when"})}

BUILTIN: Mapping[str, Mapping[str, str]] = {
    "en": {
        "immediate": "FOR IMMEDIATE RELEASE",
        "embargoed": "EMBARGOED UNTIL {when}",
        "media_contact": "Media contact",
        "about": "About",
        "footer_reason": "You receive this release because you cover our work.",
        "unsubscribe": "Unsubscribe",
        "links": "Links",
        "colon": ":",
    },
    "fr": {
        "immediate": "POUR DIFFUSION IMMÉDIATE",
        "embargoed": "SOUS EMBARGO JUSQU’AU {when}",
        "media_contact": "Contact presse",
        "about": "À propos",
        "footer_reason": "Vous recevez ce communiqué parce que vous suivez nos activités.",
        "unsubscribe": "Se désabonner",
        "links": "Liens",
        "colon": "\u00a0:",
    },
    "de": {
        "immediate": "ZUR SOFORTIGEN VERÖFFENTLICHUNG",
        "embargoed": "SPERRFRIST BIS {when}",
        "media_contact": "Pressekontakt",
        "about": "Über",
        "footer_reason": "Sie erhalten diese Pressemitteilung, weil Sie über unsere Arbeit berichten.",
        "unsubscribe": "Abmelden",
        "links": "Links",
        "colon": ":",
    },
    "es": {
        "immediate": "PARA DIFUSIÓN INMEDIATA",
        "embargoed": "BAJO EMBARGO HASTA EL {when}",
        "media_contact": "Contacto de prensa",
        "about": "Acerca de",
        "footer_reason": "Recibe este comunicado porque informa sobre nuestro trabajo.",
        "unsubscribe": "Darse de baja",
        "links": "Enlaces",
        "colon": ":",
    },
    "it": {
        "immediate": "PER DIFFUSIONE IMMEDIATA",
        "embargoed": "SOTTO EMBARGO FINO AL {when}",
        "media_contact": "Contatto stampa",
        "about": "Chi siamo",
        "footer_reason": "Riceve questo comunicato perché segue il nostro lavoro.",
        "unsubscribe": "Annulla l’iscrizione",
        "links": "Link",
        "colon": ":",
    },
    "pt": {
        "immediate": "PARA DIVULGAÇÃO IMEDIATA",
        "embargoed": "SOB EMBARGO ATÉ {when}",
        "media_contact": "Contato para a imprensa",
        "about": "Sobre",
        "footer_reason": "Você recebe este comunicado porque acompanha o nosso trabalho.",
        "unsubscribe": "Cancelar inscrição",
        "links": "Links",
        "colon": ":",
    },
    "pt-PT": {
        "media_contact": "Contacto para a imprensa",
        "footer_reason": "Recebe este comunicado porque acompanha o nosso trabalho.",
        "unsubscribe": "Cancelar subscrição",
        "links": "Ligações",
    },
    "nl": {
        "immediate": "VOOR ONMIDDELLIJKE PUBLICATIE",
        "embargoed": "EMBARGO TOT {when}",
        "media_contact": "Perscontact",
        "about": "Over",
        "footer_reason": "U ontvangt dit persbericht omdat u over ons werk bericht.",
        "unsubscribe": "Afmelden",
        "links": "Links",
        "colon": ":",
    },
    "ar": {
        "immediate": "للنشر الفوري",
        "embargoed": "يُحظر النشر حتى {when}",
        "media_contact": "للتواصل الإعلامي",
        "about": "نبذة عن",
        "footer_reason": "تصلكم هذه النشرة لأنكم تغطّون عملنا.",
        "unsubscribe": "إلغاء الاشتراك",
        "links": "الروابط",
        "colon": ":",
    },
    "he": {
        "immediate": "לפרסום מיידי",
        "embargoed": "אמברגו עד {when}",
        "media_contact": "איש קשר לתקשורת",
        "about": "אודות",
        "footer_reason": "הודעה זו נשלחת אליך כי את/ה מסקר/ת את פעילותנו.",
        "unsubscribe": "הסרה מרשימת התפוצה",
        "links": "קישורים",
        "colon": ":",
    },
}

_TAG = re.compile(r"\A[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*\Z")


def normalize(tag: str) -> str | None:
    """``pt_br`` -> ``pt-BR``, ``FR`` -> ``fr``, ``zh-hant-tw`` -> ``zh-Hant-TW``; None when it is not a language tag."""
    tag = tag.strip()
    if not _TAG.match(tag):
        return None
    first, *rest = re.split(r"[-_]", tag)
    out = [first.lower()]
    for part in rest:
        out.append(part.upper() if len(part) == 2 or part.isdigit() else part.title() if len(part) == 4 else part.lower())
    return "-".join(out)


def candidates(tag: str) -> tuple[str, ...]:
    """``fr-CA`` -> (``fr-CA``, ``fr``); ``zh-Hant-TW`` -> (``zh-Hant-TW``, ``zh-Hant``, ``zh``)."""
    parts = tag.split("-")
    return tuple("-".join(parts[:n]) for n in range(len(parts), 0, -1))


def pick(available: Collection[str], wanted: str | None) -> str | None:
    """Which of ``available`` (a release's version languages) a journalist whose language column
    says ``wanted`` gets: ``fr-CA`` itself, else ``fr``; None (the main version) for an empty,
    unknown or unmatched language; a language's only regional version for the language alone (``nl``
    gets ``nl-BE`` when that is the one Dutch version). ``wanted`` is a tag or a language's name
    ("Français", "german": language_names.tag_of)."""
    from mailer.compose import language_names  # it reads tags with this module's normalize

    tag = language_names.tag_of(wanted, available) if wanted else None
    if tag:
        for candidate in candidates(tag):
            if candidate in available:
                return candidate
        # A Belgian office names its Dutch version launch.nl-BE.md, and its lists say "NL", "Nederlandstalig" (review
        # 23d #6: they got the French main version). Several regional versions and none for the language: no guess.
        base = tag.split("-")[0]
        regional = [version for version in available if version.split("-")[0] == base]
        if len(regional) == 1:
            return regional[0]
    return None


def known(tag: str) -> bool:
    """Whether ``tag`` names a language CLDR knows as that language itself: ``fr``, ``fr-CA``, but
    not ``fra`` or ``bak``, which Babel would take for French and Bashkir (a backup file named
    ``launch.bak.md`` is no language version)."""
    found = locale(tag)
    return found is not None and found.language == tag.split("-")[0]


@lru_cache(maxsize=64)
def locale(tag: str) -> Locale | None:
    """Babel's Locale for a language tag (its closest known parent), None when CLDR has none."""
    from babel import Locale, UnknownLocaleError  # imported when needed: CLDR data is large

    for candidate in candidates(tag):
        try:
            return Locale.parse(candidate, sep="-")
        except (UnknownLocaleError, ValueError):
            continue
    return None


@dataclass(frozen=True, slots=True)
class Labels:
    """The labels and date formats of one language, as a template receives them."""

    language: str
    texts: Mapping[str, str]
    rtl: bool = False
    missing: tuple[str, ...] = ()  # keys that fell back to English (a warning says so)

    @property
    def direction(self) -> str:
        """``rtl`` or ``ltr``: the HTML ``dir`` attribute."""
        return "rtl" if self.rtl else "ltr"

    def date(self, day: date) -> str:
        """The dateline's date: "February 19, 2026", "19 février 2026", "19. Februar 2026"."""
        from babel.dates import format_date

        found = locale(self.language)
        return _clean(format_date(day, "long", locale=found)) if found else f"{day:%B} {day.day}, {day.year}"

    def moment(self, moment: datetime) -> str:
        """An embargo's date, time and zone: "February 19, 2026, 9:00 AM EST", "19 février 2026, 06 h 00 HNE" (fr-CA),
        "19. Februar 2026, 09:00 MEZ" (``zone_name``)."""
        from babel.dates import format_time

        found = locale(self.language) or locale("en")
        assert found is not None
        # CLDR's glue between a date and a time: "{1}, {0}" in English, "{1}، {0}" in Arabic.
        glue = str(found.datetime_formats.get("medium", "{1}, {0}")).replace("'", "")
        when = glue.replace("{1}", self.date(moment.date())).replace("{0}", _clean(format_time(moment, "short", locale=found)))
        zone = zone_name(moment, found)
        return f"{when} {zone}" if zone else when

    def release_line(self, embargo: datetime | None) -> str:
        """FOR IMMEDIATE RELEASE, or EMBARGOED UNTIL <date, time, zone>, in this language."""
        if embargo is None:
            return self.texts["immediate"]
        return self.texts["embargoed"].format(when=self.moment(embargo))


def zone_name(moment: datetime, found: Locale) -> str | None:
    """The abbreviation of ``moment``'s zone as ``found``'s language writes it, from CLDR through Babel,
    as the date and the time are: "HNE" in Canadian French, "MEZ" in German, "EST" in English. Where
    CLDR has no abbreviation in that language (only an offset, "+0100", or a name in words), the
    zone database's ("CET", "EST"), as before (office 27: a fr-CA embargo read "06 h 00 EST")."""
    from babel.dates import get_timezone_name

    if moment.tzinfo is None or moment.tzname() is None:
        return None
    try:
        name = get_timezone_name(moment, "short", locale=found)
    except (LookupError, ValueError):  # a zone CLDR does not know (a fixed offset)
        return moment.tzname()
    return name if name.isalpha() else moment.tzname()


def _clean(text: str) -> str:
    # CLDR puts a narrow no-break space before AM/PM ("9:00\u202fAM"); older mail fonts lack it.
    return text.replace("\u202f", " ")


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Language -> key -> text: the built-in labels with an office's labels.toml over them."""

    texts: Mapping[str, Mapping[str, str]]
    source: str = "built-in labels"

    def labels(self, language: str) -> Labels:
        """The labels of ``language`` (``fr-CA`` falls back to ``fr``, then to English, key by key)."""
        chain = candidates(language)
        texts: dict[str, str] = {}
        missing = []
        for key in KEYS:
            for candidate in chain:
                value = self.texts.get(candidate, {}).get(key)
                if value is not None:
                    texts[key] = value
                    break
            else:
                texts[key] = self.texts.get(DEFAULT_LANGUAGE, BUILTIN[DEFAULT_LANGUAGE]).get(key, BUILTIN[DEFAULT_LANGUAGE][key])
                missing.append(key)
        found = locale(language)
        rtl = found is not None and found.character_order == "right-to-left"
        return Labels(language=language, texts=texts, rtl=rtl, missing=tuple(missing))

    def warnings(self, language: str) -> list[str]:
        """What a press officer should know about this language's labels (English used for some)."""
        missing = self.labels(language).missing
        if not missing:
            return []
        return [
            (
                f'There are no "{language}" labels for {", ".join(missing)}, so those show in English. '
                f"Add them under [{language}] in {FILE_NAME} in the templates folder (README, Languages)."
            )
        ]


BUILTIN_CATALOGUE = Catalogue(BUILTIN)


def load(folder: Path) -> Catalogue:
    """The built-in catalogue, with ``folder/labels.toml`` over it when there is one.

    Raises ConfigError naming the file and the language or key for a file that is not TOML,
    a language that is not a tag, a key that is not a label (with the known keys), a value
    that is not text, or a placeholder the label cannot have.
    """
    file = folder / FILE_NAME
    if not paths.is_file(file):
        return BUILTIN_CATALOGUE
    if paths.resolve(FILE_NAME, base=folder, root=folder) is None:
        # A link to a file elsewhere, beside a template an agency sent with its release: its text
        # would go into every email (review 24k #10), as the template's own files may not (markup.py).
        raise ConfigError(
            f"{file} is a link to a file outside the template's folder ({folder}), so it cannot be used.",
            hint="Keep the labels file itself in the template's folder, not a link to elsewhere.",
        )
    size = file.stat().st_size
    if size > MOST_LABELS:  # read whole before (review 26m #4)
        raise ConfigError(
            f"{file}: the labels file is {size / 1024**2:,.0f} MB; a labels file is a few kilobytes, so it was not read.",
            hint="If the template came with a release from outside the office, use your own instead (take the template: line out of the release).",
        )
    return _read(file, file.stat().st_mtime_ns, size)


MOST_LABELS = 2 * 1024**2


@lru_cache(maxsize=8)
def _read(file: Path, _mtime: int, _size: int) -> Catalogue:
    hint = f'Write one [language] table per language and  key = "text"  lines; the keys are {", ".join(KEYS)}.'
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{file}: the labels file cannot be read ({exc}).", hint=hint) from exc
    texts: dict[str, dict[str, str]] = {language: dict(values) for language, values in BUILTIN.items()}
    for language, values in data.items():
        tag = normalize(language)
        if tag is None:
            raise ConfigError(f'{file}: "[{language}]" is not a language tag.', hint="Use tags such as fr, de, fr-CA, pt-BR.")
        if not isinstance(values, dict):
            raise ConfigError(f"{file}: {language} must be a [{language}] table of labels.", hint=hint)
        for key, value in values.items():
            if key not in KEYS:
                raise ConfigError(f'{file}: [{language}] has an unknown label "{key}".', hint=f"The labels are {', '.join(KEYS)}.")
            if not isinstance(value, str):
                raise ConfigError(f"{file}: [{language}] {key} must be text in double quotes, not {value!r}.", hint=hint)
            try:
                used = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
            except ValueError as exc:
                raise ConfigError(f"{file}: [{language}] {key}: {exc} (write {{{{ and }}}} for braces).", hint=hint) from exc
            allowed = PLACEHOLDERS.get(key, frozenset())
            if used - allowed:
                can = f"only {{{', '.join(sorted(allowed))}}}" if allowed else "no {placeholders}"
                raise ConfigError(f"{file}: [{language}] {key} uses {{{', '.join(sorted(used - allowed))}}}; it can have {can}.", hint=hint)
            texts.setdefault(tag, {})[key] = value
    return Catalogue(texts, source=str(file))
