"""JSON kept queryable with its personal values encrypted at rest (the carrier keeps SSNs and dates of
birth as a carrier must: encrypted).

``SealedJSONField``: a JSON column in which the value of every key named in ``sealed`` (at any depth:
a member's ``ssn`` and ``dateOfBirth``, a census's dependents) is replaced by a Fernet token of its JSON
text, with the portal's keys (``SECRET_KEY`` and ``SALT_KEY``, django-fernet-encrypted-fields). The other
keys stay plain, so ``body__writingAgent__npn`` still filters in SQL; values come back with their types.
``reencrypt_pii`` rotates the tokens through :meth:`SealedJSONField.rotate_raw`.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import InvalidToken, MultiFernet
from django.db import models
from encrypted_fields.fields import EncryptedFieldMixin

PERSONAL_KEYS = ("ssn", "dateOfBirth")
_TOKEN_PREFIX = "gAAAAA"  # every Fernet token starts so (version byte 0x80, then the timestamp)


class SealedJSONField(EncryptedFieldMixin, models.JSONField):
    def __init__(self, *args: Any, sealed: tuple[str, ...] = PERSONAL_KEYS, **kwargs: Any) -> None:
        self.sealed = frozenset(sealed)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.sealed != frozenset(PERSONAL_KEYS):
            kwargs["sealed"] = tuple(sorted(self.sealed))
        return name, path, args, kwargs

    def get_internal_type(self) -> str:
        return "JSONField"

    # JSONField's own path to and from the database, around the sealing of the personal values.
    def get_prep_value(self, value: Any) -> Any:
        return models.JSONField.get_prep_value(self, self._walk(value, self._seal))

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:  # noqa: FBT001, FBT002
        return models.JSONField.get_db_prep_value(self, value, connection, prepared)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return self._walk(models.JSONField.from_db_value(self, value, expression, connection), self._unseal)

    def to_python(self, value: Any) -> Any:
        return models.JSONField.to_python(self, value)

    def rotate_raw(self, raw: str, fernet: MultiFernet) -> str:
        """The raw column with every token encrypted again with the first key (InvalidToken if one
        cannot be read)."""

        def rotate(value: Any) -> Any:
            if isinstance(value, str) and value.startswith(_TOKEN_PREFIX):
                return fernet.rotate(value.encode()).decode()
            return value

        return json.dumps(self._walk(json.loads(raw), rotate), cls=self.encoder)

    def _walk(self, value: Any, change) -> Any:
        if isinstance(value, dict):
            return {
                key: change(item) if key in self.sealed else self._walk(item, change)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self._walk(item, change) for item in value]
        return value

    def _seal(self, value: Any) -> Any:
        if value is None or (isinstance(value, str) and value.startswith(_TOKEN_PREFIX)):
            return value  # nothing to hide, or sealed already
        return self.f.encrypt(json.dumps(value).encode()).decode()

    def _unseal(self, value: Any) -> Any:
        if not (isinstance(value, str) and value.startswith(_TOKEN_PREFIX)):
            return value  # written before the column was sealed
        try:
            return json.loads(self.f.decrypt(value.encode()))
        except InvalidToken:
            return value
