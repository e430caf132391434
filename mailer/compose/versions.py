"""A release's language versions: ``NAME.LANG.md`` files beside ``NAME.md``, or a ``translations:`` block.

``releases/launch.md`` (the main file, the default version, ``language: en`` unless it says
otherwise) may have ``releases/launch.fr.md``, ``releases/launch.de.md`` ... beside it, each a
release file of its own (front matter and body), or carry the versions in its front matter::

    translations:
      fr:
        subject: "..."
        headline: "..."
        body: |
          Le texte du communiqué...

A version writes its own subject, headline, subheadline, preheader, dateline, about text (or
about_file), media contact, body, and may set its own attachments, template, from and reply_to;
it takes what it leaves out from the main file. The date and the embargo are the main file's:
one piece of news goes out at one moment. A version that leaves out a text the main file has is
a warning (in ``Release.notes``): its journalists would read that part in the main language.

Every version is checked as the main file is (the same sandbox, paths inside the folder, a
ReleaseError with the file and line).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from mailer.compose import frontmatter, labels, paths
from mailer.compose.release import KNOWN_KEYS, Release, Text, build, check_keys
from mailer.errors import ReleaseError

__all__ = ["SHARED_KEYS", "VERSION_KEYS", "attach", "language_name", "main_language", "main_of"]

SHARED_KEYS: tuple[str, ...] = ("date", "embargo", "language", "translations")
# What a version may write for itself (a sibling file writes its body below its front matter):
# every key of a release but the shared ones.
VERSION_KEYS: tuple[str, ...] = tuple(key for key in KNOWN_KEYS if key not in SHARED_KEYS)
BLOCK_KEYS: tuple[str, ...] = (*VERSION_KEYS, "body")
# A version lacking one of these, when the main file has it, is a warning.
_TRANSLATED = ("subject", "headline", "subheadline", "preheader", "about", "contact")


def main_language(data: Mapping[str, Any], where: frontmatter.Where) -> str:
    """The main file's ``language:`` (a tag such as en, fr-CA), English when it has none."""
    value = data.get("language")
    if value is None or value == "":
        return labels.DEFAULT_LANGUAGE
    if isinstance(value, bool):
        raise _read_as_true_or_false(value, where("language"), 'language: "no"')
    tag = labels.normalize(value) if isinstance(value, str) else None
    if tag is None or not labels.known(tag):
        raise ReleaseError(
            f'{where("language")}: "{value}" is not a language I know.',
            hint="Write a language tag such as en, fr, de, es, fr-CA or pt-BR.",
        )
    return tag


def language_name(tag: str) -> str:
    """``fr`` -> French, ``fr-CA`` -> Canadian French (in English, for messages); the tag itself when unknown."""
    found = labels.locale(tag)
    return found.get_display_name("en") or tag if found else tag


def attach(main: Release, data: Mapping[str, Any], lines: Mapping[str, int], *, today: date | None) -> Release:
    """The main release with its versions (sibling files and the translations block) and their warnings."""
    found: dict[str, Release] = {}
    written: dict[str, set[str]] = {}  # the keys each version writes itself ("body" when it has one)
    where = frontmatter.Where(main.path, lines)
    block = data.get("translations")
    if block is not None:
        if not isinstance(block, dict):
            raise ReleaseError(
                f"{where('translations')}: translations must list one language per indented line, each with its fields.",
                hint=_BLOCK_HINT,
            )
        for language, fields in block.items():
            if isinstance(language, bool):  # Norwegian, "no:", is YAML's false
                spelt = next(
                    (key for key in lines if key.startswith("translations.") and key[13:].lower() in _TRUE_OR_FALSE), "translations"
                )
                raise _read_as_true_or_false(language, where(spelt), '"no":')
            tag = _tag(str(language), where("translations." + str(language)))
            _not_twice(tag, main, found, where("translations." + str(language)))
            found[tag], written[tag] = _from_block(main, tag, str(language), fields, lines, today=today)
    for tag, sibling in _siblings(main.path):
        _not_twice(tag, main, found, str(sibling))
        found[tag], written[tag] = _from_file(main, tag, sibling, today=today)
    # Each version carries its own warning; the main release all of them (pre-flight reads every version).
    versions = {tag: replace(found[tag], notes=tuple(_missing(main, data, found[tag], written[tag]))) for tag in sorted(found)}
    notes = tuple(note for version in versions.values() for note in version.notes)
    return replace(main, versions=versions, notes=notes)


_BLOCK_HINT = 'For example:\ntranslations:\n  fr:\n    subject: "..."\n    body: |\n      Le texte...'


_TRUE_OR_FALSE = frozenset({"no", "yes", "on", "off", "true", "false"})


def _read_as_true_or_false(value: bool, where: str, example: str) -> ReleaseError:
    """YAML reads no, yes, on and off as false or true: Norwegian's tag, no, was "False" is not a language I know (review 23a #8)."""
    return ReleaseError(
        f"{where}: YAML reads this language as {str(value).lower()} (no, yes, on and off are read so), not as a language tag.",
        hint=f"Put the tag in double quotes:  {example}  (Norwegian Bokmål is also nb).",
    )


def _tag(written: str, where: str) -> str:
    tag = labels.normalize(written)
    if tag is None or not labels.known(tag):
        raise ReleaseError(f'{where}: "{written}" is not a language I know.', hint="Use language tags such as fr, de, es, fr-CA or pt-BR.")
    return tag


