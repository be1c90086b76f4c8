"""The catalogue check (make i18n-check): what it refuses, on small catalogues written here."""

import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from core.catalogues import catalogue_problems, read_mo, read_po

HEADER = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

"""


def _catalogue(tmp_path: Path, body: str, *, compile_it: bool = True) -> tuple[Path, Path]:
    po = tmp_path / "django.po"
    po.write_text(HEADER + body, encoding="utf-8")
    mo = tmp_path / "django.mo"
    if compile_it:
        subprocess.run(["msgfmt", "-o", str(mo), str(po)], check=True)  # noqa: S603, S607
    return po.relative_to(tmp_path), mo.relative_to(tmp_path)


needs_msgfmt = pytest.mark.skipif(
    subprocess.run(["which", "msgfmt"], capture_output=True, check=False).returncode != 0,  # noqa: S607
    reason="compiling the sample catalogues needs GNU gettext's msgfmt",
)


@needs_msgfmt
def test_a_complete_compiled_catalogue_has_no_problems(tmp_path):
    po, mo = _catalogue(
        tmp_path,
        'msgctxt "risk band"\nmsgid "High"\nmsgstr "Alto"\n\n'
        'msgid "%(count)d credit"\nmsgid_plural "%(count)d credits"\nmsgstr[0] "%(count)d crédito"\n'
        'msgstr[1] "%(count)d créditos"\n',
    )

    assert catalogue_problems(po, mo, base=tmp_path) == []
    assert read_mo(tmp_path / mo)[("%(count)d credit", 1)] == "%(count)d créditos"
    assert [entry.msgctxt for entry in read_po(tmp_path / po)] == [None, "risk band", None]


@needs_msgfmt
def test_untranslated_fuzzy_and_obsolete_entries_are_refused(tmp_path):
    po, mo = _catalogue(
        tmp_path,
        'msgid "Sleep"\nmsgstr ""\n\n#, fuzzy\nmsgid "Health"\nmsgstr "Salud"\n\n#~ msgid "Old"\n#~ msgstr "Viejo"\n',
    )

    problems = catalogue_problems(po, mo, base=tmp_path)

    assert any("untranslated: 'Sleep'" in p for p in problems)
    assert any("fuzzy entry" in p and "'Health'" in p for p in problems)
    assert any("obsolete entry" in p and "'Old'" in p for p in problems)


@needs_msgfmt
def test_a_compiled_catalogue_that_lags_behind_its_po_is_refused(tmp_path):
    po, mo = _catalogue(tmp_path, 'msgid "Sleep"\nmsgstr "Sueño"\n')
    (tmp_path / po).write_text(HEADER + 'msgid "Sleep"\nmsgstr "Dormir"\n', encoding="utf-8")

    assert catalogue_problems(po, mo, base=tmp_path) == [
        f"{mo}: does not match django.po (run make messages, which compiles it)"
    ]


def test_a_missing_compiled_catalogue_is_refused(tmp_path):
    po, mo = _catalogue(tmp_path, 'msgid "Sleep"\nmsgstr "Sueño"\n', compile_it=False)

    assert catalogue_problems(po, mo, base=tmp_path) == [f"{mo}: missing (run make messages, which compiles it)"]


@pytest.mark.subprocess
def test_the_committed_catalogues_are_complete_compiled_and_current(capsys):
    call_command("i18n_check")

    assert "Catalogues complete, compiled and current: es, ru." in capsys.readouterr().out
