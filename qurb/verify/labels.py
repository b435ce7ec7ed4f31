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
