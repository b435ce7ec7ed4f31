"""Every word of the verification page, in French (the default) and Arabic, same keys
(tests/integration/test_verify_page.py holds it)."""

from __future__ import annotations

from typing import Final

LANGUAGES: Final = ("fr", "ar")
DEFAULT_LANGUAGE: Final = "fr"

FR: dict[str, str] = {
    "title": "Vérifier un reçu de la CNSS",
    "brand": "Qurb — CNSS",
    "lang.switch": "العربية",
    "intro": "Cette page vérifie sur votre téléphone que ce reçu a bien été signé par la CNSS. "
    "Elle n'envoie rien d'autre que le reçu lui-même.",
    "noscript": "Cette page a besoin de JavaScript pour vérifier la signature du reçu.",
    "checking": "Vérification de la signature…",
    "none": "Aucun reçu dans ce lien. Scannez le code QR imprimé sur votre reçu.",
    "damaged": "Ce code est abîmé ou incomplet : il ne contient pas un reçu lisible. "
    "Scannez-le à nouveau, ou demandez un duplicata à l'agence.",
    "forged.title": "Reçu NON authentique",
    "forged.text": "Ce reçu n'a pas été signé par la CNSS, ou il a été modifié après sa "
    "signature. Ne le considérez pas comme une preuve de paiement et signalez-le à la CNSS.",
    "unsupported": "Votre navigateur ne sait pas vérifier ce type de signature (Ed25519). "
    "Mettez-le à jour, ou ouvrez ce lien dans un navigateur récent.",
    "valid.title": "Reçu authentique",
    "valid.text": "Signé par la CNSS. Voici ce que ce reçu prouve :",
    "field.kind": "Opération",
    "field.amount": "Montant",
    "field.months": "Mois crédités",
    "field.office": "Agence",
    "field.time": "Date et heure",
    "field.number": "N° du reçu",
    "field.registration": "N° d'immatriculation",
    "field.reverses": "Annule le reçu",
    "field.name": "Assuré(e)",
    "field.status": "Droits",
    "field.as_of": "Situation au mois de",
    "field.coverage_start": "Couverture à partir de",
    "field.category": "Catégorie",
    "kind.enrollment": "Immatriculation",
    "kind.collection": "Paiement de cotisation",
    "kind.reversal": "Annulation d'un paiement",
    "kind.certificate": "Attestation",
    "certificate.rights": "Attestation de droits",
    "certificate.payments": "Attestation de paiements",
    "status.open": "ouverts",
    "status.suspended": "suspendus",
    "status.waiting": "en stage d'attente",
    "month.surcharge": "majoration",
    "kind.deposit": "Dépôt d'un dossier de remboursement AMO",
    "kind.deposit_cancel": "Annulation d'un dépôt (dossier rendu)",
    "field.deposit_number": "N° du dépôt (étiquette de l'enveloppe)",
    "field.beneficiary": "Bénéficiaire des soins",
    "field.care_kind": "Nature des soins",
    "field.care_dates": "Date(s) des soins",
    "field.amount_spent": "Montant dépensé",
    "field.documents": "Pièces dans l'enveloppe",
    "field.deadline": "Date limite de dépôt",
    "field.warnings": "Avertissements donnés au dépôt",
    "field.cancels": "Annule le reçu de dépôt",
    "beneficiary.worker": "l'assuré(e)",
    "beneficiary.dependent": "un ayant droit de l'assuré(e)",
    "care.consultation": "Consultation",
    "care.pharmacy": "Pharmacie",
    "care.laboratory": "Analyses de laboratoire",
    "care.imaging": "Imagerie médicale",
    "care.hospitalisation": "Hospitalisation",
    "care.dental": "Soins dentaires",
    "care.optical": "Optique",
    "care.other": "Autres soins",
    "warning.rights_closed": "Droits AMO fermés à la date des soins : la CNSS refusera "
    "probablement ce dossier (motif R01).",
    "warning.deadline_passed": "Délai de dépôt dépassé : la CNSS refusera probablement ce "
    "dossier (motif R02).",
    "warning.beneficiary_not_declared": "Bénéficiaire non déclaré sur le dossier de l'assuré "
    "pendant toute la période des soins (motif R03).",
    "file.title": "Où en est ce dossier",
    "file.at_office": "À l'agence depuis le {date} : il n'est pas encore parti vers la CNSS.",
    "file.cancelled": "Dépôt annulé le {date} : l'enveloppe a été rendue.",
    "file.sent": "Envoyé à la CNSS le {date} dans le bordereau {slip}.",
    "file.received": "Reçu et enregistré par la CNSS le {date}.",
    "file.not_received": "Absent du lot arrivé à la CNSS le {date} : l'enveloppe est "
    "recherchée. Gardez ce reçu, il prouve votre dépôt.",
    "file.incomplete": "Dossier incomplet le {date} (motif {code}) : des pièces manquent. "
    "Renseignez-vous auprès de la CNSS.",
    "file.under_review": "À l'examen du contrôle médical de la CNSS depuis le {date}.",
    "file.reimbursed": "Remboursé le {date} : {amount}.",
    "file.refused": "Refusé par la CNSS le {date} (motif {code}) : {reason}",
    "reason.R01": "droits AMO fermés à la date des soins.",
    "reason.R02": "délai de dépôt dépassé.",
    "reason.R03": "bénéficiaire non déclaré.",
    "reason.other": "renseignez-vous auprès de la CNSS.",
    "log.checking": "Recherche du reçu dans le journal d'audit de la CNSS…",
    "log.in": "Inscrit au journal d'audit public : entrée n° {index}, dans le point de "
    "contrôle signé de {size} entrées (racine {root}…).",
    "log.witnesses": "Point de contrôle cosigné par {count} témoin(s) indépendant(s).",
    "log.no_witness": "Point de contrôle pas encore cosigné par un témoin.",
    "log.pending": "Enregistré : il figurera au prochain point de contrôle du journal, "
    "dans quelques instants.",
    "log.missing": "La CNSS ne retrouve pas ce reçu dans son journal d'audit. La signature "
    "est valide, mais signalez-le à la CNSS.",
    "log.offline": "Impossible de joindre la CNSS pour l'instant : la signature est vérifiée, "
    "le journal ne l'est pas. Réessayez plus tard.",
    "footer": "Vérifié sur cet appareil avec la clé publique de la CNSS.",
}

