"""Full-name cells -> first and last names, as people write them.

"Jane Doe" and "Jane van Doe" split at the first space, "Doe, Jane" at the comma: a vectorized
rule that is right for almost every cell of a press list. Cells that open with an honorific
("Dr. Jane Doe", "Prof. Dr. Hans Müller", "Mme Dupont") or end with a suffix ("Martin Luther
King Jr.") go to nameparser (a well-kept name parser), which knows titles, particles and
suffixes; the honorific is kept apart so that "Dear Jane" never becomes "Dear Dr.". A cell that
looks like a spreadsheet formula (``=HYPERLINK("http://x.example","click")``) is never split
at its comma: it stays whole, and is written back spreadsheet-safe. A cell naming a team or an
office ("Press Office", "Newsroom", "Pressestelle"), or an outlet ("BBC News", "The Guardian"), has no first name: the whole cell is its last
name, so "Dear {{ contact.first_name | default("colleague") }}" greets it with the default, never
"Dear Press," (fix 13n #4).
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from mailer.spreadsheet import LEADING_FORMULA

if TYPE_CHECKING:
    import pyarrow as pa
    from nameparser.config import Constants

__all__ = ["ACADEMIC_DEGREES", "HONORIFICS", "TEAM_WORDS", "split_names"]

# Honorifics that open a name cell in English, French, German, Spanish, Italian, Portuguese
# (compared lower-case, without the dot). nameparser knows hundreds of titles ("Dean", "Major"),
# which are also first names; only these send a cell to it.
HONORIFICS = frozenset(
    [
        "dr",
        "prof",
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "sir",
        "dame",
        "rev",
        "hon",
        "herr",
        "frau",
        "m",
        "mme",
        "mlle",
        "me",
        "sr",
        "sra",
        "srta",
        "dott",
        "dottssa",
        "dottoressa",
        "ing",
        "avv",
        "sig",
        "sigra",
        "dra",
        "profa",
        "profª",
        "dª",
        # British styles of address, as council and parliamentary lists write them ("The Rt Hon. Jane Doe MP",
        # "Cllr Sam Patel", "Lord Smith"); "the" only before one of them (``_STYLED``), else an outlet ("The Guardian")
        "the",
        "rt",
        "revd",
        "reverend",
        "ven",
        "cllr",
        "councillor",
        "lord",
        "lady",
        "baroness",
        # Academic and parliamentary titles as Australian lists write them (newcomer 25 #4: "Assoc Prof Jane Doe",
        # "A/Prof Jane Doe", "Professor Emeritus John Smith", "Senator Jane Doe" were greeted "Dear Assoc,", ...)
        "professor",
        "assoc",
        "associate",
        "a/prof",
        "emeritus",
        "senator",
        # A Privatdozent and an außerplanmäßiger Professor, as a German health office's list writes them ("PD Dr. Max
        # Ernst", "apl. Prof. Dr. Lena Vogt": office 27, greeted "Sehr geehrte/r PD," with "Dr. Max Ernst" the last name)
        "pd",
        "apl",
    ]
)
# Academic degrees that open a name in Austrian, German, Czech and Slovak press lists ("Mag. Anna Gruber",
# "Dipl.-Ing. Karl Huber", "Univ.-Prof. Dr. Eva Bauer", "Mgr. Petra Nováková", "JUDr. Jan Novák": review 25l
# #2, greeted "Dear Mag.,"), with their full stop only: "Magnus Carlsen" and "Doc Rivers" are first names.
ACADEMIC_DEGREES = frozenset(
    ["mag", "mmag", "dipl", "dkfm", "univ", "priv", "mgr", "bc", "doc", "judr", "mudr", "mvdr", "phdr", "rndr", "paeddr", "thdr"]
)
# nameparser's own titles lack these ("The Very Rev. Alan Green" read "The Very" as a first name; "Univ.-Prof." as
# one too; "A/Prof" and "Emeritus": newcomer 25 #4): added to a private copy of its settings, as its documentation
# says to (``_constants``)
_MORE_TITLES = ("very", "revd", "ven", "univ.-prof.", "univ.-prof", "univ.prof.", "a/prof", "emeritus", "pd", "apl")
# "The" opening a style of address, not an outlet's name (RE2, as Arrow reads it, has no look-ahead)
_STYLED = r"(?i)^the\s+(?:rt|right|hon|honourable|rev|revd|reverend|very|ven|venerable|most|lord|lady|baroness)\b"
# Words that make a name cell a team's or an office's, not a person's (compared lower-case, as whole
# words), in the languages HONORIFICS covers: a staff list's "Press Office" row, a media
# database's "Newsdesk" or "Rédaction Paris". Not words that are also surnames ("Bureau", "Service").
TEAM_WORDS = frozenset(
    [
        "office",
        "team",
        "desk",
        "newsdesk",
        "newsroom",
        "department",
        "dept",
        "editorial",
        "editors",
        "staff",
        "services",
        "communications",
        "comms",
        "relations",
        "press",
        "media",
        "info",
        "secretariat",
        "presse",
        "pressestelle",
        "pressebüro",
        "presseabteilung",
        "redaktion",
        "abteilung",
        "sekretariat",
        "rédaction",
        "équipe",
        "agence",
        "prensa",
        "redacción",
        "oficina",
        "stampa",
        "redazione",
        "ufficio",
        "imprensa",
        "redação",
        # the outlet itself in a newsdesk's row, as media databases write it ("BBC News", "Süddeutsche Zeitung")
        "news",
        "newswire",
        "radio",
        "tv",
        "television",
        "broadcasting",
        "times",
        "journal",
        "newspaper",
        "magazine",
        "herald",
        "gazette",
        "tribune",
        "chronicle",
        "agency",
        "télévision",
        "quotidien",
        "hebdo",
        "actualités",
        "nachrichten",
        "zeitung",
        "rundfunk",
        "fernsehen",
        "magazin",
        "nieuws",
        "redactie",
        "krant",
        "omroep",
        "noticias",
        "periódico",
        "agencia",
        "notizie",
        "giornale",
        "agenzia",
        "notícias",
        "jornal",
        "agência",
        # review 24x #4: "Daily Mail", "Weekly Standard", "Evening Standard", "Il Fatto Quotidiano", "Diario de Sevilla",
        # "Algemeen Dagblad", "Corriere della Sera" were greeted "Dear Daily,", "Dear Evening,", "Dear Il,", ...
        "daily",
        "weekly",
        "evening",
        "quotidiano",
        "corriere",
        "diario",
        "dagblad",
    ]
)
# An outlet's name opening with an article or "New" ("Der Spiegel", "Die Zeit", "Het Parool", "Il Sole 24 Ore", "New
# Scientist"); not Le, La, Les or El, which open people's names too ("Le Thi Hoa", "Les Hinton", "El Hadji Diouf"),
# and "Der" without a comma only ("Der Hovanessian, Ani").
_OUTLET_OPENING = r"^(?:die|het|il|new)\s|^der\s[^,]*$"
# A surname in capitals (its last word of three letters or more, so that initials, "JP Martin", are not one) before
# a first name written with small letters: "DUBOIS François", "DE SMET Geert", "VAN DEN BERGH Anne-Marie".
# After an honorific ("Mme DUBOIS Françoise", "Dhr. JANSSENS Pieter"), and before a note in brackets ("MARTIN
# Jean-Pierre (Le Soir)"): review 23d #3, greeted "Bonjour DUBOIS,", "Beste Dhr.," and "Bonjour Jean-Pierre (Le Soir),".
_DUTCH_HONORIFICS = ("dhr", "mevr", "mw", "mevrouw", "meneer", "heer")
_CAPITALS_FIRST = (
    r"^(?:(?P<honorific>(?i:"
    + "|".join(sorted((*HONORIFICS, *_DUTCH_HONORIFICS), key=len, reverse=True))
    + r")\.?)\s+)?(?P<last>(?:\p{Lu}[\p{Lu}'’-]+\s+)*\p{Lu}[\p{Lu}'’-]{2,})\s+(?P<first>\p{Lu}\p{Ll}[^,()]*?)(?:\s*\([^()]*\))?$"
)
# A family name in Han characters or Hangul, a space (or the ideographic one), a given name: not a foreigner's name in
# katakana ("ジョン スミス"), which keeps its order. A name without a space ("王小明") is not split.
_CJK = r"\p{Han}\p{Hangul}\p{Hiragana}\p{Katakana}々ー"
_FAMILY_FIRST = rf"^(?P<family>[\p{{Han}}\p{{Hangul}}][{_CJK}]*)[ \x{{3000}}]+(?P<given>[{_CJK}]+)$"
_FORMULA = LEADING_FORMULA  # as spreadsheet.safe_cell sees one: "＝HYPERLINK(...)" too (review 20b #6)
# An outlet noted after a name: in brackets at the end, or after a dash, slash or bar between spaces.
_NOTED = r"(?:\s*\([^()]*\)|\s+[-–—/|]\s+.*)$"
_TEAM = (
    r"(?i)(?:^the\s|" + _OUTLET_OPENING + r"|(?:^|[\s,.&/()-])(?:" + "|".join(sorted(TEAM_WORDS)) + r")(?:$|[\s,.&/()-]))"
)  # "The Guardian" too, not _STYLED


def split_names(names: pa.Array, languages: pa.Array | None = None) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(first names, last names, honorifics) of full-name cells ("" where there is none).

    ``languages``: each row's language cell, when the list has one; a Hungarian or Vietnamese row's
    name is read family name first ("Nagy Éva", "Nguyễn Văn An")."""
    first, last, honorific, read_already = _split_names(names)
    if languages is None or not len(names):
        return first, last, honorific
    return (*_family_name_first(names, languages, first, last, read_already), honorific)


