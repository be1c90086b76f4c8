"""The smaller slips of a newcomer's walk: each language by its own name, band labels that agree with the word they
follow, one register of Spanish (Latin American: the site serves the US and Mexico), a favicon and a description."""

import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from symptoms.instruments import GAD7, PHQ9

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("language", ["en", "es", "ru"])
def test_the_switcher_lists_each_language_by_its_own_name(client, language):
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    switcher = html.split('class="language-switcher')[1].split("</form>")[0]

    options = re.findall(r"<option [^>]*>([^<]+)</option>", switcher)
    assert options == ["English", "Español", "Русский"]


@pytest.mark.parametrize(
    ("language", "word", "labels"),
    [
        ("es", "Nivel:", ["Mínimo", "Leve", "Moderado", "Moderadamente grave", "Grave"]),
        ("ru", "Уровень:", ["Минимальный", "Лёгкий", "Умеренный", "Умеренно тяжёлый", "Тяжёлый"]),
    ],
)
def test_band_labels_agree_with_the_masculine_word_they_follow(language, word, labels):
    with translation.override(language):
        assert translation.gettext("Band:") == word
        assert [str(band.label) for band in PHQ9.bands] == labels
        assert [str(band.label) for band in GAD7.bands] == [labels[0], labels[1], labels[2], labels[4]]
        assert [translation.pgettext("risk band", w) for w in ("Low", "Moderate", "High")] in (
            ["Bajo", "Moderado", "Alto"],
            ["Низкий", "Умеренный", "Высокий"],
        )


# Words of Spain's Spanish that a reader in Mexico or the US would not use, and vosotros forms.
PENINSULAR = re.compile(
    r"\b(ordenador(es)?|móvil(es)?|coche|zumo|vosotr[oa]s|vuestr[oa]s?|tenéis|podéis|queréis|sois|estáis|"
    r"habéis|coger|gilipollas|guay|enhorabuena)\b",
    re.I,
)


def test_the_spanish_catalogue_keeps_to_latin_american_words():
    text = (ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    translations = "\n".join(line for line in text.splitlines() if line.startswith(("msgstr", '"')))
    assert not PENINSULAR.findall(translations)


def test_every_page_has_a_favicon_and_a_description(client):
    html = client.get(reverse("home")).content.decode()

    assert re.search(r'<link rel="icon" href="[^"]*favicon\.svg" type="image/svg\+xml">', html)
    assert re.search(r'<meta name="description" content="[^"]{50,}">', html)
    assert (ROOT / "core" / "static" / "core" / "favicon.svg").read_text().startswith("<svg")


def test_the_readme_symptom_check_example_sends_every_gad7_answer():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = next(line for line in readme.splitlines() if '"instrument": "gad7"' in line)

    assert "..." not in example
    assert all(f'"gad7_{n}"' in example for n in range(1, 8))
