import json

from django.conf import settings
from django.db import migrations, models
from django.utils.crypto import salted_hmac

# core.fingerprints as of this migration: an HMAC keyed from SECRET_KEY instead of a plain SHA-256.
KEY_SALT = "mental-health-checker.request-fingerprint"


def keyed_fingerprints(apps, schema_editor):
    # Each stored plain hash is replaced by the keyed one of the same content (the instrument and the validated
    # answers, which the row keeps), so a repeated Idempotency-Key sent before the upgrade is still recognised.
    SymptomCheck = apps.get_model("symptoms", "SymptomCheck")
    rows = SymptomCheck.objects.using(schema_editor.connection.alias).exclude(request_fingerprint="")
    for check in rows.only("id", "instrument", "answers").iterator(chunk_size=500):
        canonical = json.dumps(
            {"instrument": check.instrument, "answers": check.answers}, sort_keys=True, separators=(",", ":")
        )
        fingerprint = salted_hmac(KEY_SALT, canonical, secret=settings.SECRET_KEY, algorithm="sha256").hexdigest()
        SymptomCheck.objects.using(schema_editor.connection.alias).filter(pk=check.pk).update(
            request_fingerprint=fingerprint
        )


class Migration(migrations.Migration):
    dependencies = [
        ("symptoms", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="symptomcheck",
            name="request_fingerprint",
            field=models.CharField(
                blank=True,
                help_text="Keyed HMAC-SHA256 of the instrument and answers, to detect key reuse (core.fingerprints).",
                max_length=64,
            ),
        ),
        # Going back keeps the keyed values: only replays of keys sent before the upgrade would answer 409.
        migrations.RunPython(keyed_fingerprints, migrations.RunPython.noop),
    ]
