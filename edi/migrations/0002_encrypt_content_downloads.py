"""The stored 834 encrypted at rest (issue 16): a new encrypted column, every file copied into it, the
plain column dropped. Also the download permission and the record of downloads."""

import django.db.models.deletion
import encrypted_fields.fields
from django.conf import settings
from django.db import migrations, models


def encrypt_files(apps, schema_editor):
    Transmission = apps.get_model("edi", "Transmission")
    for pk, content in Transmission.objects.values_list("pk", "content").iterator(chunk_size=100):
        text = bytes(content or b"").decode("ascii")
        Transmission.objects.filter(pk=pk).update(content_sealed=text or None)


def decrypt_files(apps, schema_editor):
    Transmission = apps.get_model("edi", "Transmission")
    for pk, text in Transmission.objects.values_list("pk", "content_sealed").iterator(chunk_size=100):
        Transmission.objects.filter(pk=pk).update(content=(text or "").encode("ascii"))


class Migration(migrations.Migration):

    dependencies = [
        ("edi", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="transmission",
            name="content_sealed",
            field=encrypted_fields.fields.EncryptedTextField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(encrypt_files, decrypt_files),
        migrations.RemoveField(model_name="transmission", name="content"),
        migrations.RenameField(model_name="transmission", old_name="content_sealed", new_name="content"),
        migrations.AlterModelOptions(
            name="transmission",
            options={
                "ordering": ["-created_at", "-id"],
                "permissions": [("download_transmission", "Can download the 834 file (SSNs and dates of birth)")],
            },
        ),
        migrations.CreateModel(
            name="TransmissionDownload",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("username", models.CharField(help_text="kept if the user is deleted", max_length=150)),
                ("at", models.DateTimeField(auto_now_add=True)),
                (
                    "by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "transmission",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="downloads",
                        to="edi.transmission",
                    ),
                ),
            ],
            options={"ordering": ["-at", "-id"]},
        ),
    ]
