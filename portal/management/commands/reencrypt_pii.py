"""Re-encrypt every encrypted column with the first key of ``FIELD_ENCRYPTION_SALTS`` (key rotation).

Rotation (docs/architecture.md): put the new salt first, keep the old ones after it, deploy, run this
command, then drop the old salts. Each value is decrypted and encrypted again with Fernet's own
``MultiFernet.rotate``, read and written as the raw column, so a value no key can read stops the command
before anything of that table changes (the field library would otherwise hand back the ciphertext as
if it were the value, and a plain re-save would encrypt it twice).

Three kinds of column: a whole value encrypted (SSN, date of birth, the stored 834); JSON whose every
value is encrypted (``EncryptedJSONField``: an employee's draft); and a field that says itself how its
raw value rotates (``rotate_raw(raw, fernet) -> raw``, e.g. JSON with only some values encrypted).
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import InvalidToken, MultiFernet
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from encrypted_fields.fields import EncryptedFieldMixin, EncryptedJSONField


def encrypted_columns():
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedFieldMixin)]
        if fields:
            yield model, fields


def _rotate_leaves(value: Any, fernet: MultiFernet) -> Any:
    if isinstance(value, dict):
        return {key: _rotate_leaves(item, fernet) for key, item in value.items()}
    if isinstance(value, list):
        return [_rotate_leaves(item, fernet) for item in value]
    return fernet.rotate(str(value).encode()).decode()


def rotate_raw(field: Any, raw: str, fernet: MultiFernet) -> str:
    """The raw column value encrypted with the first key; InvalidToken when a value cannot be read."""
    if hasattr(field, "rotate_raw"):
        return field.rotate_raw(raw, fernet)
    if isinstance(field, EncryptedJSONField):
        try:
            decoded = json.loads(raw)
        except ValueError:
            raise InvalidToken from None
        return json.dumps(_rotate_leaves(decoded, fernet), cls=field.encoder)
    return fernet.rotate(raw.encode()).decode()


class Command(BaseCommand):
    help = "Re-encrypt SSNs, dates of birth and other encrypted columns with the first encryption key."

    def handle(self, *args, **options) -> None:
        quote = connection.ops.quote_name
        total = 0
        for model, fields in encrypted_columns():
            table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
            for field in fields:
                for cached in ("keys", "f"):  # the keys of the settings now in force
                    field.__dict__.pop(cached, None)
                fernet = field.f if isinstance(field.f, MultiFernet) else MultiFernet([field.f])
                column = quote(field.column)
                with transaction.atomic():
                    with connection.cursor() as cursor:
                        cursor.execute(f"SELECT {pk}, {column} FROM {table} WHERE {column} IS NOT NULL")  # noqa: S608
                        rows = cursor.fetchall()
                        try:
                            rotated = [(rotate_raw(field, _text(value), fernet), key) for key, value in rows]
                        except InvalidToken:
                            raise CommandError(
                                f"{model._meta.label}.{field.name}: a value no configured key can read; "
                                "nothing of it was changed (is the old salt still listed?)"
                            ) from None
                        cursor.executemany(f"UPDATE {table} SET {column} = %s WHERE {pk} = %s", rotated)  # noqa: S608
                total += len(rows)
                self.stdout.write(f"{model._meta.label}.{field.name}: {len(rows)} values re-encrypted")
        self.stdout.write(self.style.SUCCESS(f"{total} values re-encrypted with the first key"))


def _text(value: Any) -> str:
    """The raw column as text (PostgreSQL hands jsonb back decoded)."""
    return value if isinstance(value, str) else json.dumps(value)
