"""Finding clear CINs where none may be: log lines and every text column of the database.

A CIN is one or two capital letters followed by 3 to 6 digits, standing alone as a word.
Hashes are lower-case hex and ciphertexts, keys and signatures are long base64 words, so
none of them matches; a match is a CIN that escaped.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, String, Text

from qurb.schema import metadata

CIN_SHAPED = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Z]{1,2}[0-9]{3,6}(?![A-Za-z0-9+/=_-])")


def cins_in(text: str) -> list[str]:
    return CIN_SHAPED.findall(text)


def cins_in_database(engine: Engine) -> list[str]:
    """Every CIN-shaped value in any text column, as ``table.column: value``."""
    found = []
    with engine.connect() as connection:
        for table in metadata().sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text)]
            if not columns:
                continue
            for row in connection.execute(table.select().with_only_columns(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, str):
                        found += [f"{table.name}.{column.name}: {m}" for m in cins_in(value)]
    return found
