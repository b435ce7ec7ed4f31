"""Finding clear personal data where none may be: log lines and every stored text.

- A CIN is one or two capital letters followed by 3 to 6 digits, standing alone as a word.
- A Moroccan phone: E.164 (``+2126…``, ``002126…``) or national (``06…``, ``07…``, ``05…``),
  ten digits with or without spaces, dots or dashes between them.
- An address: one the tests or the seeds write (``KNOWN_ADDRESSES``), or a house number
  followed by a street word (``12 rue …``, ``4 av. …``, ``7 derb …``, ``15 شارع …``).

Hashes are lower-case hex and ciphertexts, keys and signatures are long base64 words, so
none of them matches; a match is personal data that escaped.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import JSON, Engine, LargeBinary, String, Text, type_coerce
from sqlalchemy.types import TypeDecorator, TypeEngine

from qurb.schema import metadata
from tests.support.workers import worker_payload

CIN_SHAPED = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Z]{1,2}[0-9]{3,6}(?![A-Za-z0-9+/=_-])")

_SEP = r"[ .-]?"
PHONE_SHAPED = re.compile(
    r"(?<![A-Za-z0-9+/_])"
    rf"(?:(?:\+|00)212{_SEP}|0)[5-7](?:{_SEP}[0-9]){{8}}"
    r"(?![A-Za-z0-9/_]|[.-]?[0-9])"
)

# Addresses the test payloads, the counter's tests, the demo and the national seed write.
KNOWN_ADDRESSES = (
    worker_payload()["address"],
    "4 av. Hassan II",
    "3 rue Fes",
    "rue des Orangers",
    "avenue Mohammed V",
    "derb Sidi Bouloukat",
    "rue Ibn Battouta",
    "boulevard Zerktouni",
)
_STREET_WORDS = (
    r"rue|avenue|av\.|bd\.?|boulevard|derb|hay|lotissement|lot\.?|r[ée]sidence|impasse"
    r"|zankat|quartier|شارع|زنقة|درب|حي"
)
ADDRESS_SHAPED = re.compile(
    r"(?<![A-Za-z0-9+/_-])[0-9]{1,4}(?:\s*,)?\s+(?:" + _STREET_WORDS + r")(?=\s|$)",
    re.IGNORECASE,
)


def cins_in(text: str) -> list[str]:
    return CIN_SHAPED.findall(text)


def phones_in(text: str) -> list[str]:
    return PHONE_SHAPED.findall(text)


def addresses_in(text: str) -> list[str]:
    known = [a for a in KNOWN_ADDRESSES if a.casefold() in text.casefold()]
    return known + ADDRESS_SHAPED.findall(text)


def personal_data_in(text: str) -> list[str]:
    """Every clear CIN, phone and address in ``text``, each named by its kind."""
    return (
        [f"CIN {m}" for m in cins_in(text)]
        + [f"phone {m}" for m in phones_in(text)]
        + [f"address {m}" for m in addresses_in(text)]
    )


def _stored_as_text(column_type: TypeEngine[Any]) -> TypeEngine[Any] | None:
    """How to read a column's stored value as it is (a sealed column unopened); None for a
    column that cannot hold text."""
    stored = column_type.impl_instance if isinstance(column_type, TypeDecorator) else column_type
    if isinstance(stored, LargeBinary):
        return LargeBinary()
    if isinstance(stored, String | Text | JSON):
        return Text()
    return None


def personal_data_in_database(engine: Engine) -> list[str]:
    """Every clear CIN, phone and address stored in any text or binary column of any table,
    as ``table.column: kind value``. Values are read as stored: a ``Sealed`` column is not
    opened, a JSON column is read as its text."""
    found = []
    with engine.connect() as connection:
        for table in metadata().sorted_tables:
            columns = [
                (column, as_text)
                for column in table.columns
                if (as_text := _stored_as_text(column.type)) is not None
            ]
            if not columns:
                continue
            query = table.select().with_only_columns(
                *(type_coerce(column, as_text).label(column.name) for column, as_text in columns)
            )
            for row in connection.execute(query):
                for (column, _), value in zip(columns, row, strict=True):
                    stored = _text(value)
                    if stored is not None:
                        found += [
                            f"{table.name}.{column.name}: {m}" for m in personal_data_in(stored)
                        ]
    return found


def _text(value: object) -> str | None:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, dict | list):  # a driver that parses JSON itself
        return json.dumps(value, ensure_ascii=False)
    return value if isinstance(value, str) else None


def cins_in_database(engine: Engine) -> list[str]:
    """The scan the integration fixture runs after every test: since phones and addresses
    are sealed at rest, it is every clear CIN, phone and address (the name predates them)."""
    return personal_data_in_database(engine)
