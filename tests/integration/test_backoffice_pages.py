"""The back office's foundation: sign-in with the API's accounts and rules, a session that
sign-out ends at once, CSRF on every form, a strict CSP, French by default and Arabic from
right to left."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from qurb.backoffice import labels
from qurb.backoffice.web import NAVIGATION
from tests.integration.conftest import World
from tests.support.backoffice import BackOffice

VENDOR = Path(__file__).resolve().parents[2] / "qurb" / "backoffice" / "static" / "vendor"


def test_finance_signs_in_with_a_password_and_sees_its_home(world: World) -> None:
    office = BackOffice(world)
    signed = office.sign_in("cnss.finance")
    assert signed.status_code == 303
    assert signed.headers["location"] == "/back-office/"
    cookie = signed.headers["set-cookie"]
    assert "qurb_back_office=" in cookie
    for flag in ("HttpOnly", "Secure", "SameSite=strict", "Path=/back-office", "Max-Age=1800"):
        assert flag.lower() in cookie.lower(), flag
    home = office.get("/")
    assert home.status_code == 200
    assert 'lang="fr" dir="ltr"' in home.text
    assert "Connecté : cnss.finance (finance CNSS)" in home.text


def test_a_page_without_a_session_sends_you_to_sign_in(world: World) -> None:
    answer = BackOffice(world).get("/")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/back-office/sign-in"


def test_a_wrong_password_is_refused_in_french_and_the_form_stays(world: World) -> None:
    office = BackOffice(world)
    refused = office.sign_in("cnss.finance", "not the password")
    assert refused.status_code == 401
    assert "Identifiant inconnu ou mot de passe erroné" in refused.text
    assert 'value="cnss.finance"' in refused.text
    assert "not the password" not in refused.text


def test_counter_staff_cannot_sign_in_to_the_back_office(world: World) -> None:
    refused = BackOffice(world).sign_in("op.ca-01")
    assert refused.status_code == 401
    assert "qurb_back_office=" not in refused.headers.get("set-cookie", "")


def test_repeated_wrong_passwords_lock_the_account_as_the_api_does(world: World) -> None:
    office = BackOffice(world)
    limit = world.services.settings.max_failed_logins
    for _ in range(limit):
        office.sign_in("cnss.auditor", "wrong")
    locked = office.sign_in("cnss.auditor")
    assert locked.status_code == 423
    assert "verrouillé" in locked.text
    api = world.client.post(
        "/v1/admin/sessions", json={"username": "cnss.auditor", "password": "x"}
    )
    assert api.status_code == 423


def test_sign_out_ends_the_session_at_once(world: World) -> None:
    office = BackOffice(world)
    office.sign_in("cnss.finance")
    old = office.client.cookies.get("qurb_back_office")
    assert old
    out = office.form_post("/", "/sign-out", {})
    assert out.status_code == 303
    assert out.headers["location"] == "/back-office/sign-in?signed_out=1"
    answer = BackOffice(world).get("/", headers={"Cookie": f"qurb_back_office={old}"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/back-office/sign-in?expired=1"
    api = world.client.get("/v1/finance/reason-codes", headers={"Authorization": f"Bearer {old}"})
    assert api.status_code == 401


def test_a_form_posted_without_its_csrf_token_is_refused(world: World) -> None:
    office = BackOffice(world)
    office.sign_in("cnss.finance")
    refused = office.post("/sign-out", {})
    assert refused.status_code == 403
    assert "Le formulaire a expiré" in refused.text
    forged = office.post("/sign-out", {"csrf_token": "x" * 43})
    assert forged.status_code == 403
    assert office.get("/").status_code == 200  # still signed in: nothing was done


def test_the_sign_in_form_is_bound_to_its_pre_session_cookie(world: World) -> None:
    refused = BackOffice(world).post(
        "/sign-in", {"csrf_token": "forged", "username": "cnss.finance", "password": "x"}
    )
    assert refused.status_code == 403


def test_pages_carry_the_strict_policy_and_are_never_cached(world: World) -> None:
    office = BackOffice(world)
    office.sign_in("cnss.finance")
    home = office.get("/")
    policy = home.headers["content-security-policy"]
    assert policy == (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
    assert home.headers["cache-control"] == "no-store"
    assert home.headers["x-frame-options"] == "DENY"
    assert "<script>" not in home.text
    assert " style=" not in home.text
    assert "<style" not in home.text
    assert re.search(r" on[a-z]+=", home.text) is None


def test_the_arabic_page_reads_right_to_left_and_the_choice_is_kept(world: World) -> None:
    office = BackOffice(world)
    office.sign_in("cnss.finance")
    arabic = office.get("/?lang=ar")
    assert '<html lang="ar" dir="rtl">' in arabic.text
    assert "تسجيل الخروج" in arabic.text
    again = office.get("/")
    assert '<html lang="ar" dir="rtl">' in again.text


def test_the_vendored_htmx_is_served_as_pinned(world: World) -> None:
    readme = (VENDOR / "README.md").read_text()
    pinned = re.search(r"`([0-9a-f]{64})`", readme)
    assert pinned is not None
    served = BackOffice(world).get("/static/vendor/htmx.min.js")
    assert served.status_code == 200
    assert hashlib.sha256(served.content).hexdigest() == pinned.group(1)
    assert (VENDOR / "htmx.LICENSE").exists()


TEMPLATES = Path(__file__).resolve().parents[2] / "qurb" / "backoffice" / "templates"
_KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_.]+)["']\s*[,)]""")


def test_every_word_exists_in_french_and_arabic() -> None:
    assert sorted(set(labels.FR) ^ set(labels.AR)) == []
    assert all(value.strip() for value in [*labels.FR.values(), *labels.AR.values()])


def test_every_key_a_template_names_exists() -> None:
    named = {key for path in TEMPLATES.rglob("*.html") for key in _KEY.findall(path.read_text())}
    named |= {item.label for item in NAVIGATION}
    missing = sorted(k for k in named for lang in labels.LANGUAGES if not labels.has(lang, k))
    assert missing == []