def _family_name_first(
    names: pa.Array, languages: pa.Array, first: pa.Array, last: pa.Array, read_already: pa.Array
) -> tuple[pa.Array, pa.Array]:
    """First and last names of the rows whose language writes the family name first, put right (review 25l
    #7: "Nagy Éva" greeted "Dear Nagy,", "Nguyễn Văn An" "Dear Nguyễn,"): Hungarian's given names follow
    the family name, Vietnamese's given name is the last word. Rows read already (a comma, a surname in
    capitals, Chinese, Japanese or Korean script, a team's name) are left as they are."""
    import pyarrow as pa
    import pyarrow.compute as pc

    language = pc.utf8_lower(pc.utf8_trim_whitespace(pc.cast(languages, pa.large_string()).fill_null("")))
    hungarian = pc.match_substring_regex(language, _HUNGARIAN)
    vietnamese = pc.match_substring_regex(language, _VIETNAMESE)
    either = pc.and_(pc.or_(hungarian, vietnamese), pc.invert(read_already))
    if not pc.any(either).as_py():
        return first, last
    # The name without the outlet noted after it ("Nagy Éva (HVG)"), its honorific apart already ("Dr. Szabó Anna")
    whole = pc.utf8_trim_whitespace(
        pc.replace_substring_regex(pc.binary_join_element_wise(first, last, pa.scalar(" ", pa.large_string())), _NOTED, "")
    )
    family_then_given = pc.extract_regex(whole, r"^(?P<family>\S+)\s+(?P<given>\S.*)$")
    given_last = pc.extract_regex(whole, r"^(?P<family>.*\S)\s+(?P<given>\S+)$")
    parts = pc.if_else(vietnamese, given_last, family_then_given)
    turn = pc.fill_null(pc.and_(either, pc.is_valid(parts)), False)
    return (
        pc.if_else(turn, pc.cast(parts.field("given"), pa.large_string()), first),
        pc.if_else(turn, pc.cast(parts.field("family"), pa.large_string()), last),
    )


