"""Hostile values in every form field, query parameter and path segment of every back-office
page: never a 500, never the raw payload back in the HTML.

The pages come from the authorization matrix (``test_backoffice_matrix.MATRIX``, itself held
to the one routes list); each is opened by a caller who may, its forms and links read from
the HTML it serves, and every field of every form it shows is sent each payload in turn (with
the form's CSRF token, the other fields as the page filled them), as is every query parameter
the page links to or filters by. The query names the views read (``page.query("…")``, found
in their source) are all sent at once too, and each path parameter is replaced by each
payload. Counts are recorded with ``record_property`` as the OpenAPI fuzz does.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from httpx2 import Response

from tests.integration.conftest import World
from tests.integration.test_backoffice_matrix import CALLERS, MATRIX, PUBLIC, Row, _concrete
from tests.support.backoffice import BackOffice, csrf_of

VIEWS = Path(__file__).resolve().parents[2] / "qurb" / "backoffice" / "views"
PREFIX = "/back-office"

PAYLOADS: list[str | bytes] = [
    "A" * 20_000,
    "x\x00y",
    "\x01\x02\x08\x0b\x1b[31m\x7f\u0085",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR '1'='1' --",
    "1; DROP TABLE users; --",
    b"\xff\xfe\xc3\x28",  # not UTF-8
    "-1",
    "-99999999999999999999",
    "99999999999999999999999999999999",
    "1e309",
    "\u00b2",  # str.isdigit() says yes, int() says no
    "\u0661\u0662",  # Arabic-Indic digits
    "2026-02-30",
    "0000-00-00",
    "9999-99",
    "../../etc/passwd",
    "\u202eevil\u202c",
    "%00%ff",
]
# What must never come back as markup: the payloads' tags and handlers.
MARKERS = ("<script>alert(1)", "<img src=x", "onerror=alert(1)>")
# Every name a view reads from the query string, read from their source.
QUERY_NAMES = sorted(
    {n for p in VIEWS.glob("*.py") for n in re.findall(r'query\("([a-z_]+)"\)', p.read_text())}
    | {"lang"}
)
# Forms that end the caller's session or lock it out, fuzzed through their path only.
NOT_FUZZED = ("/sign-out",)


@dataclass
class Form:
    method: str
    action: str
    multipart: bool
    fields: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


class Page(HTMLParser):
    """The forms of a page (with the values it filled in) and the query names of its links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: set[str] = set()
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(
                Form(
                    a.get("method", "get").upper(),
                    a.get("action", ""),
                    a.get("enctype") == "multipart/form-data",
                )
            )
        elif tag == "a" and "?" in a.get("href", ""):
            self.links |= {k for k, _ in parse_qsl(urlsplit(a["href"]).query)}
        elif self.forms and tag in ("input", "select", "textarea") and a.get("name"):
            form, name = self.forms[-1], a["name"]
            if a.get("type") == "file":
                form.files.append(name)
            elif a.get("type") in ("checkbox", "radio"):
                form.fields.setdefault(name, a.get("value", "on"))
            else:
                form.fields.setdefault(name, a.get("value", ""))
            self._select = name if tag == "select" else None
        elif tag == "option" and self._select and self.forms:
            fields = self.forms[-1].fields
            if not fields.get(self._select):
                fields[self._select] = a.get("value", "")


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    per_page: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def check(self, what: str, page: str, answer: Response, payload: str | bytes) -> None:
        self.statuses[answer.status_code] += 1
        self.per_page[page] += 1
        if answer.status_code >= 500:
            self.failures.append(f"{what}: {answer.status_code}")
            return
        if "html" not in answer.headers.get("content-type", ""):
            return
        text = answer.text
        raw = payload if isinstance(payload, str) else ""
        if any(c in raw for c in "<>\"'") and raw in text:
            self.failures.append(f"{what}: the payload came back unescaped")
        if any(m in text for m in MARKERS):
            self.failures.append(f"{what}: markup of the payload came back")


def _query(values: dict[str, str | bytes], longest: int = 4_000) -> str:
    """A query string; a very long value is cut to what a URL carries (httpx stops at 64 KiB,
    a proxy much sooner), forms get the full length."""
    return urlencode({k: v[:longest] for k, v in values.items()})


