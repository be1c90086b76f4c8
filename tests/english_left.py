"""Which English texts of the catalogue are still on a page shown in another language.

The English is not typed here: it is every msgid of the language's catalogue (locale/<lang>/LC_MESSAGES/django.po),
cut into fragments at placeholders ("%(count)s"), HTML tags and numbers. A fragment is looked for, as whole words,
in the page's visible text: element text, <title>, and the alt, title, aria-label and placeholder attributes
(read aloud by screen readers), without scripts, styles, hidden inputs and elements marked translate="no".

What is not counted, by rule rather than by list:
- a fragment the entry's own translation keeps (a name or a code: "Child Helpline International", "PHQ-9", "kg");
- a fragment without a word of three or more letters ("in", "of", "—", numbers);
- proper nouns on the page: the site's name (<meta name="application-name">) and anything inside an element with
  translate="no" (the HTML attribute for text that is never translated: the brand, help services' names);
- text that says it is in another language (an element whose lang is not the page's): a questionnaire shown in its
  original English where no published translation is held, a help service described in its own language.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
_PLACEHOLDER = re.compile(r"%\([^)]*\)[sdfr]|%%|%[sd]|\{\{[^}]*\}\}|<[^>]+>|\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[A-Za-z]{3,}")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_READ_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")


def _unquote(text: str) -> str:
    return text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")


def _entries(path: Path) -> list[tuple[list[str], list[str]]]:
    """(msgid and msgid_plural, msgstr forms) of each entry, the header left out."""
    entries, current, field = [], None, None
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if current and current["msgid"]:
                entries.append(([current["msgid"], *current["plural"]], current["msgstr"]))
            current, field = None, None
            continue
        if line.startswith("#"):
            continue
        current = current or {"msgid": "", "plural": [], "msgstr": []}
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            text = _unquote(line)
            if field == "msgid":
                current["msgid"] += text
            elif field == "msgid_plural":
                current["plural"][-1] += text
            elif field == "msgstr":
                current["msgstr"][-1] += text
        elif keyword == "msgid":
            field, current["msgid"] = "msgid", _unquote(rest)
        elif keyword == "msgid_plural":
            field = "msgid_plural"
            current["plural"].append(_unquote(rest))
        elif keyword.startswith("msgstr"):
            field = "msgstr"
            current["msgstr"].append(_unquote(rest))
        else:
            field = keyword  # msgctxt
    return entries


def _normal(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


@lru_cache
def english_fragments(language: str) -> tuple[str, ...]:
    """The catalogue's English fragments that its translation does not keep."""
    fragments = set()
    for english, translated in _entries(LOCALE_DIR / language / "LC_MESSAGES" / "django.po"):
        kept = _normal(" ".join(translated))
        for text in english:
            for piece in _PLACEHOLDER.split(text):
                piece = _normal(piece).strip(" .,;:()“”«»\"'—–-·|/…?!")
                if _WORD.search(piece) and piece not in kept:
                    fragments.add(piece)
    return tuple(sorted(fragments, key=len, reverse=True))


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []  # open tags whose content is not read
        self.application_name = ""
        self.language = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta" and values.get("name") == "application-name":
            self.application_name = values.get("content") or ""
        if tag == "html":
            self.language = (values.get("lang") or "").split("-")[0]
        other_language = bool(values.get("lang")) and (values.get("lang") or "").split("-")[0] != self.language
        skip = tag in ("script", "style") or values.get("translate") == "no" or (tag != "html" and other_language)
        if tag in _VOID:
            if not skip and not self.skipping and not (tag == "input" and values.get("type") == "hidden"):
                self.parts.extend(values[name] or "" for name in _READ_ATTRIBUTES if values.get(name))
            return
        if self.skipping or skip:
            self.skipping.append(tag)
            return
        self.parts.extend(values[name] or "" for name in _READ_ATTRIBUTES if values.get(name))

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if self.skipping:
            self.skipping.pop()
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    text = _normal(" ".join(parser.parts))
    if parser.application_name:
        text = text.replace(parser.application_name, " ")
    return text


def english_left(html: str, *, language: str) -> list[str]:
    """The catalogue's English fragments found on the page, longest first; [] when none is left."""
    text = visible_text(html)
    return [
        fragment
        for fragment in english_fragments(language)
        if re.search(rf"(?<![A-Za-z]){re.escape(fragment)}(?![A-Za-z])", text)
    ]
