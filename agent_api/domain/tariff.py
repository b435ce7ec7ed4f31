"""AMO TNS categories, income brackets and contribution rates, kept as effective-dated data.

A non-salaried worker (TNS) pays the AMO contribution, 6.37 % (décret n° 2-18-623), on a flat
monthly income base ("revenu forfaitaire") that a decree fixes per category and bracket,
usually as a multiple of the minimum wage (SMIG). Rates are data with an ``effective_from``
month so that a new decree is a new row, and past months keep the figure that applied then.

This module is long because it holds the seed table; the rules themselves are a few lines.
Every figure says where it comes from, or says plainly that it is an example assumption to be
replaced by the published decree before production.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

BASIS_POINTS = 10_000
AMO_TNS_RATE_BPS = 637  # 6.37 %, décret n° 2-18-623 (law 98-15)


@dataclass(frozen=True)
class Bracket:
    code: str
    label: str


@dataclass(frozen=True)
class Category:
    code: str
    label_fr: str
    label_ar: str
    document_label: str | None
    document_pattern: str | None  # the professional document number must fully match it
    collected_at_counter: bool  # False: the contribution is paid through another channel
    daily_declaration: bool  # True: contributions follow declared working days
    brackets: tuple[Bracket, ...]

    def has_bracket(self, code: str) -> bool:
        return any(bracket.code == code for bracket in self.brackets)


@dataclass(frozen=True)
class Rate:
    category: str
    bracket: str
    effective_from: date
    base_centimes: int
    rate_bps: int

    def __post_init__(self) -> None:
        if self.base_centimes < 0:
            raise ValueError("base_centimes must not be negative")
        if not 0 <= self.rate_bps <= BASIS_POINTS:
            raise ValueError("rate_bps must be between 0 and 10000")


def monthly_contribution(base_centimes: int, rate_bps: int) -> int:
    """The contribution on ``base_centimes``, rounded half up to the centime."""
    if base_centimes < 0 or rate_bps < 0:
        raise ValueError("a base and a rate are never negative")
    # Integer arithmetic only, so that the CNSS, the office and the worker all get the same
    # centime: (base × bps + 5000) // 10000.
    return (base_centimes * rate_bps + BASIS_POINTS // 2) // BASIS_POINTS


def daily_contribution(
    day_earnings_centimes: int, rate_bps: int, daily_minimum_centimes: int
) -> int:
    """One declared working day: the rate on the day's earnings, never below a day of SMIG."""
    if day_earnings_centimes < 0 or daily_minimum_centimes < 0:
        raise ValueError("earnings and the daily minimum are never negative")
    return monthly_contribution(max(day_earnings_centimes, daily_minimum_centimes), rate_bps)


def rate_for(rates: Sequence[Rate], category: str, bracket: str, month: date) -> Rate:
    """The rate in force for ``month``: the latest ``effective_from`` not after it."""
    candidates = [
        rate
        for rate in rates
        if rate.category == category and rate.bracket == bracket and rate.effective_from <= month
    ]
    if not candidates:
        raise LookupError(f"no rate for {category}/{bracket} in force on {month.isoformat()}")
    latest = max(candidates, key=lambda rate: rate.effective_from)
    if sum(rate.effective_from == latest.effective_from for rate in candidates) > 1:
        # Two rows for the same day would make the amount depend on list order.
        raise LookupError(f"two rates for {category}/{bracket} start on the same day")
    return latest


# --- Minimum wage ----------------------------------------------------------------------------
# Source: décret n° 2-24-1122 (Conseil de gouvernement, 26 December 2024): SMIG of non-agricultural
# activities 17.10 MAD an hour from 1 January 2025 (+5 %, social agreement of 29 April 2024).
# The TNS decrees define the base as "the SMIG multiplied by the normal annual working time"
# (Code du travail art. 184: 2,288 hours); one month is a twelfth of that:
# 17.10 × 2,288 / 12 = 3,260.40 MAD. (The "191 hours" figure, 3,266.10 MAD, is the payroll
# convention for a month; the TNS texts refer to the annual duration.)
SMIG_HOURLY_CENTIMES_2025 = 1_710
ANNUAL_NORMAL_HOURS = 2_288
SMIG_MONTHLY_CENTIMES_2025 = SMIG_HOURLY_CENTIMES_2025 * ANNUAL_NORMAL_HOURS // 12  # 326_040

