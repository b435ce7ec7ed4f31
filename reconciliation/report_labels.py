"""Every word the reconciliation report and the settlement statement show a person, in French
(the default, as CNSS finance works) and in Arabic.

One dictionary per language, with the same keys (a test holds it); ``{name}`` placeholders
are filled by ``text``. Outcome, status and reason labels are keyed by the codes the JSON and
CSV carry (``ledger.missing_in_hub``, ``bank.short``, ``status.open``, ``reason.other``), so
the page and the data name the same thing. One word per idea, everywhere: a hub line is
"hub", CNSS's file is "grand livre", the money that arrived is "reçu".
"""

from __future__ import annotations

from typing import Final

LANGUAGES: Final = ("fr", "ar")
DEFAULT_LANGUAGE: Final = "fr"

FR: Final[dict[str, str]] = {
    "report.title": "Rapprochement du {day} — {scope} — version {version}",
    "report.scope_all": "tous les réseaux",
    "report.scope_network": "réseau {network}",
    "report.superseded": "Une version plus récente de cette journée existe : ce rapport est "
    "en lecture seule.",
    "report.reconciled": "Rapproché le {date} à {time} (heure de Casablanca) par {by}.",
    "report.sign": "Convention de signe : écart = montant constaté − montant attendu. Pour le "
    "grand livre, grand livre − hub ; pour la banque, reçu − net dû. Un écart négatif : il "
    "manque de l'argent ; un écart positif : il y en a trop.",
    "report.amounts": "Montants en dirhams (MAD). Le hub est ce que les agences ont encaissé "
    "dans Qurb ; le grand livre, ce que la CNSS a comptabilisé ; le net dû, ce que le réseau "
    "doit virer (brut − annulé − commission).",
    "section.balance": "Synthèse par réseau",
    "section.settlements": "Règlements",
    "section.ledger": "Lignes du grand livre CNSS",
    "section.bank": "Virements bancaires",
    "section.ledger_exceptions": "Écarts du grand livre à traiter ({count})",
    "section.bank_exceptions": "Écarts bancaires à traiter ({count})",
    "section.offices": "Par agence",
    "section.signature": "Signature",
    "none": "Aucun.",
    "unknown": "(inconnu)",
    "total": "Total général",
    "col.network": "Réseau",
    "col.reference": "Référence de règlement",
    "col.collections": "Encaissements",
    "col.gross": "Brut",
    "col.reversals": "Annulations",
    "col.reversed": "Montant annulé",
    "col.commission": "Commission",
    "col.net_due": "Net dû",
    "col.hub": "Hub",
    "col.ledger": "Grand livre",
    "col.ledger_minus_hub": "Écart (grand livre − hub)",
    "col.received": "Reçu",
    "col.received_minus_net_due": "Écart (reçu − net dû)",
    "col.open": "Écarts ouverts",
    "col.outcome": "Résultat",
    "col.findings": "Constats",
    "col.id": "N°",
    "col.kind": "Type d'écart",
    "col.status": "Statut",
    "col.registration_number": "N° d'immatriculation",
    "col.office": "Agence",
    "col.value_date": "Date de valeur",
    "col.hub_receipt": "Reçu Qurb (hub)",
    "col.quoted_reference": "Référence citée par la CNSS",
    "col.ledger_line": "Fichier du grand livre : ligne (écriture)",
    "col.bank_entry": "Opération bancaire (référence, date comptable)",
    "col.reason": "Motif",
    "col.office_net": "Net",
    "line": "ligne {line}",
    "booked_on": "comptabilisée le {date}",
    "worked": "{status} le {date} à {time} par {by}",
    "ledger.matched": "rapproché",
    "ledger.cross_day": "comptabilisé un autre jour",
    "ledger.missing_in_ledger": "absent du grand livre",
    "ledger.missing_in_hub": "absent du hub",
    "ledger.amount_mismatch": "montant différent",
    "ledger.duplicate": "doublon",
    "bank.exact": "reçu exact",
    "bank.short": "reçu en moins",
    "bank.over": "reçu en trop",
    "bank.missing": "non reçu",
    "bank.unexpected": "virement inattendu",
    "status.open": "ouvert",
    "status.resolved": "résolu",
    "status.written_off": "passé en perte",
    "reason.cnss_booking_corrected": "la CNSS a corrigé son écriture",
    "reason.booked_on_another_day": "l'écriture a été passée à une autre date de valeur",
    "reason.network_transfer_completed": "le réseau a viré le montant manquant",
    "reason.network_refund": "l'excédent a été remboursé au réseau",
    "reason.bank_delay": "le virement est arrivé en retard",
    "reason.duplicate_reversed": "la CNSS a annulé l'écriture en double",
    "reason.hub_record_confirmed": "l'enregistrement du hub a été confirmé avec l'agence",
    "reason.immaterial_amount": "l'écart est sous le seuil de matérialité",
    "reason.unrecoverable": "l'argent ne sera pas recouvré",
    "reason.other": "autre (voir le commentaire)",
    "statement.title": "Relevé de règlement {reference}",
    "statement.intro": "Réseau {name} ({code}), journée du {day}. Citez la référence "
    "{reference} sur le virement.",
    "statement.rule": "Règle de commission : {fixed} centimes par encaissement et {bps} points "
    "de base, arrondie encaissement par encaissement : fixe + (montant × points + 5000) // "
    "10000, sur chaque encaissement non annulé.",
    "statement.late": "Encaissements tardifs inclus : {count}.",
    "statement.net_due": "Net dû à la CNSS",
    "section.file_fees": "Dossiers de remboursement traités",
    "col.files_handled": "Dossiers traités",
    "col.file_fee": "Frais par dossier",
    "statement.file_fees_due": "Dû au réseau",
    "statement.file_fees": "Dossiers AMO déposés ce jour et non annulés × frais par dossier en "
    "vigueur ce jour : la CNSS doit ce montant au réseau, à part du net ci-dessus.",
    "statement.digest": "Empreinte des encaissements (SHA-256) :",
    "statement.settled": "Réglé le {date} à {time} (heure de Casablanca).",
    "statement.jws": "JWS compact (EdDSA), vérifiable avec les clés publiées à {keys} :",
}

