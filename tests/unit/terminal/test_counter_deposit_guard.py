"""The reimbursement-file screens keep the counter's guards, in process (no hub needed): a
browser not signed in here is sent to sign in and learns nothing of a worker's files, a
form posted without its token (another site's page) does nothing, and every answer carries
the strict CSP."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from terminal_client.home import Home
from terminal_client.web.app import build_app
from terminal_client.web.state import Counter

SCREENS = (
    "/workers/1234567894/deposits",
    "/workers/1234567894/deposits/new",
    "/tickets/1/label",
    "/tickets/1/label.png",
    "/tickets/1/deposit-cancel",
    "/transmittal",
    "/transmittals/1",
    "/transmittals/1/print",
    "/transmittals/1/qr.png",
)
FORMS = (
    "/workers/1234567894/deposits",
    "/deposits/check",
    "/tickets/1/label/escpos",
    "/tickets/1/deposit-cancel",
    "/transmittal",
    "/transmittals/1/escpos",
)


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    home = Home(tmp_path / "terminal")
    home.initialize("http://127.0.0.1:9", passphrase=None, lang="fr")
    home.update_config(terminal_id=1, office={"code": "CP-01", "name": "Rabat"})
    counter = Counter(home=home, default_lang="fr", hosts=frozenset({"testserver"}))
    return TestClient(build_app(counter), base_url="http://testserver", follow_redirects=False)


@pytest.mark.parametrize("path", SCREENS)
def test_a_browser_not_signed_in_is_sent_to_sign_in(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in"
    assert "default-src 'none'" in answer.headers["content-security-policy"]


@pytest.mark.parametrize("path", FORMS)
def test_a_form_posted_without_its_token_does_nothing(client: TestClient, path: str) -> None:
    client.get("/sign-in")  # the browser's cookie
    answer = client.post(path, data={"care_kind": "pharmacy", "reason": "rendu"})
    assert answer.status_code == 403
    assert "rien n'a été fait" in answer.text.replace("&#39;", "'")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
