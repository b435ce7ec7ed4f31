"""The back office's words for AMO reimbursement files (issue 20): the tracking exceptions
queue, deposits and slips per office, and a network's fee per file. French and Arabic, the
same keys; ``qurb.backoffice.labels`` merges them into its catalogs."""

from __future__ import annotations

FR: dict[str, str] = {
    # -- a network's fee per file ------------------------------------------------------------
    "cnss.fee.title": "Frais par dossier de remboursement",
    "cnss.fee.intro": "Certains réseaux sont payés pour chaque dossier AMO déposé à leurs "
    "guichets. Le relevé de règlement d'une journée porte alors la ligne : dossiers déposés ce "
    "jour et non annulés × frais en vigueur ce jour, dus au réseau. Sans frais, pas de ligne.",
    "cnss.fee.current": "Frais en vigueur aujourd'hui :",
    "cnss.fee.none": "aucun",
    "cnss.fee.per_file": "Par dossier",
    "cnss.fee.to_come": "à venir",
    "cnss.fee.field.effective_from": "Premier jour des frais",
    "cnss.fee.field.fee": "Frais par dossier",
    "cnss.fee.hint": "En dirhams, ex. 5,00 ; 0 : plus de frais à partir de ce jour.",
    "cnss.fee.submit": "Fixer les frais",
    "cnss.fee.done": "Frais par dossier fixés : ils s'appliqueront à partir du jour choisi.",
}

AR: dict[str, str] = {
    "cnss.fee.title": "الأجرة عن كل ملف استرجاع",
    "cnss.fee.intro": "تتقاضى بعض الشبكات أجرة عن كل ملف تأمين إجباري عن المرض يودع في "
    "شبابيكها. يتضمن كشف تسوية اليوم حينئذ سطرا: الملفات المودعة في ذلك اليوم وغير الملغاة × "
    "الأجرة السارية في ذلك اليوم، مستحقة للشبكة. بدون أجرة، لا سطر.",
    "cnss.fee.current": "الأجرة السارية اليوم:",
    "cnss.fee.none": "لا شيء",
    "cnss.fee.per_file": "عن كل ملف",
    "cnss.fee.to_come": "قادمة",
    "cnss.fee.field.effective_from": "أول يوم للأجرة",
    "cnss.fee.field.fee": "الأجرة عن كل ملف",
    "cnss.fee.hint": "بالدرهم، مثلا 5,00؛ 0: لا أجرة ابتداء من ذلك اليوم.",
    "cnss.fee.submit": "تحديد الأجرة",
    "cnss.fee.done": "تم تحديد الأجرة عن كل ملف: ستطبق ابتداء من اليوم المختار.",
}