AR: Final[dict[str, str]] = {
    "report.title": "تسوية يوم {day} — {scope} — النسخة {version}",
    "report.scope_all": "جميع الشبكات",
    "report.scope_network": "شبكة {network}",
    "report.superseded": "توجد نسخة أحدث لهذا اليوم: هذا التقرير للاطلاع فقط.",
    "report.reconciled": "تمت التسوية يوم {date} على الساعة {time} (بتوقيت الدار البيضاء) "
    "من طرف {by}.",
    "report.sign": "اصطلاح الإشارة: الفرق = المبلغ المسجل − المبلغ المنتظر. بالنسبة لدفتر "
    "الأستاذ: دفتر الأستاذ − المنصة؛ وبالنسبة للبنك: المستلم − الصافي المستحق. فرق سالب: "
    "ينقص مال؛ فرق موجب: يوجد مال زائد.",
    "report.amounts": "المبالغ بالدرهم (MAD). المنصة هي ما حصلته الوكالات في Qurb؛ دفتر "
    "الأستاذ هو ما قيده الصندوق؛ الصافي المستحق هو ما يجب على الشبكة تحويله (الإجمالي − "
    "الملغى − العمولة).",
    "section.balance": "الخلاصة حسب الشبكة",
    "section.settlements": "التسويات",
    "section.ledger": "قيود دفتر الأستاذ للصندوق",
    "section.bank": "التحويلات البنكية",
    "section.ledger_exceptions": "فوارق دفتر الأستاذ للمعالجة ({count})",
    "section.bank_exceptions": "الفوارق البنكية للمعالجة ({count})",
    "section.offices": "حسب الوكالة",
    "section.signature": "التوقيع",
    "none": "لا شيء.",
    "unknown": "(غير معروف)",
    "total": "المجموع العام",
    "col.network": "الشبكة",
    "col.reference": "مرجع التسوية",
    "col.collections": "التحصيلات",
    "col.gross": "الإجمالي",
    "col.reversals": "الإلغاءات",
    "col.reversed": "المبلغ الملغى",
    "col.commission": "العمولة",
    "col.net_due": "الصافي المستحق",
    "col.hub": "المنصة",
    "col.ledger": "دفتر الأستاذ",
    "col.ledger_minus_hub": "الفرق (دفتر الأستاذ − المنصة)",
    "col.received": "المستلم",
    "col.received_minus_net_due": "الفرق (المستلم − الصافي المستحق)",
    "col.open": "فوارق مفتوحة",
    "col.outcome": "النتيجة",
    "col.findings": "الحالات",
    "col.id": "الرقم",
    "col.kind": "نوع الفرق",
    "col.status": "الحالة",
    "col.registration_number": "رقم التسجيل",
    "col.office": "الوكالة",
    "col.value_date": "تاريخ القيمة",
    "col.hub_receipt": "وصل Qurb (المنصة)",
    "col.quoted_reference": "المرجع الذي ذكره الصندوق",
    "col.ledger_line": "ملف دفتر الأستاذ: السطر (القيد)",
    "col.bank_entry": "العملية البنكية (المرجع، تاريخ القيد)",
    "col.reason": "السبب",
    "col.office_net": "الصافي",
    "line": "السطر {line}",
    "booked_on": "قيدت يوم {date}",
    "worked": "{status} يوم {date} على الساعة {time} من طرف {by}",
    "ledger.matched": "مطابق",
    "ledger.cross_day": "مقيد في يوم آخر",
    "ledger.missing_in_ledger": "غير موجود في دفتر الأستاذ",
    "ledger.missing_in_hub": "غير موجود في المنصة",
    "ledger.amount_mismatch": "مبلغ مختلف",
    "ledger.duplicate": "قيد مكرر",
    "bank.exact": "مستلم بالضبط",
    "bank.short": "مستلم ناقص",
    "bank.over": "مستلم زائد",
    "bank.missing": "غير مستلم",
    "bank.unexpected": "تحويل غير منتظر",
    "status.open": "مفتوح",
    "status.resolved": "تمت معالجته",
    "status.written_off": "مشطوب كخسارة",
    "reason.cnss_booking_corrected": "صحح الصندوق قيده",
    "reason.booked_on_another_day": "قيدت العملية بتاريخ قيمة آخر",
    "reason.network_transfer_completed": "حولت الشبكة المبلغ الناقص",
    "reason.network_refund": "أعيد المبلغ الزائد إلى الشبكة",
    "reason.bank_delay": "وصل التحويل متأخرا",
    "reason.duplicate_reversed": "ألغى الصندوق القيد المكرر",
    "reason.hub_record_confirmed": "تم تأكيد تسجيل المنصة مع الوكالة",
    "reason.immaterial_amount": "الفرق أقل من عتبة الأهمية",
    "reason.unrecoverable": "لن يسترجع المبلغ",
    "reason.other": "سبب آخر (انظر التعليق)",
    "statement.title": "كشف التسوية {reference}",
    "statement.intro": "شبكة {name} ({code})، يوم العمل {day}. اذكر المرجع {reference} في التحويل.",
    "statement.rule": "قاعدة العمولة: {fixed} سنتيم عن كل تحصيل و{bps} نقطة أساس، تقرب عن كل "
    "تحصيل على حدة: الثابت + (المبلغ × النقاط + 5000) // 10000، على كل تحصيل غير ملغى.",
    "statement.late": "التحصيلات المتأخرة المدرجة: {count}.",
    "statement.net_due": "الصافي المستحق للصندوق",
    "section.file_fees": "ملفات الاسترجاع المعالجة",
    "col.files_handled": "الملفات المعالجة",
    "col.file_fee": "الأجرة عن كل ملف",
    "statement.file_fees_due": "المستحق للشبكة",
    "statement.file_fees": "ملفات التأمين الإجباري عن المرض المودعة في هذا اليوم وغير الملغاة × "
    "الأجرة عن كل ملف السارية في هذا اليوم: يدين الصندوق بهذا المبلغ للشبكة، بمعزل عن الصافي "
    "أعلاه.",
    "statement.digest": "بصمة التحصيلات (SHA-256):",
    "statement.settled": "تمت التسوية يوم {date} على الساعة {time} (بتوقيت الدار البيضاء).",
    "statement.jws": "JWS مضغوط (EdDSA)، يمكن التحقق منه بالمفاتيح المنشورة في {keys}:",
}

CATALOGS: Final[dict[str, dict[str, str]]] = {"fr": FR, "ar": AR}


def text(lang: str, key: str, **values: object) -> str:
    """The label ``key`` in ``lang``, its placeholders filled. An unknown language is a
    programming error: the command line and the endpoint only accept ``LANGUAGES``."""
    found = CATALOGS[lang][key]
    return found.format(**values) if values else found
