"""enrollment: workers, dependents, tariff, liaison lists, receipts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The seed tariff as of this revision (docs/enrollment.md gives the source or the
# assumption behind each figure). Frozen here: a later change is a new migration.
SEED_CATEGORIES = [
    ("FARMER", "Agriculteurs", "الفلاحون", None, None, True, False),
    (
        "ARTISAN",
        "Artisans (Registre national de l'artisanat)",
        "الصناع التقليديون",
        "Carte d'artisan",
        "[A-Z0-9/-]{4,20}",
        True,
        False,
    ),
    (
        "AUTO_ENTREPRENEUR",
        "Auto-entrepreneurs",
        "المقاولون الذاتيون",
        "Numéro d'inscription au Registre national de l'auto-entrepreneur",
        "[A-Z0-9/-]{4,20}",
        True,
        False,
    ),
    (
        "CPU",
        "Contribuables soumis à la contribution professionnelle unique (CPU)",
        "الخاضعون للمساهمة المهنية الموحدة",
        "Identifiant fiscal",
        "[0-9]{5,10}",
        False,
        False,
    ),
    (
        "TAXI_DRIVER",
        "Conducteurs de taxi et de transport",
        "سائقو سيارات الأجرة والنقل",
        "Permis de confiance (taxi) ou carte professionnelle de conducteur",
        "[A-Z0-9/-]{4,20}",
        True,
        False,
    ),
    (
        "MERCHANT_ACCOUNTS",
        "Commerçants et artisans tenant une comptabilité",
        "التجار والصناع الممسكون لمحاسبة",
        "Identifiant fiscal",
        "[0-9]{5,10}",
        True,
        False,
    ),
    (
        "MEDICAL",
        "Professions de santé (médecins, pharmaciens, infirmiers…)",
        "مهنيو الصحة",
        "Numéro d'inscription à l'Ordre ou autorisation d'exercer",
        "[A-Z0-9/-]{3,20}",
        True,
        False,
    ),
    (
        "LEGAL",
        "Professions juridiques (avocats, notaires, adoul, huissiers…)",
        "المهن القانونية والقضائية",
        "Numéro d'inscription à l'Ordre ou au tableau",
        "[A-Z0-9/-]{3,20}",
        True,
        False,
    ),
    (
        "ARTIST",
        "Artistes",
        "الفنانون",
        "Carte professionnelle d'artiste",
        "[A-Z0-9/-]{4,20}",
        True,
        False,
    ),
    (
        "BOAT_OWNER",
        "Armateurs de barques de pêche artisanale",
        "ملاك قوارب الصيد التقليدي",
        "Numéro d'immatriculation de la barque",
        "[A-Z0-9/.-]{3,20}",
        True,
        False,
    ),
    (
        "FISHING_WORKER",
        "Marins pêcheurs, plongeurs et récoltants d'algues",
        "البحارة الصيادون والغطاسون وجامعو الطحالب",
        "Livret maritime",
        "[A-Z0-9/-]{4,20}",
        True,
        True,
    ),
]
SEED_BRACKETS = [
    ("FARMER", "STANDARD", "Exploitant agricole"),
    ("ARTISAN", "REGISTERED", "Artisan inscrit au Registre national de l'artisanat"),
    ("AUTO_ENTREPRENEUR", "COMMERCE", "Activités commerciales, industrielles et artisanales"),
    ("AUTO_ENTREPRENEUR", "SERVICES", "Prestations de services"),
    ("CPU", "STANDARD", "Contribuable CPU"),
    ("TAXI_DRIVER", "PETIT_TAXI", "Conducteur de petit taxi"),
    ("TAXI_DRIVER", "GRAND_TAXI", "Conducteur de grand taxi"),
    ("TAXI_DRIVER", "TRANSPORT", "Autre conducteur professionnel (transport mixte, autocar…)"),
    ("MERCHANT_ACCOUNTS", "RNS", "Régime du résultat net simplifié"),
    ("MERCHANT_ACCOUNTS", "PROFIT_UP_TO_100K", "Bénéfice net annuel jusqu'à 100 000 MAD"),
    ("MERCHANT_ACCOUNTS", "PROFIT_OVER_100K", "Bénéfice net annuel supérieur à 100 000 MAD"),
    ("MERCHANT_ACCOUNTS", "BEFORE_FIRST_DECLARATION", "Avant la première déclaration fiscale"),
    ("MERCHANT_ACCOUNTS", "NO_DECLARATION", "Déclaration fiscale non déposée"),
    ("MEDICAL", "GENERAL_PRACTITIONER", "Médecin généraliste"),
    ("MEDICAL", "SPECIALIST", "Médecin spécialiste"),
    ("MEDICAL", "DENTIST", "Médecin dentiste"),
    ("MEDICAL", "PHARMACIST", "Pharmacien"),
    ("MEDICAL", "PARAMEDICAL", "Infirmier, kinésithérapeute et autre profession paramédicale"),
    ("LEGAL", "LAWYER", "Avocat"),
    ("LEGAL", "NOTARY", "Notaire"),
    ("LEGAL", "ADOUL", "Adel (adoul)"),
    ("LEGAL", "BAILIFF", "Huissier de justice"),
    ("ARTIST", "STANDARD", "Artiste titulaire de la carte professionnelle"),
    ("BOAT_OWNER", "ARTISANAL_BOAT", "Propriétaire de barque de pêche artisanale"),
    ("FISHING_WORKER", "SEAFARER", "Marin pêcheur"),
    ("FISHING_WORKER", "DIVER", "Plongeur"),
    ("FISHING_WORKER", "ALGAE_HARVESTER", "Récoltant d'algues"),
]
# Rows: category, bracket, effective_from, base_centimes, rate_bps.
SEED_RATES = [
    ("FARMER", "STANDARD", "2025-01-01", 326040, 637),
    ("ARTISAN", "REGISTERED", "2025-01-01", 244530, 637),
    ("AUTO_ENTREPRENEUR", "COMMERCE", "2025-01-01", 326040, 637),
    ("AUTO_ENTREPRENEUR", "SERVICES", "2025-01-01", 326040, 637),
    ("CPU", "STANDARD", "2025-01-01", 326040, 637),
    ("TAXI_DRIVER", "PETIT_TAXI", "2025-01-01", 326040, 637),
    ("TAXI_DRIVER", "GRAND_TAXI", "2025-01-01", 326040, 637),
    ("TAXI_DRIVER", "TRANSPORT", "2025-01-01", 326040, 637),
    ("MERCHANT_ACCOUNTS", "RNS", "2025-01-01", 326040, 637),
    ("MERCHANT_ACCOUNTS", "PROFIT_UP_TO_100K", "2025-01-01", 1043328, 637),
    ("MERCHANT_ACCOUNTS", "PROFIT_OVER_100K", "2025-01-01", 1956240, 637),
    ("MERCHANT_ACCOUNTS", "BEFORE_FIRST_DECLARATION", "2025-01-01", 1043328, 637),
    ("MERCHANT_ACCOUNTS", "NO_DECLARATION", "2025-01-01", 1956240, 637),
    ("MEDICAL", "GENERAL_PRACTITIONER", "2025-01-01", 652080, 637),
    ("MEDICAL", "SPECIALIST", "2025-01-01", 978120, 637),
    ("MEDICAL", "DENTIST", "2025-01-01", 815100, 637),
    ("MEDICAL", "PHARMACIST", "2025-01-01", 652080, 637),
    ("MEDICAL", "PARAMEDICAL", "2025-01-01", 326040, 637),
    ("LEGAL", "LAWYER", "2025-01-01", 652080, 637),
    ("LEGAL", "NOTARY", "2025-01-01", 978120, 637),
    ("LEGAL", "ADOUL", "2025-01-01", 326040, 637),
    ("LEGAL", "BAILIFF", "2025-01-01", 489060, 637),
    ("ARTIST", "STANDARD", "2025-01-01", 326040, 637),
    ("BOAT_OWNER", "ARTISANAL_BOAT", "2025-01-01", 244530, 637),
    ("FISHING_WORKER", "SEAFARER", "2025-01-01", 326040, 637),
    ("FISHING_WORKER", "DIVER", "2025-01-01", 326040, 637),
    ("FISHING_WORKER", "ALGAE_HARVESTER", "2025-01-01", 326040, 637),
]


def upgrade() -> None:
    op.create_table(
        "categories",
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("label_fr", sa.String(length=120), nullable=False),
        sa.Column("label_ar", sa.String(length=120), nullable=False),
        sa.Column("document_label", sa.String(length=80), nullable=True),
        sa.Column("document_pattern", sa.String(length=120), nullable=True),
        sa.Column("collected_at_counter", sa.Boolean(), nullable=False),
        sa.Column("daily_declaration", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_categories")),
    )
    op.create_table(
        "category_brackets",
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["category"], ["categories.code"], name=op.f("fk_category_brackets_category_categories")
        ),
        sa.PrimaryKeyConstraint("category", "code", name=op.f("pk_category_brackets")),
    )
    op.create_table(
        "tariff_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("bracket", sa.String(length=24), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("base_centimes", sa.BigInteger(), nullable=False),
        sa.Column("rate_bps", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.CheckConstraint("base_centimes > 0", name=op.f("ck_tariff_rates_base_positive")),
        sa.CheckConstraint(
            "rate_bps > 0 AND rate_bps <= 10000", name=op.f("ck_tariff_rates_rate_range")
        ),
        sa.ForeignKeyConstraint(
            ["category", "bracket"],
            ["category_brackets.category", "category_brackets.code"],
            name=op.f("fk_tariff_rates_category_category_brackets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariff_rates")),
        sa.UniqueConstraint(
            "category",
            "bracket",
            "effective_from",
            name=op.f("uq_tariff_rates_category_bracket_effective_from"),
        ),
    )
    op.create_table(
        "workers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_number", sa.String(length=10), nullable=True),
        sa.Column("cin_index", sa.String(length=64), nullable=False),
        sa.Column("cin_ciphertext", sa.Text(), nullable=False),
        sa.Column("cin_key_id", sa.String(length=16), nullable=False),
        sa.Column("last_name", sa.String(length=60), nullable=False),
        sa.Column("first_name", sa.String(length=60), nullable=False),
        sa.Column("last_name_ar", sa.String(length=60), nullable=True),
        sa.Column("first_name_ar", sa.String(length=60), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("phone", sa.String(length=13), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=60), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("bracket", sa.String(length=24), nullable=False),
        sa.Column("document_number", sa.String(length=40), nullable=True),
        sa.Column("coverage_start", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("terminal_id", sa.Integer(), nullable=False),
        sa.Column("enrolled_by", sa.Integer(), nullable=False),
        sa.CheckConstraint("sex IN ('F', 'M')", name=op.f("ck_workers_sex")),
        sa.CheckConstraint(
            "status IN ('active', 'suspended', 'closed')", name=op.f("ck_workers_status")
        ),
        sa.ForeignKeyConstraint(
            ["category", "bracket"],
            ["category_brackets.category", "category_brackets.code"],
            name=op.f("fk_workers_category_category_brackets"),
        ),
        sa.ForeignKeyConstraint(
            ["enrolled_by"], ["users.id"], name=op.f("fk_workers_enrolled_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_workers_office_id_offices")
        ),
        sa.ForeignKeyConstraint(
            ["terminal_id"], ["terminals.id"], name=op.f("fk_workers_terminal_id_terminals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workers")),
        sa.UniqueConstraint("cin_index", name=op.f("uq_workers_cin_index")),
        sa.UniqueConstraint("registration_number", name=op.f("uq_workers_registration_number")),
    )
    op.create_table(
        "liaison_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cin_index", sa.String(length=64), nullable=False),
        sa.Column("cin_ciphertext", sa.Text(), nullable=False),
        sa.Column("cin_key_id", sa.String(length=16), nullable=False),
        sa.Column("last_name", sa.String(length=60), nullable=False),
        sa.Column("first_name", sa.String(length=60), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("bracket", sa.String(length=24), nullable=True),
        sa.Column("document_number", sa.String(length=40), nullable=True),
        sa.Column("phone", sa.String(length=13), nullable=True),
        sa.Column("city", sa.String(length=60), nullable=True),
        sa.Column("source", sa.String(length=120), nullable=True),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["category"], ["categories.code"], name=op.f("fk_liaison_entries_category_categories")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_liaison_entries_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_liaison_entries")),
        sa.UniqueConstraint("cin_index", name=op.f("uq_liaison_entries_cin_index")),
    )
    op.create_table(
        "receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("terminal_id", sa.Integer(), nullable=False),
        sa.Column("amount_centimes", sa.BigInteger(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("jws", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('enrollment', 'collection', 'reversal', 'certificate')",
            name=op.f("ck_receipts_kind"),
        ),
        sa.CheckConstraint(
            "amount_centimes IS NULL OR amount_centimes > 0",
            name=op.f("ck_receipts_amount_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["networks.id"], name=op.f("fk_receipts_network_id_networks")
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_receipts_office_id_offices")
        ),
        sa.ForeignKeyConstraint(
            ["terminal_id"], ["terminals.id"], name=op.f("fk_receipts_terminal_id_terminals")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_receipts_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipts")),
        sa.UniqueConstraint("number", name=op.f("uq_receipts_number")),
    )
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_receipts_office_id"), ["office_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_receipts_worker_id"), ["worker_id"], unique=False)

    op.create_table(
        "worker_amendments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("terminal_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_worker_amendments_office_id_offices")
        ),
        sa.ForeignKeyConstraint(
            ["terminal_id"],
            ["terminals.id"],
            name=op.f("fk_worker_amendments_terminal_id_terminals"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_worker_amendments_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_worker_amendments_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker_amendments")),
    )
    with op.batch_alter_table("worker_amendments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_worker_amendments_worker_id"), ["worker_id"], unique=False
        )

    op.create_table(
        "worker_category_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("bracket", sa.String(length=24), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category", "bracket"],
            ["category_brackets.category", "category_brackets.code"],
            name=op.f("fk_worker_category_periods_category_category_brackets"),
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_worker_category_periods_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker_category_periods")),
        sa.UniqueConstraint(
            "worker_id",
            "effective_from",
            name=op.f("uq_worker_category_periods_worker_id_effective_from"),
        ),
    )
    op.create_table(
        "worker_dependents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=8), nullable=False),
        sa.Column("cin_index", sa.String(length=64), nullable=True),
        sa.Column("cin_ciphertext", sa.Text(), nullable=True),
        sa.Column("cin_key_id", sa.String(length=16), nullable=True),
        sa.Column("last_name", sa.String(length=60), nullable=False),
        sa.Column("first_name", sa.String(length=60), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("student", sa.Boolean(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "relation IN ('spouse', 'child')", name=op.f("ck_worker_dependents_relation")
        ),
        sa.CheckConstraint("sex IN ('F', 'M')", name=op.f("ck_worker_dependents_sex")),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_worker_dependents_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker_dependents")),
    )
    with op.batch_alter_table("worker_dependents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_worker_dependents_worker_id"), ["worker_id"], unique=False
        )
        batch_op.create_index(
            "uq_worker_dependents_cin_relation_current",
            ["cin_index", "relation"],
            unique=True,
            sqlite_where=sa.text("removed_at IS NULL AND cin_index IS NOT NULL"),
            postgresql_where=sa.text("removed_at IS NULL AND cin_index IS NOT NULL"),
        )

    categories = sa.table(
        "categories",
        sa.column("code", sa.String),
        sa.column("label_fr", sa.String),
        sa.column("label_ar", sa.String),
        sa.column("document_label", sa.String),
        sa.column("document_pattern", sa.String),
        sa.column("collected_at_counter", sa.Boolean),
        sa.column("daily_declaration", sa.Boolean),
    )
    brackets = sa.table(
        "category_brackets",
        sa.column("category", sa.String),
        sa.column("code", sa.String),
        sa.column("label", sa.String),
    )
    rates = sa.table(
        "tariff_rates",
        sa.column("category", sa.String),
        sa.column("bracket", sa.String),
        sa.column("effective_from", sa.Date),
        sa.column("base_centimes", sa.BigInteger),
        sa.column("rate_bps", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("created_by", sa.String),
    )
    op.bulk_insert(
        categories,
        [
            dict(
                zip(
                    (
                        "code",
                        "label_fr",
                        "label_ar",
                        "document_label",
                        "document_pattern",
                        "collected_at_counter",
                        "daily_declaration",
                    ),
                    row,
                    strict=True,
                )
            )
            for row in SEED_CATEGORIES
        ],
    )
    op.bulk_insert(
        brackets, [{"category": c, "code": b, "label": label} for c, b, label in SEED_BRACKETS]
    )
    seeded_at = datetime(2025, 1, 1, tzinfo=UTC)
    op.bulk_insert(
        rates,
        [
            {
                "category": c,
                "bracket": b,
                "effective_from": date.fromisoformat(f),
                "base_centimes": base,
                "rate_bps": bps,
                "created_at": seeded_at,
                "created_by": "migration 0003",
            }
            for c, b, f, base, bps in SEED_RATES
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("worker_dependents", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_worker_dependents_cin_relation_current",
            sqlite_where=sa.text("removed_at IS NULL AND cin_index IS NOT NULL"),
            postgresql_where=sa.text("removed_at IS NULL AND cin_index IS NOT NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_worker_dependents_worker_id"))

    op.drop_table("worker_dependents")
    op.drop_table("worker_category_periods")
    with op.batch_alter_table("worker_amendments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_worker_amendments_worker_id"))

    op.drop_table("worker_amendments")
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipts_worker_id"))
        batch_op.drop_index(batch_op.f("ix_receipts_office_id"))

    op.drop_table("receipts")
    op.drop_table("liaison_entries")
    op.drop_table("workers")
    op.drop_table("tariff_rates")
    op.drop_table("category_brackets")
    op.drop_table("categories")
