"""The counter app's guards, in process (no hub needed): other hosts and other sites get
nothing, every page carries the strict headers, and an error nobody foresaw is a sentence
on the screen with its details in errors.log, never the exception's words."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from terminal_client.home import Home
from terminal_client.web import guard, workers
from terminal_client.web.app import build_app
from terminal_client.web.state import Counter


@pytest.fixture
def home(tmp_path: Path) -> Home:
    home = Home(tmp_path / "terminal")
    home.initialize("http://127.0.0.1:9", passphrase=None, lang="fr")
    home.update_config(terminal_id=1, office={"code": "CP-01", "name": "Rabat"})
    return home


def _client(counter: Counter) -> TestClient:
    return TestClient(build_app(counter), base_url="http://testserver", follow_redirects=False)


def test_another_host_name_gets_nothing(home: Home) -> None:
    counter = Counter(home=home, default_lang="fr", hosts=frozenset({"127.0.0.1:8765"}))
    answer = _client(counter).get("/sign-in")  # Host: testserver, a rebinding's name
    assert answer.status_code == 421
    assert "default-src 'none'" in answer.headers["content-security-policy"]


def test_a_post_without_the_forms_token_is_refused_in_the_operators_language(home: Home) -> None:
    counter = Counter(home=home, default_lang="ar", hosts=frozenset({"testserver"}))
    client = _client(counter)
    page = client.get("/sign-in")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    refused = client.post("/sign-in", data={"username": "op", "password": "x"})
    assert refused.status_code == 403
    assert "لم تُرسل هذه الاستمارة" in refused.text


def test_only_a_loopback_address_is_served() -> None:
    assert guard.is_loopback("127.0.0.1")
    assert guard.is_loopback("::1")
    assert guard.is_loopback("localhost")
    assert not guard.is_loopback("0.0.0.0")  # noqa: S104 - the address it must refuse
    assert not guard.is_loopback("192.168.1.10")


def test_an_unforeseen_error_is_a_sentence_and_errors_log_keeps_no_value(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(page: object) -> object:
        raise RuntimeError("CIN BE123456 and password hunter2")

    monkeypatch.setattr(workers, "home", broken)
    counter = Counter(home=home, default_lang="fr", hosts=frozenset({"testserver"}))
    home.save_session({"token": "t", "username": "op", "full_name": "Op", "office": "CP-01"})
    counter.signed_in = "the-cookie"
    client = _client(counter)
    client.cookies.set(guard.COOKIE, "the-cookie")
    answer = client.get("/")
    assert answer.status_code == 500
    assert "Erreur inattendue" in answer.text
    log = home.error_log.read_text()
    assert "RuntimeError" in log
    assert "BE123456" not in log
    assert "hunter2" not in log
    assert "BE123456" not in answer.text