AR: dict[str, str] = {
    "title": "التحقق من وصل الصندوق الوطني للضمان الاجتماعي",
    "brand": "قرب — الصندوق الوطني للضمان الاجتماعي",
    "lang.switch": "Français",
    "intro": "تتحقق هذه الصفحة، على هاتفك، من أن هذا الوصل موقّع فعلاً من طرف الصندوق الوطني "
    "للضمان الاجتماعي. لا ترسل شيئاً غير الوصل نفسه.",
    "noscript": "تحتاج هذه الصفحة إلى جافاسكريبت للتحقق من توقيع الوصل.",
    "checking": "جارٍ التحقق من التوقيع…",
    "none": "لا يوجد وصل في هذا الرابط. امسح رمز QR المطبوع على وصلك.",
    "damaged": "هذا الرمز تالف أو غير مكتمل: لا يحتوي على وصل مقروء. "
    "امسحه مرة أخرى أو اطلب نسخة من الوكالة.",
    "forged.title": "وصل غير أصلي",
    "forged.text": "هذا الوصل لم يوقّعه الصندوق الوطني للضمان الاجتماعي، أو تم تغييره بعد "
    "توقيعه. لا تعتبره إثباتاً للأداء وأبلغ الصندوق بذلك.",
    "unsupported": "متصفحك لا يستطيع التحقق من هذا النوع من التوقيع (Ed25519). "
    "حدّثه أو افتح هذا الرابط في متصفح حديث.",
    "valid.title": "وصل أصلي",
    "valid.text": "موقّع من طرف الصندوق الوطني للضمان الاجتماعي. هذا ما يثبته الوصل:",
    "field.kind": "العملية",
    "field.amount": "المبلغ",
    "field.months": "الأشهر المؤداة",
    "field.office": "الوكالة",
    "field.time": "التاريخ والساعة",
    "field.number": "رقم الوصل",
    "field.registration": "رقم التسجيل",
    "field.reverses": "يلغي الوصل",
    "field.name": "المؤمَّن(ة)",
    "field.status": "الحقوق",
    "field.as_of": "الوضعية في شهر",
    "field.coverage_start": "التغطية ابتداءً من",
    "field.category": "الفئة",
    "kind.enrollment": "تسجيل",
    "kind.collection": "أداء الاشتراك",
    "kind.reversal": "إلغاء أداء",
    "kind.certificate": "شهادة",
    "certificate.rights": "شهادة الحقوق",
    "certificate.payments": "شهادة الأداءات",
    "status.open": "مفتوحة",
    "status.suspended": "موقوفة",
    "status.waiting": "في فترة الانتظار",
    "month.surcharge": "غرامة التأخير",
    "kind.deposit": "إيداع ملف استرجاع مصاريف التأمين الإجباري عن المرض",
    "kind.deposit_cancel": "إلغاء إيداع (أُعيد الملف)",
    "field.deposit_number": "رقم الإيداع (ملصق الظرف)",
    "field.beneficiary": "المستفيد من العلاج",
    "field.care_kind": "نوع العلاج",
    "field.care_dates": "تاريخ (تواريخ) العلاج",
    "field.amount_spent": "المبلغ المصروف",
    "field.documents": "الوثائق داخل الظرف",
    "field.deadline": "آخر أجل للإيداع",
    "field.warnings": "تنبيهات قُدّمت عند الإيداع",
    "field.cancels": "يلغي وصل الإيداع",
    "beneficiary.worker": "المؤمَّن(ة)",
    "beneficiary.dependent": "أحد ذوي حقوق المؤمَّن(ة)",
    "care.consultation": "استشارة طبية",
    "care.pharmacy": "صيدلية",
    "care.laboratory": "تحاليل مخبرية",
    "care.imaging": "تصوير طبي",
    "care.hospitalisation": "استشفاء",
    "care.dental": "علاج الأسنان",
    "care.optical": "البصريات",
    "care.other": "علاجات أخرى",
    "warning.rights_closed": "الحقوق في التأمين الإجباري عن المرض مغلقة في تاريخ العلاج: "
    "من المرجح أن يرفض الصندوق هذا الملف (السبب R01).",
    "warning.deadline_passed": "انقضى أجل إيداع الملف: من المرجح أن يرفض الصندوق هذا الملف "
    "(السبب R02).",
    "warning.beneficiary_not_declared": "المستفيد غير مصرح به في ملف المؤمَّن طيلة فترة العلاج "
    "(السبب R03).",
    "file.title": "أين وصل هذا الملف",
    "file.at_office": "في الوكالة منذ {date}: لم يُرسَل بعد إلى الصندوق.",
    "file.cancelled": "أُلغي الإيداع بتاريخ {date}: أُعيد الظرف.",
    "file.sent": "أُرسل إلى الصندوق بتاريخ {date} ضمن الجدول {slip}.",
    "file.received": "توصّل به الصندوق وسجّله بتاريخ {date}.",
    "file.not_received": "غير موجود في الدفعة التي وصلت إلى الصندوق بتاريخ {date}: يجري "
    "البحث عن الظرف. احتفظ بهذا الوصل فهو يثبت إيداعك.",
    "file.incomplete": "ملف ناقص بتاريخ {date} (السبب {code}): تنقصه وثائق. استفسر لدى الصندوق.",
    "file.under_review": "قيد الدراسة لدى المراقبة الطبية للصندوق منذ {date}.",
    "file.reimbursed": "تم التعويض بتاريخ {date}: {amount}.",
    "file.refused": "رفض الصندوق الملف بتاريخ {date} (السبب {code}): {reason}",
    "reason.R01": "الحقوق مغلقة في تاريخ العلاج.",
    "reason.R02": "تجاوز أجل الإيداع.",
    "reason.R03": "المستفيد غير مصرح به.",
    "reason.other": "استفسر لدى الصندوق.",
    "log.checking": "جارٍ البحث عن الوصل في سجل التدقيق التابع للصندوق…",
    "log.in": "مسجَّل في سجل التدقيق العمومي: المدخل رقم {index}، ضمن نقطة المراقبة "
    "الموقّعة التي تضم {size} مدخلاً (الجذر {root}…).",
    "log.witnesses": "نقطة المراقبة موقّعة أيضاً من طرف {count} من الشهود المستقلين.",
    "log.no_witness": "لم يوقّع أي شاهد نقطة المراقبة بعد.",
    "log.pending": "مسجَّل: سيظهر في نقطة المراقبة القادمة للسجل بعد لحظات.",
    "log.missing": "لا يجد الصندوق هذا الوصل في سجل التدقيق. التوقيع صحيح، لكن أبلغ الصندوق بذلك.",
    "log.offline": "تعذّر الاتصال بالصندوق حالياً: تم التحقق من التوقيع، وليس من السجل. "
    "أعد المحاولة لاحقاً.",
    "footer": "تم التحقق على هذا الجهاز بالمفتاح العمومي للصندوق.",
}

CATALOGS: Final = {"fr": FR, "ar": AR}
