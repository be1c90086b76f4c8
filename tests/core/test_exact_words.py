"""No page claims more privacy than is true. Staff with the health-data permission can open a person's answers
(each look is recorded and listed to the person, docs/privacy.md), so a sentence that says "only you" (in any of the
site's languages) must also say what staff can do. Every text a page shows is in the catalogues (make i18n-check),
so the scan reads the English msgids and the Spanish and Russian translations."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

ONLY_YOU = {
    "en": re.compile(
        r"\bonly (?:you|your?self|their owner|the owner)\b|\bno ?one else\b|\bnobody else\b|\bprivate to you\b", re.I
    ),
    "es": re.compile(r"\bs[oó]lo (?:usted|t[uú])\b|\bnadie m[aá]s\b|\bs[oó]lo (?:las?|los?) (?:ve|ven|puede)", re.I),
    "ru": re.compile(r"только вы\b|только вам\b|никто,? кроме вас|никто другой", re.I),
}
STAFF = {
    "en": re.compile(r"\bstaff\b", re.I),
    "es": re.compile(r"\bpersonal\b", re.I),
    "ru": re.compile(r"сотрудник", re.I),
}


def _entries(language: str) -> list[tuple[str, str]]:
    """(msgid, msgstr) of every current entry of a catalogue, with the continuation lines joined."""
    import ast

    text = (ROOT / "locale" / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = []
    for block in text.split("\n\n"):
        if block.lstrip().startswith("#~"):
            continue
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?)\s+(".*")$', line)
            if match:
                key = match.group(1)
                fields[key] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and key:
                fields[key] += ast.literal_eval(line)
        if fields.get("msgid"):
            strs = [v for k, v in fields.items() if k.startswith("msgstr")]
            entries.append((fields["msgid"], " ".join(strs)))
    return entries


def overclaims(text: str, language: str) -> bool:
    """A text that says "only you" (or "nobody else") without saying what staff can do."""
    return bool(ONLY_YOU[language].search(text)) and not STAFF[language].search(text)


@pytest.mark.parametrize(
    ("text", "language", "wrong"),
    [
        ("Only you can see your answers.", "en", True),
        ("Solo usted puede ver sus respuestas.", "es", True),
        ("Ваши ответы видите только вы.", "ru", True),
        ("Only you and, with a recorded permission, our staff can see them.", "en", False),
        ("Nadie más que usted y el personal con permiso.", "es", False),
        ("Ваши ответы видите вы; сотрудники — только с разрешением.", "ru", False),  # noqa: RUF001
    ],
)
def test_the_check_tells_an_overclaim_from_an_exact_sentence(text, language, wrong):
    assert overclaims(text, language) is wrong


def test_no_english_text_says_only_you_without_the_staff_rule():
    wrong = [msgid for msgid, _ in _entries("es") if overclaims(msgid, "en")]
    assert not wrong, wrong


@pytest.mark.parametrize("language", ["es", "ru"])
def test_no_translation_says_only_you_without_the_staff_rule(language):
    wrong = [msgstr for _, msgstr in _entries(language) if overclaims(msgstr, language)]
    assert not wrong, wrong


def test_no_template_says_only_you_outside_the_catalogue():
    wrong = []
    for path in (ROOT / "templates").rglob("*.html"):
        for paragraph in re.split(r"</p>|</li>|</section>", path.read_text(encoding="utf-8")):
            if overclaims(paragraph, "en"):
                wrong.append((path.name, paragraph.strip()[:120]))
    assert not wrong, wrong


def test_the_symptom_page_says_what_staff_can_see(client, member):
    client.force_login(member)

    html = client.get("/symptoms/").content.decode()

    assert "Only you can see your answers" not in html
    assert "our staff can open them only with a permission of their own" in html
