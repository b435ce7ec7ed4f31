"""The country the history is set in: its payment networks, cities, names, the mix
of counter categories and the fixed national holidays."""

from __future__ import annotations

# (code, name, share of the offices, fixed commission, bps, bank code, office prefix).
# Shares are rough public orders of magnitude of each network's agencies, not figures.
NETWORKS = (
    ("CASHPLUS", "Cash Plus", 36, 300, 50, "022", "CP"),
    ("WAFACASH", "Wafacash", 26, 0, 100, "007", "WC"),
    ("BARIDCASH", "Barid Cash", 16, 400, 0, "350", "BC"),
    ("TASHILAT", "Tasshilat", 13, 250, 40, "011", "TS"),
    ("DAMANECASH", "Damane Cash", 9, 300, 30, "013", "DC"),
)
# (city, region, code in office codes, weight ~ urban population).
CITIES = (
    ("Casablanca", "Casablanca-Settat", "CASA", 20),
    ("Rabat", "Rabat-Salé-Kénitra", "RABAT", 6),
    ("Salé", "Rabat-Salé-Kénitra", "SALE", 5),
    ("Kénitra", "Rabat-Salé-Kénitra", "KENI", 3),
    ("Fès", "Fès-Meknès", "FES", 7),
    ("Meknès", "Fès-Meknès", "MKN", 4),
    ("Taza", "Fès-Meknès", "TAZA", 1),
    ("Marrakech", "Marrakech-Safi", "MRK", 7),
    ("Safi", "Marrakech-Safi", "SAFI", 2),
    ("Essaouira", "Marrakech-Safi", "ESS", 1),
    ("Tanger", "Tanger-Tétouan-Al Hoceïma", "TNG", 7),
    ("Tétouan", "Tanger-Tétouan-Al Hoceïma", "TET", 3),
    ("Agadir", "Souss-Massa", "AGA", 4),
    ("Oujda", "Oriental", "OUJ", 3),
    ("Nador", "Oriental", "NAD", 2),
    ("Béni Mellal", "Béni Mellal-Khénifra", "BML", 3),
    ("Khouribga", "Béni Mellal-Khénifra", "KHO", 2),
    ("El Jadida", "Casablanca-Settat", "JDA", 2),
    ("Settat", "Casablanca-Settat", "SET", 2),
    ("Errachidia", "Drâa-Tafilalet", "ERR", 1),
    ("Ouarzazate", "Drâa-Tafilalet", "OUA", 1),
    ("Guelmim", "Guelmim-Oued Noun", "GLM", 1),
    ("Laâyoune", "Laâyoune-Sakia El Hamra", "LAA", 1),
    ("Dakhla", "Dakhla-Oued Ed-Dahab", "DAK", 1),
)
LAST_NAMES = (
    ("El Amrani", "العمراني"),
    ("Bennani", "بناني"),
    ("Alaoui", "العلوي"),
    ("Tazi", "التازي"),
    ("Berrada", "برادة"),
    ("El Idrissi", "الإدريسي"),
    ("Chraibi", "الشرايبي"),
    ("Ouazzani", "الوزاني"),
    ("Benjelloun", "بنجلون"),
    ("El Fassi", "الفاسي"),
    ("Lahlou", "لحلو"),
    ("Naciri", "الناصري"),
    ("Hajji", "الحجي"),
    ("Ait Ali", "آيت علي"),
    ("Ouhaddou", "أوحدو"),
    ("Zerouali", "الزروالي"),
)
FIRST_NAMES = (
    ("Fatima", "فاطمة", "F"),
    ("Mohamed", "محمد", "M"),
    ("Khadija", "خديجة", "F"),
    ("Ahmed", "أحمد", "M"),
    ("Aicha", "عائشة", "F"),
    ("Youssef", "يوسف", "M"),
    ("Naima", "نعيمة", "F"),
    ("Rachid", "رشيد", "M"),
    ("Zineb", "زينب", "F"),
    ("Hassan", "حسن", "M"),
    ("Meryem", "مريم", "F"),
    ("Abdelkader", "عبد القادر", "M"),
    ("Samira", "سميرة", "F"),
    ("Said", "سعيد", "M"),
)
# Share of the seeded workers per counter category (an assumption; brackets split evenly).
CATEGORY_WEIGHTS = {
    "AUTO_ENTREPRENEUR": 25,
    "ARTISAN": 20,
    "FARMER": 20,
    "TAXI_DRIVER": 12,
    "MERCHANT_ACCOUNTS": 12,
    "MEDICAL": 4,
    "LEGAL": 3,
    "ARTIST": 2,
    "BOAT_OWNER": 2,
}
# Fixed-date national holidays (month, day); the Islamic ones move and are left open.
HOLIDAYS = {(1, 1), (1, 11), (1, 14), (5, 1), (7, 30), (8, 14), (8, 20), (8, 21), (11, 6), (11, 18)}
