"""The sandbox's personal data encrypted at rest (issue 16): the columns change type, then every row
already stored is written again through the new fields (a plain value reads back as itself)."""

import encrypted_fields.fields
import sandbox.fields
from django.db import migrations


SEALED = {
    "EnrollmentFile": ("content", "acknowledgment"),
    "Group": ("body",),
    "IdempotentAnswer": ("content",),
    "MemberValidation": ("body",),
}


def seal_stored_rows(apps, schema_editor):
    for name, fields in SEALED.items():
        model = apps.get_model("sandbox", name)
        for row in model.objects.only("pk", *fields).iterator(chunk_size=200):
            model.objects.filter(pk=row.pk).update(**{f: getattr(row, f) for f in fields})


class Migration(migrations.Migration):

    dependencies = [
        ('sandbox', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='enrollmentfile',
            name='acknowledgment',
            field=encrypted_fields.fields.EncryptedTextField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='enrollmentfile',
            name='content',
            field=encrypted_fields.fields.EncryptedTextField(null=True),
        ),
        migrations.AlterField(
            model_name='group',
            name='body',
            field=sandbox.fields.SealedJSONField(help_text='The create body as patched since (census dates of birth encrypted)'),
        ),
        migrations.AlterField(
            model_name='idempotentanswer',
            name='content',
            field=encrypted_fields.fields.EncryptedTextField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='membervalidation',
            name='body',
            field=sandbox.fields.SealedJSONField(help_text='ssn and dateOfBirth encrypted'),
        ),
        migrations.RunPython(seal_stored_rows, migrations.RunPython.noop),
    ]
