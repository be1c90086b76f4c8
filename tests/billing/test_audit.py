import pytest
from django.core.management import CommandError, call_command

from billing.models import Wallet

pytestmark = pytest.mark.django_db


def test_the_audit_is_clean_when_wallets_match_their_ledgers(member, outsider, capsys):
    call_command("billing_audit")

    assert "Every wallet agrees with its ledger." in capsys.readouterr().out


def test_the_audit_fails_and_names_the_user_whose_wallet_drifted(member, outsider, capsys):
    Wallet.objects.filter(user=member).update(available=99)

    with pytest.raises(CommandError, match="1 wallet"):
        call_command("billing_audit")

    err = capsys.readouterr().err
    assert "member@example.com" in err
    assert "outsider@example.com" not in err
