"""Every word the back office shows, in French (the default) and Arabic.

One dictionary per language with the same keys (tests/integration/test_backoffice_pages.py
holds it); ``{name}`` placeholders are filled by ``text``. Keys are grouped by screen
(``finance.``, ``auditor.``, ``network.``, ``cnss.``) plus the shared ones (``nav.``,
``form.``, ``error.``). A refusal's key is ``error.<code>``, the code the JSON API answers
with, so a screen and the API name the same refusal. Words about reconciliation that the
reports already say (outcomes, statuses, reasons, columns) come from
``reconciliation.report_labels`` through ``report_text``: one word per idea.
"""

from __future__ import annotations

from typing import Final

from reconciliation.report_labels import CATALOGS as REPORT_CATALOGS

LANGUAGES: Final = ("fr", "ar")
DEFAULT_LANGUAGE: Final = "fr"

FR: dict[str, str] = {
    "app.name": "Qurb — back-office",
    "nav.skip": "Aller au contenu",
    "nav.home": "Accueil",
    "nav.main": "Navigation principale",
    "nav.language": "Langue",
    "nav.signed_in_as": "Connecté : {username} ({role})",
    "nav.sign_out": "Se déconnecter",
    "lang.fr": "Français",
    "lang.ar": "العربية",
    "role.finance": "finance CNSS",
    "role.auditor": "auditeur",
    "role.network_admin": "administrateur de réseau",
    "role.cnss_admin": "administrateur CNSS",
    "sign_in.title": "Connexion",
    "sign_in.intro": "Back-office de Qurb, pour la finance et l'administration de la CNSS, "
    "les administrateurs de réseau et les auditeurs. Le personnel des agences se connecte "
    "sur son terminal.",
    "sign_in.username": "Identifiant",
    "sign_in.password": "Mot de passe",
    "sign_in.submit": "Se connecter",
    "sign_in.signed_out": "Vous êtes déconnecté.",
    "sign_in.expired": "Votre session a pris fin : reconnectez-vous.",
    "home.title": "Accueil",
    "home.intro": "Bonjour {username}. Voici ce que votre rôle permet de faire.",
    "home.nothing": "Aucun écran n'est encore ouvert à votre rôle.",
    "form.required": "obligatoire",
    "form.submit": "Valider",
    "form.filter": "Filtrer",
    "form.reset": "Effacer les filtres",
    "form.any": "tous",
    "export.csv": "Exporter en CSV",
    "print": "Imprimer",
    "error.title": "Action refusée",
    "error.back": "Revenir à l'accueil",
    "error.detail": "Détail technique : {detail}",
    "error.field": "Champ en cause : {field}",
    "error.csrf": "Le formulaire a expiré ou ne vient pas de cette page : rechargez la page "
    "et recommencez.",
    "error.invalid_credentials": "Identifiant inconnu ou mot de passe erroné. Le personnel "
    "des agences se connecte sur son terminal.",
    "error.account_locked": "Trop d'échecs de connexion : le compte est verrouillé pour "
    "quelques minutes.",
    "error.account_suspended": "Ce compte est suspendu.",
    "error.network_suspended": "Le réseau de ce compte est suspendu.",
    "error.too_many_attempts": "Trop de tentatives de connexion : réessayez dans {seconds} "
    "secondes.",
    "error.forbidden": "Votre rôle ne permet pas cette action.",
    "error.not_found": "Cette page n'existe pas, ou n'est pas visible pour votre rôle.",
    "error.validation_failed": "La saisie est incorrecte.",
    "error.conflict": "L'action est en conflit avec une autre : rechargez la page.",
    "error.already_worked": "Quelqu'un a déjà traité cet écart entre-temps : rien n'a été "
    "modifié. Rechargez la file pour voir qui et quand.",
    "error.superseded_version": "Une version plus récente de cette journée existe : traitez "
    "les écarts de la version courante.",
    "error.not_settled": "Aucun réseau n'est réglé pour cette journée : clôturez-la et "
    "réglez-la d'abord.",
    "error.payload_too_large": "Le fichier est trop volumineux pour être envoyé ici.",
    "error.rate_limited": "Trop de demandes : patientez un instant.",
    "error.unavailable": "Le service est momentanément indisponible : réessayez.",
    "error.generic": "L'action n'a pas pu être faite.",
}

