"""A browser-like client of the back office for integration tests: keeps its cookies (over
https, as the Secure cookie demands), reads each form's CSRF token, signs in and posts forms.
"""

from __future__ import annotations

import re
from typing import Any

from httpx2 import Response
from starlette.testclient import TestClient

from tests.integration.conftest import PASSWORD, World

_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


class BackOffice:
    def __init__(self, world: World) -> None:
        self.client = TestClient(
            world.client.app, base_url="https://testserver", follow_redirects=False
        )

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.client.get("/back-office" + path, **kwargs)

    def post(self, path: str, data: dict[str, Any], **kwargs: Any) -> Response:
        return self.client.post("/back-office" + path, data=data, **kwargs)

    def form_post(self, page: str, action: str, data: dict[str, Any], **kwargs: Any) -> Response:
        """Open ``page``, take its CSRF token, post ``data`` to ``action`` as its form would."""
        token = csrf_of(self.get(page).text)
        return self.post(action, {"csrf_token": token, **data}, **kwargs)

    def sign_in(self, username: str, password: str = PASSWORD) -> Response:
        return self.form_post("/sign-in", "/sign-in", {"username": username, "password": password})