_HUNGARIAN = r"^(?:hu|hun|hungarian|magyar)(?:$|[-_ (])"
_VIETNAMESE = r"^(?:vi|vie|vietnamese|tiếng việt|tieng viet)(?:$|[-_ (])"


def _split_names(names: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
    """``split_names`` for every row as if written given name first, and which rows were read in
    another order already (or are no one's name)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    names = pc.utf8_trim_whitespace(names)
    # The person's name without the outlet a media database notes after it: "Jane Doe (BBC News)", "Doe, Jane
    # (BBC Radio)", "Jane Doe – Sky News", "Jane Doe / The Times" (review 24x #3: greeted "Dear colleague,").
    bare = pc.replace_substring_regex(names, _NOTED, "")
    reversed_form = pc.extract_regex(bare, r"^(?P<last>[^,]*[^,\s])\s*,\s*(?P<first>[^,]*\S)$")
    plain = pc.extract_regex(names, r"^(?P<first>\S+)(?:\s+(?P<last>.*\S))?$")
    has_comma = pc.is_valid(reversed_form)
    first = pc.fill_null(pc.if_else(has_comma, reversed_form.field("first"), plain.field("first")), "")
    last = pc.fill_null(pc.if_else(has_comma, reversed_form.field("last"), plain.field("last")), "")
    # The surname first, in capitals, as French and Belgian lists write a full name (newcomer 23 #10: "DUBOIS
    # François" was greeted "Bonjour DUBOIS,"): "DE SMET Geert", "VAN DEN BERGH Anne-Marie".
    capitals_first = pc.extract_regex(names, _CAPITALS_FIRST)
    if pc.any(pc.is_valid(capitals_first)).as_py():
        surname_first = pc.and_(pc.is_valid(capitals_first), pc.invert(has_comma))
        first = pc.if_else(surname_first, capitals_first.field("first"), first)
        last = pc.if_else(surname_first, capitals_first.field("last"), last)
    else:
        surname_first = pa.array([False] * len(names), type=pa.bool_())
    # Chinese, Japanese and Korean write the family name first ("王 小明", "田中　太郎" with the ideographic space,
    # "김 민수"), as Google Contacts' Given Name and Family Name columns say (review 25l #3: greeted "Dear 王,").
    family_first = pc.extract_regex(names, _FAMILY_FIRST)
    east_asian = pc.is_valid(family_first)
    if pc.any(east_asian).as_py():
        first = pc.if_else(east_asian, family_first.field("given"), first)
        last = pc.if_else(east_asian, family_first.field("family"), last)
    honorific = pa.array([""] * len(names), type=pa.large_string()) if len(names) else pc.cast(names, pa.large_string())
    if pc.any(surname_first).as_py():
        honorific = pc.if_else(surname_first, pc.cast(pc.fill_null(capitals_first.field("honorific"), ""), pa.large_string()), honorific)
    first, last = pc.cast(first, pa.large_string()), pc.cast(last, pa.large_string())

    formula = pc.fill_null(pc.match_substring_regex(names, _FORMULA), False)
    if pc.any(formula).as_py():
        first = pc.if_else(formula, pc.cast(names, pa.large_string()), first)
        last = pc.if_else(formula, "", last)

    # A name of two words or more before the note is a person's ("Jane Doe (BBC News)"); one word is a
    # desk's or a city's, and the note says whose ("Berlin (Press Office)", "Politics – BBC News").
    named = pc.fill_null(pc.match_substring_regex(bare, r"^\S+[\s,]+\S"), False)
    team = pc.if_else(named, pc.match_substring_regex(bare, _TEAM), pc.match_substring_regex(names, _TEAM))
    team = pc.and_(pc.fill_null(team, False), pc.invert(formula))
    if pc.any(team).as_py():
        team = pc.and_(team, pc.invert(pc.fill_null(pc.match_substring_regex(names, _STYLED), False)))
    if pc.any(team).as_py():
        last = pc.if_else(team, pc.cast(names, pa.large_string()), last)
        first = pc.if_else(team, "", first)

    opening = pc.utf8_lower(pc.extract_regex(names, r"^(?P<word>[^\s,.]+)").field("word"))
    closing = pc.utf8_lower(pc.extract_regex(names, r"(?P<word>[^\s,.]+)\.?$").field("word"))
    from nameparser.config import CONSTANTS

    suffixes = pa.array(sorted(CONSTANTS.suffix_not_acronyms | {"phd"}), type=pa.large_string())
    hard = pc.or_(pc.is_in(opening, pa.array(sorted(HONORIFICS), type=pa.large_string())), pc.is_in(closing, suffixes))
    degree = pc.utf8_lower(pc.extract_regex(names, r"^(?P<word>[^\s,.]+)\.").field("word"))
    degrees = pa.array(sorted(ACADEMIC_DEGREES), type=pa.large_string())
    hard = pc.or_(pc.fill_null(hard, False), pc.fill_null(pc.is_in(degree, degrees), False))
    # "Gruber, Mag. Anna", "Doe, Dr. Jane": a title after the comma, as German-language databases write it, is no
    # first name (review25x: greeted "Dear Mag. Anna,"); nameparser reads the title apart
    given = pc.fill_null(pc.cast(reversed_form.field("first"), pa.large_string()), "")
    given_opening = pc.utf8_lower(pc.extract_regex(given, r"^(?P<word>[^\s,.]+)(?:\.\s*|\s+)\S").field("word"))
    given_degree = pc.utf8_lower(pc.extract_regex(given, r"^(?P<word>[^\s,.]+)\.\S*\s+\S").field("word"))
    titled = pc.or_(
        pc.fill_null(pc.is_in(given_opening, pa.array(sorted(HONORIFICS - {"the"}), type=pa.large_string())), False),
        pc.fill_null(pc.is_in(given_degree, degrees), False),
    )
    hard = pc.or_(hard, pc.and_(has_comma, titled))
    hard = pc.and_(pc.and_(pc.fill_null(hard, False), pc.invert(formula)), pc.invert(team))
    hard = pc.and_(hard, pc.invert(pc.fill_null(surname_first, False)))  # read already, its honorific too
    read_already = pc.fill_null(pc.or_(pc.or_(pc.or_(has_comma, surname_first), pc.or_(east_asian, formula)), team), False)
    if not pc.any(hard).as_py():
        return first, last, honorific, read_already
    return (*_parsed(names, hard, first, last, honorific), read_already)


def _parsed(names: pa.Array, hard: pa.Array, first: pa.Array, last: pa.Array, honorific: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Put nameparser's reading of the ``hard`` cells in place of the simple split (each distinct cell parsed once)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    from nameparser import HumanName

    constants = _constants()
    rows = np.flatnonzero(np.asarray(hard.to_numpy(zero_copy_only=False), dtype=bool))
    cells = names.take(pa.array(rows)).to_pylist()
    parsed: dict[str, tuple[str, str, str]] = {}
    for cell in set(cells):
        degree, text = _compound_degree(cell)
        human = HumanName(text, constants=constants)
        rest = " ".join(part for part in (human.middle, human.last, human.suffix) if part)
        parsed[cell] = (human.first, rest, " ".join(part for part in (degree, human.title) if part))
    mask = np.zeros(len(names), dtype=bool)
    mask[rows] = True
    where = pa.array(mask)

    def put(column: pa.Array, part: int) -> pa.Array:
        return pc.replace_with_mask(column, where, pa.array([parsed[cell][part] for cell in cells], type=pa.large_string()))

    return put(first, 0), put(last, 1), put(honorific, 2)


# A German Diplom degree opening a name, its subject after a hyphen: "Dipl.-Kfm.", "Dipl.-Psych.", "Dipl.-Päd.",
# "Dipl.-Vw." (nameparser knows only "Dipl.-Ing."; review25x: "Dipl.-Kfm. Otto Bauer" greeted "Dear Dipl.-Kfm.,").
_COMPOUND_DEGREE = re.compile(r"^((?:dipl|univ|priv)\.-[^\s,.]+\.?)\s+(?=\S+\s+\S)", re.IGNORECASE)


def _compound_degree(cell: str) -> tuple[str, str]:
    """(the Diplom degree opening ``cell``, or "", and the cell without it)."""
    found = _COMPOUND_DEGREE.match(cell)
    return (found.group(1), cell[found.end() :]) if found else ("", cell)


@functools.cache
def _constants() -> Constants:
    """nameparser's settings with ``_MORE_TITLES`` added (a private copy: its shared one is left alone)."""
    from nameparser.config import Constants

    constants = Constants()
    constants.titles.add(*_MORE_TITLES)
    return constants