# Fishing workers declare working days. Assumption: a day of minimum wage is the monthly SMIG
# over 26 working days (the usual Moroccan payroll month), exactly 125.40 MAD.
MAX_CONTRIBUTION_DAYS_PER_MONTH = 26
DAILY_MIN_WAGE_CENTIMES = SMIG_MONTHLY_CENTIMES_2025 // MAX_CONTRIBUTION_DAYS_PER_MONTH  # 12_540

SEED_EFFECTIVE_FROM = date(2025, 1, 1)


def _times_smig(hundredths: int) -> int:
    """``hundredths / 100`` × the 2025 monthly SMIG, rounded half up to the centime."""
    return (SMIG_MONTHLY_CENTIMES_2025 * hundredths + 50) // 100


# --- Categories ------------------------------------------------------------------------------
# Document patterns are deliberately permissive (upper-case letters, digits and a few
# separators) because each issuing body numbers its cards its own way; they still stop a
# name, a phone number or an empty cell landing in the document field.
_CARD = r"[A-Z0-9/-]{4,20}"
_TAX_ID = r"[0-9]{5,10}"  # identifiant fiscal: a number of up to 8 digits in practice
_ORDER = r"[A-Z0-9/-]{3,20}"


def _category(
    code: str,
    label_fr: str,
    label_ar: str,
    *,
    document: tuple[str, str] | None,
    brackets: tuple[tuple[str, str], ...],
    collected_at_counter: bool = True,
    daily_declaration: bool = False,
) -> Category:
    label, pattern = document if document is not None else (None, None)
    return Category(
        code=code,
        label_fr=label_fr,
        label_ar=label_ar,
        document_label=label,
        document_pattern=pattern,
        collected_at_counter=collected_at_counter,
        daily_declaration=daily_declaration,
        brackets=tuple(Bracket(*pair) for pair in brackets),
    )


