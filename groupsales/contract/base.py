"""The pieces every body of api.md is made of: camelCase models, money, member references.

Money is a ``Decimal``, written as a string with two decimals. Read from Python (what the portal builds, a
decoded answer) it may be an ``int``, a ``Decimal`` or a string with at most two decimals; read from JSON
as the carrier reads a request (``wire``), only api.md's form is taken: a string with two decimals.
A float is never money. A ``Timestamp`` is a ``datetime``; read from JSON it must be written as one
(pydantic alone would also take a number of seconds in a string, ``"60.00"``).
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    model_serializer,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from groupsales.codes import MEMBER_REF_PATTERN

CENT = Decimal("0.01")
MONEY_PATTERN = r"^-?\d+\.\d{2}$"
_WIRE_MONEY = re.compile(MONEY_PATTERN)
_MONEY_TEXT = re.compile(r"^-?\d+(\.\d{1,2})?$")
#: The error type of a value that is not money (``wire`` words it as api.md does).
MONEY_ERROR = "money"


def _not_money(value: Any) -> PydanticCustomError:
    return PydanticCustomError(
        MONEY_ERROR, "{value} is not an amount with two decimals", {"value": repr(value)}
    )


def _to_money(value: Any, info: ValidationInfo) -> Decimal:
    if isinstance(value, bool | float):
        raise _not_money(value)
    if info.mode == "json":  # the carrier reading a request: api.md's form only
        if isinstance(value, str) and _WIRE_MONEY.match(value):
            return Decimal(value)
        raise _not_money(value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str) and _MONEY_TEXT.match(value.strip()):
        return Decimal(value.strip())
    if isinstance(value, Decimal):
        try:
            if value.is_finite() and value == value.quantize(CENT):
                return value
        except InvalidOperation:
            pass
    raise _not_money(value)


def _money_text(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


Money = Annotated[
    Decimal,
    BeforeValidator(_to_money),
    PlainSerializer(_money_text, return_type=str),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN}),
]
_DATE_TIME_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]")
_DATETIME = TypeAdapter(datetime)


def _to_timestamp(value: Any, info: ValidationInfo) -> Any:
    if info.mode != "json" or not isinstance(value, str):
        return value
    try:
        if _DATE_TIME_TEXT.match(value):
            return _DATETIME.validate_python(value)
    except ValidationError:
        pass
    raise PydanticCustomError("datetime_parsing", "{value} is not a date and time", {"value": repr(value)})


Timestamp = Annotated[datetime, BeforeValidator(_to_timestamp)]
MemberRef = Annotated[str, Field(pattern=MEMBER_REF_PATTERN)]
#: api.md: every POST carries an ``Idempotency-Key`` of 1 to 64 characters.
IdempotencyKey = Annotated[str, Field(min_length=1, max_length=64)]


class ApiModel(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown keys ignored (api.md: "Unknown fields")."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    # Optional keys left out of the body when None (instead of sent as null).
    omit_when_none: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _leave_out_nones(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
        data = handler(self)
        if self.omit_when_none and isinstance(data, dict):
            for name in self.omit_when_none:
                key = to_camel(name) if info.by_alias else name
                if key in data and data[key] is None:
                    del data[key]
        return data
