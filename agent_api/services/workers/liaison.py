"""Loading the liaison bodies' lists of people CNSS expects to register.

Bad lines are reported with their line number and skipped; good lines are loaded in one
transaction. An entry is keyed by the CIN's blind index, so loading the same file twice
(or a person listed by two bodies) changes nothing the second time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from agent_api.clock import Clock
from agent_api.domain import tariff as domain_tariff
from agent_api.domain.liaison import LineError, parse_liaison_csv
from agent_api.errors import ValidationFailed
from agent_api.persistence.tables import Category, CategoryBracket, LiaisonEntry, Worker
from agent_api.persistence.unit_of_work import UnitOfWorkFactory
from agent_api.services.workers.identity import CinVault


@dataclass
class ImportReport:
    loaded: int = 0
    already_listed: int = 0
    already_enrolled: int = 0
    errors: list[LineError] = field(default_factory=list)


class LiaisonService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, vault: CinVault) -> None:
        self._uow = uow
        self._clock = clock
        self._vault = vault

    def import_csv(self, content: bytes) -> ImportReport:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationFailed("the file is not UTF-8 text", field="file") from None
        digest = hashlib.sha256(content).hexdigest()
        now = self._clock()
        report = ImportReport()
        with self._uow() as uow:
            categories = _domain_categories(
                uow.session.exec(select(Category)).all(),
                uow.session.exec(select(CategoryBracket)).all(),
            )
            try:
                rows, report.errors = parse_liaison_csv(text, known_categories=categories)
            except ValueError as exc:
                raise ValidationFailed(f"file: {exc}", field="file") from None
            for row in rows:
                index = self._vault.index(row.cin)
                if uow.session.exec(select(Worker.id).where(Worker.cin_index == index)).first():
                    report.already_enrolled += 1
                    continue
                key_id, sealed = self._vault.seal(row.cin)
                entry = LiaisonEntry(
                    cin_index=index,
                    cin_ciphertext=sealed,
                    cin_key_id=key_id,
                    last_name=row.last_name,
                    first_name=row.first_name,
                    birth_date=row.birth_date,
                    category=row.category,
                    bracket=row.bracket,
                    document_number=row.document_number,
                    phone=row.phone,
                    city=row.city,
                    source=row.source,
                    file_sha256=digest,
                    line_number=row.line,
                    imported_at=now,
                    worker_id=None,
                )
                try:
                    with uow.session.begin_nested():
                        uow.session.add(entry)
                        uow.session.flush()
                except IntegrityError:
                    report.already_listed += 1
                    continue
                report.loaded += 1
            uow.commit()
        return report


def _domain_categories(
    categories: Sequence[Category], brackets: Sequence[CategoryBracket]
) -> dict[str, domain_tariff.Category]:
    result = {}
    for c in categories:
        own = tuple(
            domain_tariff.Bracket(b.code, b.label) for b in brackets if b.category == c.code
        )
        result[c.code] = domain_tariff.Category(
            code=c.code,
            label_fr=c.label_fr,
            label_ar=c.label_ar,
            document_label=c.document_label,
            document_pattern=c.document_pattern,
            collected_at_counter=c.collected_at_counter,
            daily_declaration=c.daily_declaration,
            brackets=own,
        )
    return result
