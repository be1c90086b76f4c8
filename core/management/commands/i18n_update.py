"""Bring every catalogue up to date with the sources, then compile it: `make messages`.

New texts arrive untranslated (and changed ones fuzzy) in locale/<lang>/LC_MESSAGES/django.po; translate them, run
this again to compile, and `make i18n-check` passes. Needs GNU gettext (xgettext, msgmerge, msgfmt).
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from core.catalogues import DOMAIN, MAKEMESSAGES_OPTIONS, strip_creation_date


class Command(BaseCommand):
    help = "Extract the texts into every catalogue of settings.LANGUAGES and compile them."

    def handle(self, *args, **options) -> None:
        languages = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
        call_command("makemessages", *MAKEMESSAGES_OPTIONS, locale=languages, verbosity=options["verbosity"])
        for language in languages:
            strip_creation_date(settings.BASE_DIR / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.po")
        call_command("compilemessages", locale=languages, ignore_patterns=[".venv"], verbosity=options["verbosity"])