SEED_CATEGORIES: tuple[Category, ...] = (
    _category(
        "FARMER",
        "Agriculteurs",
        "الفلاحون",
        # Farmers are known from the agricultural registers the liaison bodies send, not by a
        # card they carry, so the counter asks for no document.
        document=None,
        brackets=(("STANDARD", "Exploitant agricole"),),
    ),
    _category(
        "ARTISAN",
        "Artisans (Registre national de l'artisanat)",
        "الصناع التقليديون",
        document=("Carte d'artisan", _CARD),
        brackets=(("REGISTERED", "Artisan inscrit au Registre national de l'artisanat"),),
    ),
    _category(
        "AUTO_ENTREPRENEUR",
        "Auto-entrepreneurs",
        "المقاولون الذاتيون",
        document=("Numéro d'inscription au Registre national de l'auto-entrepreneur", _CARD),
        brackets=(
            ("COMMERCE", "Activités commerciales, industrielles et artisanales"),
            ("SERVICES", "Prestations de services"),
        ),
    ),
    _category(
        "CPU",
        "Contribuables soumis à la contribution professionnelle unique (CPU)",
        "الخاضعون للمساهمة المهنية الموحدة",
        document=("Identifiant fiscal", _TAX_ID),
        brackets=(("STANDARD", "Contribuable CPU"),),
        # The health part is paid with the CPU tax to the DGI, never at the counter.
        collected_at_counter=False,
    ),
    _category(
        "TAXI_DRIVER",
        "Conducteurs de taxi et de transport",
        "سائقو سيارات الأجرة والنقل",
        document=("Permis de confiance (taxi) ou carte professionnelle de conducteur", _CARD),
        brackets=(
            ("PETIT_TAXI", "Conducteur de petit taxi"),
            ("GRAND_TAXI", "Conducteur de grand taxi"),
            ("TRANSPORT", "Autre conducteur professionnel (transport mixte, autocar…)"),
        ),
    ),
    _category(
        "MERCHANT_ACCOUNTS",
        "Commerçants et artisans tenant une comptabilité",
        "التجار والصناع الممسكون لمحاسبة",
        document=("Identifiant fiscal", _TAX_ID),
        brackets=(
            ("RNS", "Régime du résultat net simplifié"),
            ("PROFIT_UP_TO_100K", "Bénéfice net annuel jusqu'à 100 000 MAD"),
            ("PROFIT_OVER_100K", "Bénéfice net annuel supérieur à 100 000 MAD"),
            ("BEFORE_FIRST_DECLARATION", "Avant la première déclaration fiscale"),
            ("NO_DECLARATION", "Déclaration fiscale non déposée"),
        ),
    ),
    _category(
        "MEDICAL",
        "Professions de santé (médecins, pharmaciens, infirmiers…)",
        "مهنيو الصحة",
        document=("Numéro d'inscription à l'Ordre ou autorisation d'exercer", _ORDER),
        brackets=(
            ("GENERAL_PRACTITIONER", "Médecin généraliste"),
            ("SPECIALIST", "Médecin spécialiste"),
            ("DENTIST", "Médecin dentiste"),
            ("PHARMACIST", "Pharmacien"),
            ("PARAMEDICAL", "Infirmier, kinésithérapeute et autre profession paramédicale"),
        ),
    ),
    _category(
        "LEGAL",
        "Professions juridiques (avocats, notaires, adoul, huissiers…)",
        "المهن القانونية والقضائية",
        document=("Numéro d'inscription à l'Ordre ou au tableau", _ORDER),
        brackets=(
            ("LAWYER", "Avocat"),
            ("NOTARY", "Notaire"),
            ("ADOUL", "Adel (adoul)"),
            ("BAILIFF", "Huissier de justice"),
        ),
    ),
    _category(
        "ARTIST",
        "Artistes",
        "الفنانون",
        document=("Carte professionnelle d'artiste", _CARD),
        brackets=(("STANDARD", "Artiste titulaire de la carte professionnelle"),),
    ),
    _category(
        "BOAT_OWNER",
        "Armateurs de barques de pêche artisanale",
        "ملاك قوارب الصيد التقليدي",
        document=("Numéro d'immatriculation de la barque", r"[A-Z0-9/.-]{3,20}"),
        brackets=(("ARTISANAL_BOAT", "Propriétaire de barque de pêche artisanale"),),
    ),
    _category(
        "FISHING_WORKER",
        "Marins pêcheurs, plongeurs et récoltants d'algues",
        "البحارة الصيادون والغطاسون وجامعو الطحالب",
        document=("Livret maritime", _CARD),
        brackets=(
            ("SEAFARER", "Marin pêcheur"),
            ("DIVER", "Plongeur"),
            ("ALGAE_HARVESTER", "Récoltant d'algues"),
        ),
        # Sea workers are paid by the trip: they declare working days, not a monthly base.
        daily_declaration=True,
    ),
)

SEED_CATEGORIES_BY_CODE: Mapping[str, Category] = MappingProxyType(
    {category.code: category for category in SEED_CATEGORIES}
)


def category_by_code(code: str) -> Category:
    """The seed category ``code``; ``KeyError`` when there is none."""
    return SEED_CATEGORIES_BY_CODE[code]


def check_document(category: Category, number: str | None) -> str | None:
    """What is wrong with a professional document number for ``category``, or ``None``."""
    if category.document_pattern is None:
        return None
    label = category.document_label or "the professional document"
    if number is None or not number.strip():
        return f"{label} is required for this category"
    if not re.fullmatch(category.document_pattern, number):
        return f"{label}: the number is not in the expected format"
    return None