AR: dict[str, str] = {
    "app.name": "Qurb — المكتب الخلفي",
    "nav.skip": "الانتقال إلى المحتوى",
    "nav.home": "الرئيسية",
    "nav.main": "التصفح الرئيسي",
    "nav.language": "اللغة",
    "nav.signed_in_as": "متصل: {username} ({role})",
    "nav.sign_out": "تسجيل الخروج",
    "lang.fr": "Français",
    "lang.ar": "العربية",
    "role.finance": "مالية الصندوق",
    "role.auditor": "مدقق",
    "role.network_admin": "مسؤول الشبكة",
    "role.cnss_admin": "مسؤول الصندوق",
    "sign_in.title": "تسجيل الدخول",
    "sign_in.intro": "المكتب الخلفي لـ Qurb، لمالية الصندوق وإدارته ولمسؤولي الشبكات "
    "والمدققين. يسجل موظفو الوكالات دخولهم من أجهزتهم.",
    "sign_in.username": "اسم المستخدم",
    "sign_in.password": "كلمة المرور",
    "sign_in.submit": "دخول",
    "sign_in.signed_out": "تم تسجيل خروجك.",
    "sign_in.expired": "انتهت جلستك: سجل الدخول من جديد.",
    "home.title": "الرئيسية",
    "home.intro": "مرحبا {username}. هذا ما يتيحه دورك.",
    "home.nothing": "لا توجد بعد أي شاشة مفتوحة لدورك.",
    "form.required": "إلزامي",
    "form.submit": "تأكيد",
    "form.filter": "تصفية",
    "form.reset": "مسح عوامل التصفية",
    "form.any": "الكل",
    "export.csv": "تصدير بصيغة CSV",
    "print": "طباعة",
    "error.title": "تم رفض العملية",
    "error.back": "العودة إلى الرئيسية",
    "error.detail": "تفاصيل تقنية: {detail}",
    "error.field": "الحقل المعني: {field}",
    "error.csrf": "انتهت صلاحية الاستمارة أو أنها لا تأتي من هذه الصفحة: أعد تحميل الصفحة "
    "وحاول من جديد.",
    "error.invalid_credentials": "اسم مستخدم غير معروف أو كلمة مرور خاطئة. يسجل موظفو "
    "الوكالات دخولهم من أجهزتهم.",
    "error.account_locked": "محاولات دخول فاشلة كثيرة: الحساب مقفل لبضع دقائق.",
    "error.account_suspended": "هذا الحساب موقوف.",
    "error.network_suspended": "شبكة هذا الحساب موقوفة.",
    "error.too_many_attempts": "محاولات دخول كثيرة: أعد المحاولة بعد {seconds} ثانية.",
    "error.forbidden": "دورك لا يسمح بهذه العملية.",
    "error.not_found": "هذه الصفحة غير موجودة أو غير متاحة لدورك.",
    "error.validation_failed": "المعطيات المدخلة غير صحيحة.",
    "error.conflict": "تتعارض العملية مع عملية أخرى: أعد تحميل الصفحة.",
    "error.already_worked": "عالج شخص آخر هذا الفرق في الأثناء: لم يتغير شيء. أعد تحميل "
    "القائمة لترى من عالجه ومتى.",
    "error.superseded_version": "توجد نسخة أحدث لهذا اليوم: عالج فوارق النسخة الحالية.",
    "error.not_settled": "لا توجد أي شبكة مسواة لهذا اليوم: أغلقه وسوه أولا.",
    "error.payload_too_large": "الملف أكبر من أن يرسل من هنا.",
    "error.rate_limited": "طلبات كثيرة: انتظر قليلا.",
    "error.unavailable": "الخدمة غير متاحة مؤقتا: أعد المحاولة.",
    "error.generic": "تعذر القيام بالعملية.",
}

CATALOGS: Final[dict[str, dict[str, str]]] = {"fr": FR, "ar": AR}


def text(lang: str, key: str, **values: object) -> str:
    """The label ``key`` in ``lang``, placeholders filled; a reconciliation word (``status.``,
    ``reason.``, ``ledger.``, ``bank.``, ``col.``…) comes from the reports' catalog."""
    catalog = CATALOGS[lang]
    found = catalog[key] if key in catalog else REPORT_CATALOGS[lang][key]
    return found.format(**values) if values else found


def has(lang: str, key: str) -> bool:
    return key in CATALOGS[lang] or key in REPORT_CATALOGS[lang]
