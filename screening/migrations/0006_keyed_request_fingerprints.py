import json

from django.conf import settings
from django.db import migrations, models
from django.utils.crypto import salted_hmac

# core.fingerprints as of this migration: an HMAC keyed from SECRET_KEY instead of a plain SHA-256.
KEY_SALT = "mental-health-checker.request-fingerprint"


def keyed_fingerprints(apps, schema_editor):
    # Each stored plain hash is replaced by the keyed one of the same content (the model and the validated answers,
    # which the row keeps), so a repeated Idempotency-Key sent before the upgrade is still recognised after it.
    Screening = apps.get_model("screening", "Screening")
    rows = Screening.objects.using(schema_editor.connection.alias).exclude(request_fingerprint="")
    for screening in rows.only("id", "model_key", "answers").iterator(chunk_size=500):
        canonical = json.dumps(
            {"model": screening.model_key, "answers": screening.answers}, sort_keys=True, separators=(",", ":")
        )
        fingerprint = salted_hmac(KEY_SALT, canonical, secret=settings.SECRET_KEY, algorithm="sha256").hexdigest()
        Screening.objects.using(schema_editor.connection.alias).filter(pk=screening.pk).update(
            request_fingerprint=fingerprint
        )


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0005_encrypt_health_data"),
    ]

    operations = [
        migrations.AlterField(
            model_name="screening",
            name="request_fingerprint",
            field=models.CharField(
                blank=True,
                help_text="Keyed HMAC-SHA256 of the model and answers, to detect key reuse (core.fingerprints).",
                max_length=64,
            ),
        ),
        # Irreversible in content (a keyed hash cannot be turned back into the plain one); going back keeps the
        # keyed values, so only Idempotency-Key replays sent from before the upgrade would answer 409.
        migrations.RunPython(keyed_fingerprints, migrations.RunPython.noop),
    ]