# --- Seed bases, as hundredths of the monthly SMIG --------------------------------------------
_SEED_MULTIPLES: tuple[tuple[str, str, int], ...] = (
    ("FARMER", "STANDARD", 100),  # assumption: 1.0 × SMIG
    # Source: decree for artisans outside the tax system (Conseil de gouvernement, 23 December
    # 2021): 0.75 × SMIG, about 135 MAD a month at the 2021 SMIG.
    ("ARTISAN", "REGISTERED", 75),
    # Assumption: 1.0 × SMIG. Auto-entrepreneurs actually pay "droits complémentaires" from a
    # table in the Code général des impôts (art. 73) that depends on the tax they pay.
    ("AUTO_ENTREPRENEUR", "COMMERCE", 100),
    ("AUTO_ENTREPRENEUR", "SERVICES", 100),
    # Assumption: 1.0 × SMIG; not collected at the counter (paid with the CPU).
    ("CPU", "STANDARD", 100),
    ("TAXI_DRIVER", "PETIT_TAXI", 100),  # assumption: 1.0 × SMIG
    ("TAXI_DRIVER", "GRAND_TAXI", 100),  # assumption: 1.0 × SMIG
    ("TAXI_DRIVER", "TRANSPORT", 100),  # assumption: 1.0 × SMIG
    # Source: décret n° 2-21-751 (adopted November 2021, press reports): 1 × SMIG under the
    # simplified net result, 3.2 × with a net annual profit up to 100,000 MAD, 6 × above it;
    # décret n° 2-22-338 (26 May 2022): 3.2 × until the first tax declaration, 6 × when none
    # is filed.
    ("MERCHANT_ACCOUNTS", "RNS", 100),
    ("MERCHANT_ACCOUNTS", "PROFIT_UP_TO_100K", 320),
    ("MERCHANT_ACCOUNTS", "PROFIT_OVER_100K", 600),
    ("MERCHANT_ACCOUNTS", "BEFORE_FIRST_DECLARATION", 320),
    ("MERCHANT_ACCOUNTS", "NO_DECLARATION", 600),
    # Assumptions: the doctors' decree separates generalists and specialists, but its figures
    # are not in this repository; these multiples are examples only.
    ("MEDICAL", "GENERAL_PRACTITIONER", 200),
    ("MEDICAL", "SPECIALIST", 300),
    ("MEDICAL", "DENTIST", 250),
    ("MEDICAL", "PHARMACIST", 200),
    ("MEDICAL", "PARAMEDICAL", 100),
    # Assumptions: examples only (the adoul have their own decree, 5 September 2019).
    ("LEGAL", "LAWYER", 200),
    ("LEGAL", "NOTARY", 300),
    ("LEGAL", "ADOUL", 100),
    ("LEGAL", "BAILIFF", 150),
    ("ARTIST", "STANDARD", 100),  # assumption: 1.0 × SMIG
    # Source: decree for artisanal fishing boat owners (Conseil de gouvernement, 26 May 2022):
    # 0.75 × SMIG.
    ("BOAT_OWNER", "ARTISANAL_BOAT", 75),
    # Fishing workers pay per declared day (daily_contribution); the monthly base shown here is
    # 26 days of DAILY_MIN_WAGE_CENTIMES, i.e. 1.0 × SMIG (assumption).
    ("FISHING_WORKER", "SEAFARER", 100),
    ("FISHING_WORKER", "DIVER", 100),
    ("FISHING_WORKER", "ALGAE_HARVESTER", 100),
)

SEED_RATES: tuple[Rate, ...] = tuple(
    Rate(category, bracket, SEED_EFFECTIVE_FROM, _times_smig(hundredths), AMO_TNS_RATE_BPS)
    for category, bracket, hundredths in _SEED_MULTIPLES
)


@dataclass(frozen=True)
class Waiver:
    """An amnesty: no late surcharge is charged, on the days it covers, to the categories it
    names."""

    starts_on: date
    ends_on: date
    categories: frozenset[str]  # empty: every category

    def covers(self, category: str, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on and (
            not self.categories or category in self.categories
        )


@dataclass(frozen=True)
class TariffSnapshot:
    """The whole tariff as of one version of its tables (``persistence.tariff``): the rates,
    which categories pay flat dues at the counter or declare days, and the amnesties."""

    version: tuple[int, int, int]
    rates: tuple[Rate, ...]
    counter_categories: frozenset[str]  # flat monthly dues collected at the counter
    daily_categories: frozenset[str]  # fishing: dues come from declared days
    waivers: tuple[Waiver, ...]

    def rates_for(self, categories: set[str]) -> list[Rate]:
        return [r for r in self.rates if r.category in categories]

    def waived(self, category: str, day: date) -> bool:
        return any(w.covers(category, day) for w in self.waivers)
