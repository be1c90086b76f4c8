from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from billing.selectors import wallet_audit


class Command(BaseCommand):
    help = "Recompute every wallet from its ledger; exit non-zero and list the users on any mismatch."

    def handle(self, *args, **options) -> None:
        mismatches = wallet_audit()
        if not mismatches:
            self.stdout.write(self.style.SUCCESS("Every wallet agrees with its ledger."))
            return
        for row in mismatches:
            self.stderr.write(
                f"{row['user__email']}: wallet available={row['available']} held={row['held']}, "
                f"ledger available={row['ledger_available'] or 0} held={row['ledger_held'] or 0}"
            )
        raise CommandError(
            ngettext(
                "%(n)d wallet disagrees with its ledger.", "%(n)d wallets disagree with their ledger.", len(mismatches)
            )
            % {"n": len(mismatches)}
        )