def _not_twice(tag: str, main: Release, found: Mapping[str, Release], where: str) -> None:
    if tag == main.language:
        raise ReleaseError(
            f"{where}: the {language_name(tag)} ({tag}) version is the main file itself ({main.path}).",
            hint="Give the main file its own language with  language: ...  or remove this version.",
        )
    if tag in found:
        raise ReleaseError(
            f"{where}: there are two {language_name(tag)} ({tag}) versions (the other: {found[tag].path}).",
            hint=f"Keep one: either {main.path.stem}.{tag}{main.path.suffix} or the translations block.",
        )


def main_of(path: Path) -> Path | None:
    """``releases/launch.md`` for ``releases/launch.fr.md`` (a language tag between the name and
    its suffix, the main file beside it), None for a file that is no version of another."""
    stem, _, middle = path.stem.rpartition(".")
    if not stem or not middle:
        return None
    tag = labels.normalize(middle)
    if tag is None or not labels.known(tag):
        return None
    main = path.with_name(stem + path.suffix)
    return main if paths.is_file(main) else None


def _siblings(path: Path) -> list[tuple[str, Path]]:
    """``NAME.LANG.md`` beside ``NAME.md``, for every LANG that is a language CLDR knows."""
    found = []
    prefix = path.stem + "."
    try:
        candidates = sorted(path.parent.iterdir())
    except OSError:
        return []
    for file in candidates:
        name = file.name
        if not (name.startswith(prefix) and name.endswith(path.suffix)) or file == path:
            continue
        middle = name[len(prefix) : len(name) - len(path.suffix)]
        tag = labels.normalize(middle)
        if tag is None or not labels.known(tag) or not paths.is_file(file):
            continue
        # A version is read like any file a release names: a link out of the folder is refused.
        paths.inside(file.name, base=path.parent, root=path.parent, where=str(file), what=f"the {language_name(tag)} version {file.name}")
        found.append((tag, file))
    return found


def _from_file(main: Release, tag: str, path: Path, *, today: date | None) -> tuple[Release, set[str]]:
    """A ``NAME.LANG.md`` file: front matter (optional) and its own body."""
    raw = frontmatter.read(path)
    if frontmatter.starts_with_front_matter(raw):
        front, body, body_line = frontmatter.split(path, raw)
        data, lines = frontmatter.parse(path, front)
    else:  # a version may be just the translated text
        data, lines, body, body_line = {}, {}, raw, 1
    where = frontmatter.Where(path, lines)
    _check_version_keys(data, where, VERSION_KEYS, main)
    body_text = Text(body, body_line) if body.strip() else None
    written = {key for key, value in data.items() if value} | ({"body"} if body_text else set())
    return build(path, data, lines, body_text, where, today=today, language=tag, base=main), written


def _from_block(
    main: Release, tag: str, written: str, fields: Any, lines: Mapping[str, int], *, today: date | None
) -> tuple[Release, set[str]]:
    """One language of the ``translations:`` block."""
    prefix = f"translations.{written}."
    own_lines = {key[len(prefix) :]: line for key, line in lines.items() if key.startswith(prefix)}
    where = frontmatter.Where(main.path, own_lines)
    if not isinstance(fields, dict):
        raise ReleaseError(
            f"{main.path}, line {lines.get('translations.' + written, 1)}: the {written} translation must list its fields on indented lines.",
            hint=_BLOCK_HINT,
        )
    _check_version_keys(fields, where, BLOCK_KEYS, main)
    body = fields.get("body")
    if body is not None and not isinstance(body, str):
        raise ReleaseError(f"{where('body')}: the {written} body must be text.", hint=_BLOCK_HINT)
    body_text = Text(body, own_lines.get("body@", own_lines.get("body", 1))) if body and body.strip() else None
    keys = {key for key, value in fields.items() if value and key != "body"} | ({"body"} if body_text else set())
    return build(main.path, fields, own_lines, body_text, where, today=today, language=tag, base=main), keys


def _check_version_keys(data: Mapping[str, Any], where: frontmatter.Where, known: tuple[str, ...], main: Release) -> None:
    for key in data:
        if key in SHARED_KEYS:
            raise ReleaseError(
                f'{where(key)}: "{key}" is shared by every language version; set it in the main file, {main.path}.',
                hint="A version writes its own text (subject, headline, body, about, contact); the date and embargo are the main file's.",
            )
    check_keys(data, known, where)


def _missing(main: Release, data: Mapping[str, Any], version: Release, written: set[str]) -> list[str]:
    """A version that reads, in part, in the main file's language: one warning naming what it lacks."""
    lacking = []
    for key in _TRANSLATED:
        has_main = bool(data.get("about") or data.get("about_file")) if key == "about" else bool(data.get(key))
        has_own = bool(written & {"about", "about_file"}) if key == "about" else key in written
        if key == "headline" and "subject" in written:
            has_own = True  # a version without a headline of its own shows its subject as the headline
        if has_main and not has_own:
            lacking.append(key)
    if main.body.source.strip() and "body" not in written:
        lacking.append("body")
    if not lacking:
        return []
    return [
        (
            f"The {language_name(version.language)} version ({version.path}) has no {', '.join(lacking)} of its own, "
            f"so it uses the main file's ({language_name(main.language)})."
        )
    ]