def _post(office: BackOffice, form: Form, values: dict[str, str | bytes], files: bytes) -> Response:
    path = form.action.removeprefix(PREFIX)
    if form.multipart:
        data = {k: v.decode("latin-1") if isinstance(v, bytes) else v for k, v in values.items()}
        uploads = dict.fromkeys(form.files, ("fuzz.csv", files, "text/csv"))
        return office.post(path, data, files=uploads or None)
    return office.client.post(
        PREFIX + path,
        content=_query(values, len(PAYLOADS[0])).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def _caller(row: Row) -> str | None:
    """Who opens a page: a network admin first (its writes touch only its network), then
    finance, the auditor, the CNSS admin (whose writes could suspend a whole network)."""
    if row.roles == PUBLIC:
        return None
    return next(u for u, role in CALLERS.items() if role in row.roles)


def _fuzz_page(
    tally: Tally, office: BackOffice, path: str, template: str, seen: set[tuple[str, ...]]
) -> None:
    opened = office.get(path)
    tally.check(f"GET {path}", template, opened, "")
    page = parse(opened.text) if "html" in opened.headers.get("content-type", "") else Page()
    # Query parameters: each one the page filters or links by, alone, with each payload...
    own = {n for f in page.forms if f.method == "GET" for n in f.fields} | page.links
    for name in sorted(own):
        for payload in PAYLOADS:
            answer = office.client.get(f"{PREFIX}{path}?{_query({name: payload})}")
            tally.check(f"GET {path}?{name}={payload!r:.40}", template, answer, payload)
    # ... and every name any view reads, all at once.
    for payload in PAYLOADS:
        every: dict[str, str | bytes] = dict.fromkeys(QUERY_NAMES, payload)
        answer = office.client.get(f"{PREFIX}{path}?{_query(every, 1_000)}")
        tally.check(f"GET {path}?<every name>={payload!r:.40}", template, answer, payload)
    # ... and each filter on the list's XLSX download, where the page offers one.
    for name in sorted(own - {"format"}) if "format" in page.links else []:
        for payload in PAYLOADS:
            query = _query({name: payload, "format": "xlsx"})
            answer = office.client.get(f"{PREFIX}{path}?{query}")
            tally.check(f"GET {path}?{name}={payload!r:.40}&format=xlsx", template, answer, payload)
    # Every field of every form the page shows, one at a time, then all at once.
    for form in page.forms:
        key = (form.method, form.action, *sorted(form.fields))
        names = [n for n in form.fields if n != "csrf_token"]
        if form.method != "POST" or key in seen or form.action.endswith(NOT_FUZZED):
            continue
        if not names and not form.files:  # a form of a file alone gets each payload as its file
            continue
        seen.add(key)
        token = csrf_of(opened.text)
        for payload in PAYLOADS:
            raw = payload if isinstance(payload, bytes) else payload.encode()
            chosen: list[str | None] = [*names, None]
            for one in chosen:
                values: dict[str, str | bytes] = {**form.fields, "csrf_token": token}
                values.update(dict.fromkeys(names, payload) if one is None else {one: payload})
                answer = _post(office, form, values, raw)
                what = f"POST {form.action} {one or '<every field>'}={payload!r:.40}"
                tally.check(what, f"POST {form.action}", answer, payload)


def _fuzz_path(tally: Tally, office: BackOffice, method: str, template: str) -> None:
    """Each path parameter replaced by each payload (as a URL segment can carry it)."""
    token = csrf_of(office.get("/").text)
    for payload in PAYLOADS:
        text = payload.decode("latin-1") if isinstance(payload, bytes) else payload
        segment = urlencode({"": text})[1:].replace("%2F", "/")
        path = re.sub(r"\{[^}]+\}", segment, template)
        if method == "GET":
            answer = office.client.get(PREFIX + path)
        else:
            answer = office.post(path, {"csrf_token": token, "confirm": "yes"})
        tally.check(f"{method} {path:.60}", f"{method} {template}", answer, payload)


def test_hostile_values_in_every_field_and_parameter_never_break_a_page(
    world: World, record_property: Callable[[str, object], None]
) -> None:
    tally = Tally()
    offices = {}
    for username in CALLERS:
        offices[username] = BackOffice(world)
        assert offices[username].sign_in(username).status_code == 303
    seen: set[tuple[str, ...]] = set()
    rows = sorted(
        MATRIX.items(), key=lambda kv: list(CALLERS).index(_caller(kv[1]) or "cnss.admin")
    )
    for (method, template), row in rows:
        caller = _caller(row)
        if caller is None or template == "/static":
            continue
        office = offices[caller]
        if "{" in template:
            _fuzz_path(tally, office, method, template)
        if method == "GET":
            _fuzz_page(tally, office, _concrete(row.a or template, world), template, seen)
    # Last, the sign-in form, by someone not signed in (its throttle answers 429, not 500).
    _fuzz_page(tally, BackOffice(world), "/sign-in", "/sign-in", seen)

    record_property("requests_tried", sum(tally.statuses.values()))
    record_property("statuses", ", ".join(f"{s}={n}" for s, n in sorted(tally.statuses.items())))
    record_property("pages", len(tally.per_page))
    record_property("per_page", "; ".join(f"{p}: {n}" for p, n in sorted(tally.per_page.items())))
    assert tally.failures == [], "\n".join(tally.failures[:20])
    # Every page and every form was reached, not refused at the door.
    assert tally.statuses[500] == 0
    opened = {t for (m, t), r in MATRIX.items() if m == "GET" and r.roles != PUBLIC}
    assert opened <= set(tally.per_page)
