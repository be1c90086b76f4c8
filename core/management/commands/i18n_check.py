"""Fail when a catalogue is incomplete or stale: `make i18n-check`, part of `make lint`.

For every language of settings.LANGUAGES but English:
- every entry of locale/<lang>/LC_MESSAGES/django.po is translated, none fuzzy or obsolete;
- the committed django.mo holds exactly what the .po compiles to (read back with Python's gettext, so this part
  needs no GNU gettext);
- the .po has the msgids the sources have today: the sources are copied to a scratch folder and extracted there
  with the options of `i18n_update`, and the two sets of msgids must be equal. That part needs GNU gettext's
  xgettext; without it, it is skipped with a warning, unless I18N_REQUIRE_GETTEXT=1 (CI sets it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.catalogues import DOMAIN, MAKEMESSAGES_OPTIONS, catalogue_problems, msgids

# What extraction reads; everything else in the checkout stays out of the scratch copy.
_NOT_COPIED = (".git", ".venv", "node_modules", "staticfiles", "docs", "ml_artifacts", ".schemathesis", "*.sqlite3")


class Command(BaseCommand):
    help = "Check that every catalogue is complete, compiled and up to date with the sources."

    def handle(self, *args, **options) -> None:
        base = Path(settings.BASE_DIR)
        languages = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
        problems: list[str] = []
        for language in languages:
            folder = base / "locale" / language / "LC_MESSAGES"
            po = (folder / f"{DOMAIN}.po").relative_to(base)
            if not (base / po).exists():
                problems.append(f"{po}: missing (add the language with make messages, see README)")
                continue
            problems += catalogue_problems(po, po.with_suffix(".mo"), base=base)
        problems += self._stale(base, languages)
        if problems:
            raise CommandError("Catalogues need work:\n  " + "\n  ".join(problems))
        self.stdout.write(f"Catalogues complete, compiled and current: {', '.join(languages)}.")

    def _stale(self, base: Path, languages: list[str]) -> list[str]:
        if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
            message = "GNU gettext (xgettext) is not installed: cannot compare the catalogues with the sources."
            if os.environ.get("I18N_REQUIRE_GETTEXT") == "1":
                return [message]
            self.stderr.write(f"warning: {message} Skipped.")
            return []
        problems = []
        with tempfile.TemporaryDirectory() as scratch:
            copy = Path(scratch) / "src"
            shutil.copytree(base, copy, ignore=shutil.ignore_patterns(*_NOT_COPIED), symlinks=True)
            # Start from the committed catalogues, as `i18n_update` would, and extract into the copy.
            arguments = [sys.executable, "manage.py", "makemessages", *MAKEMESSAGES_OPTIONS, "--verbosity=0"]
            arguments += [f"--locale={language}" for language in languages]
            result = subprocess.run(arguments, cwd=copy, capture_output=True, text=True, check=False)  # noqa: S603
            if result.returncode != 0:
                return [f"extracting the texts failed: {result.stderr.strip()}"]
            for language in languages:
                relative = Path("locale") / language / "LC_MESSAGES" / f"{DOMAIN}.po"
                committed, current = msgids(base / relative), msgids(copy / relative)
                for _context, msgid, _plural in sorted(current - committed, key=str):
                    problems.append(f"{relative}: new text not in the catalogue (run make messages): {msgid[:70]!r}")
                for _context, msgid, _plural in sorted(committed - current, key=str):
                    problems.append(f"{relative}: text no longer in the sources (run make messages): {msgid[:70]!r}")
        return problems
