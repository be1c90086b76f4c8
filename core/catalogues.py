"""The translation catalogues (locale/<lang>/LC_MESSAGES/django.po and .mo): how they are made, and what a complete,
current catalogue is. `manage.py i18n_update` writes them, `manage.py i18n_check` (make lint) checks them.

Pure Python apart from extraction: reading a .po file and comparing it with its compiled .mo needs no GNU gettext,
so a fresh machine with only Python serves every language from the committed .mo files.
"""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

# The one way the catalogues are extracted: the same options for the update and for the check, so "out of date"
# means exactly "i18n_update would change the msgids". Offline code (training, reports), tests and docs are English.
MAKEMESSAGES_OPTIONS = (
    "--no-location",
    "--no-obsolete",
    "--ignore=.venv",
    "--ignore=tests",
    "--ignore=benchmarks",
    "--ignore=docs",
    "--ignore=docker",
    "--ignore=staticfiles",
    "--ignore=ml_artifacts",
    "--ignore=predictor/training",
)
DOMAIN = "django"
_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")$")


@dataclass
class Entry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values())


def _unquote(text: str) -> str:
    # A PO string is a C string literal: the same escapes as Python's for what gettext writes (\n, \t, \", \\).
    return text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")


def read_po(path: Path) -> list[Entry]:
    """Every entry of a .po file, the header (msgid "") first; obsolete ("#~") entries are kept, marked."""
    entries: list[Entry] = []
    current: Entry | None = None
    last: tuple[str, int] = ("", 0)
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        if not line:
            if current is not None:
                entries.append(current)
            current = None
            continue
        if line.startswith("#,"):
            current = current or Entry(msgid="")
            current.flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith("#"):
            continue
        current = current or Entry(msgid="")
        current.obsolete = current.obsolete or obsolete
        match = _KEYWORD.match(line)
        if match:
            keyword, index, value = match.group(1), match.group(2), _unquote(match.group(3))
            if keyword.startswith("msgstr"):
                last = ("msgstr", int(index or 0))
                current.msgstr[last[1]] = value
            else:
                last = (keyword, 0)
                setattr(current, keyword, value)
        elif line.startswith('"'):
            value = _unquote(line)
            if last[0] == "msgstr":
                current.msgstr[last[1]] += value
            else:
                setattr(current, last[0], (getattr(current, last[0]) or "") + value)
    return entries


def po_as_mo_catalog(entries: list[Entry]) -> dict[object, str]:
    """What GNU msgfmt compiles from these entries, in the shape Python's gettext reads a .mo into: fuzzy and
    untranslated entries are left out, a context is joined to its msgid with EOT, plurals keyed (msgid, n)."""
    catalog: dict[object, str] = {}
    for entry in entries:
        if entry.obsolete or "fuzzy" in entry.flags or not entry.translated:
            continue
        msgid = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            catalog[msgid] = entry.msgstr[0]
        else:
            for index, text in entry.msgstr.items():
                catalog[(msgid, index)] = text
    return catalog


def read_mo(path: Path) -> dict[object, str]:
    with path.open("rb") as file:
        return dict(gettext.GNUTranslations(file)._catalog)  # type: ignore[attr-defined]


def _comparable(catalog: dict[object, str]) -> dict[object, str]:
    """A compiled catalogue without the header's bookkeeping; the plural rule and the charset stay compared."""
    header = catalog.get("", "")
    kept = [line for line in header.splitlines() if line.split(":")[0] in ("Content-Type", "Plural-Forms", "Language")]
    return {**catalog, "": "\n".join(kept)}


def strip_creation_date(po: Path) -> None:
    """Drop the POT-Creation-Date line makemessages rewrites on every run, so a catalogue changes only when a
    text does (and two people updating it do not conflict on the header)."""
    text = po.read_text(encoding="utf-8")
    po.write_text(re.sub(r'^"POT-Creation-Date: [^"]*\\n"\n', "", text, flags=re.MULTILINE), encoding="utf-8")


def catalogue_problems(po: Path, mo: Path, *, base: Path) -> list[str]:
    """What keeps a catalogue from being complete and deployed: untranslated, fuzzy or obsolete entries, and a .mo
    that is missing or was compiled from another version of the .po. `po` and `mo` are relative to `base`."""
    entries = read_po(base / po)
    problems = []
    for entry in entries:
        shown = entry.msgid[:70] or "the header"
        if entry.obsolete:
            problems.append(f"{po}: obsolete entry (run make messages): {shown!r}")
        elif "fuzzy" in entry.flags:
            problems.append(f"{po}: fuzzy entry, check its translation and drop the flag: {shown!r}")
        elif not entry.translated:
            problems.append(f"{po}: untranslated: {shown!r}")
    if not (base / mo).exists():
        problems.append(f"{mo}: missing (run make messages, which compiles it)")
    elif _comparable(read_mo(base / mo)) != _comparable(po_as_mo_catalog(entries)):
        problems.append(f"{mo}: does not match {po.name} (run make messages, which compiles it)")
    return problems


def msgids(po: Path) -> set[tuple[str | None, str, str | None]]:
    return {(e.msgctxt, e.msgid, e.msgid_plural) for e in read_po(po) if e.msgid and not e.obsolete}
