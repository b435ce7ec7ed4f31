"""The auditor's screens: the log's size and checkpoints, a consistency proof, a receipt
checked against the published keys and the log — pasted, or read from the QR of a photo of
its ticket —, the security events with their filters, and a role that reads everything and
writes nothing — not a single back-office write URL."""

from __future__ import annotations

import io
import re
import secrets
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import jwt
import pytest
from httpx2 import Response
from PIL import Image, ImageDraw
from starlette.routing import Route

from agent_api.domain.roles import Role
from agent_api.protocol.compact_receipt import Ed25519CompactSigner, compact_sign
from agent_api.protocol.keys import generate_private_key
from agent_api.services.sessions.security_events import SecurityEventService
from qurb.backoffice.routes import ROUTES
from qurb.backoffice.views.auditor import READING_POSTS
from qurb.backoffice.web import NAVIGATION
from terminal_client.printing import qr_png, ticket_png
from terminal_client.receipts import decode_unverified
from terminal_client.ticket import render_ticket, verification_link
from tests.conftest import FakeClock
from tests.integration.conftest import World
from tests.integration.test_backoffice_exports import Cell, assert_same_rows, read_xlsx
from tests.support.backoffice import BackOffice, csrf_of
from tests.support.reconciliation import enroll, pay
from tests.support.terminal import TestTerminal

_LINK = re.compile(r'href="/back-office(/[^"#]*)"')
_WRITE_BUTTON = re.compile(r'<form[^>]*method="post"[^>]*action="([^"]*)"', re.IGNORECASE)


def _auditor(world: World) -> BackOffice:
    office = BackOffice(world)
    assert office.sign_in("cnss.auditor").status_code == 303
    return office


def _rows(html: str) -> str:
    """The table's body: what the list shows, not the filter's options."""
    return html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]


def _receipt_jws(terminal: TestTerminal) -> tuple[str, str]:
    collected = pay(terminal, enroll(terminal), 7_000, "CA-01")
    receipt = terminal.send("GET", f"/v1/receipts/{collected.receipt}").json()
    return collected.receipt, receipt["receipt"]


def test_an_auditor_checks_a_pasted_receipt_and_sees_its_inclusion_proof(
    world: World, terminal: TestTerminal
) -> None:
    number, jws = _receipt_jws(terminal)
    page = _auditor(world).get("/audit/receipts", params={"receipt": jws})
    assert page.status_code == 200
    assert f"Le reçu {number} est authentique" in page.text
    assert "Preuve d&#39;inclusion" in page.text
    assert 'role="alert"' not in page.text


def test_a_receipt_with_one_flipped_character_is_shown_as_forged(
    world: World, terminal: TestTerminal
) -> None:
    _, jws = _receipt_jws(terminal)
    head, body, signature = jws.split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    page = _auditor(world).get("/audit/receipts", params={"receipt": f"{head}.{body}.{flipped}"})
    assert page.status_code == 200
    assert "La signature du reçu ne se vérifie pas" in page.text
    assert "est authentique" not in page.text


def test_text_that_is_not_a_receipt_is_refused_and_the_form_stays(world: World) -> None:
    page = _auditor(world).get("/audit/receipts", params={"receipt": "hello"})
    assert page.status_code == 422
    assert "n'est pas un reçu signé" in page.text.replace("&#39;", "'")
    assert 'name="receipt"' in page.text


def test_the_log_page_shows_its_size_checkpoints_and_a_consistency_proof(
    world: World, terminal: TestTerminal
) -> None:
    first = world.services.audit.checkpoint()
    _receipt_jws(terminal)
    latest = world.services.audit.checkpoint()
    assert latest.size > first.size
    office = _auditor(world)
    page = office.get("/audit/log")
    assert page.status_code == 200
    assert "<svg" in page.text
    assert f"<bdi>{latest.size}</bdi>" in page.text
    proved = office.get("/audit/log", params={"old": str(first.size)})
    assert f"Le journal de {latest.size} feuilles prolonge bien celui de {first.size}" in (
        proved.text
    )
    kept = office.get("/audit/log", params={"note": first.note})
    assert "prolonge bien" in kept.text


def test_security_events_filter_by_kind_network_and_day(world: World, clock: FakeClock) -> None:
    events: SecurityEventService = world.services.events
    events.record("sequence_gap", terminal_id=world.terminal_ids["CA-01"], missing_from=3)
    events.record("activation_failed", terminal_id=world.terminal_ids["WA-01"])
    office = _auditor(world)
    everything = _rows(office.get("/audit/security-events").text)
    assert "numéros de séquence sautés" in everything
    assert "code d&#39;activation erroné" in everything
    wafacash = _rows(office.get("/audit/security-events", params={"network": "WAFACASH"}).text)
    assert "code d&#39;activation erroné" in wafacash
    assert "numéros de séquence sautés" not in wafacash
    gaps = _rows(office.get("/audit/security-events", params={"kind": "sequence_gap"}).text)
    assert "missing_from=3" in gaps
    assert "code d&#39;activation erroné" not in gaps
    tomorrow = (clock() + timedelta(days=1)).date().isoformat()
    later = office.get("/audit/security-events", params={"from": tomorrow})
    assert "Aucun événement." in _rows(later.text)
    today = clock().date().isoformat()
    same_day = office.get("/audit/security-events", params={"from": today, "to": today})
    assert "missing_from=3" in _rows(same_day.text)


def test_security_events_download_as_csv_and_xlsx_with_the_pages_filters(world: World) -> None:
    events: SecurityEventService = world.services.events
    events.record("sequence_gap", terminal_id=world.terminal_ids["CA-01"], missing_from=3)
    events.record("activation_failed", terminal_id=world.terminal_ids["WA-01"])
    office = _auditor(world)
    page = office.get("/audit/security-events", params={"kind": "sequence_gap"})
    link = re.search(r'href="(/back-office/audit/security-events\?[^"]*format=xlsx)"', page.text)
    assert link is not None
    path = link.group(1).replace("&amp;", "&").removeprefix("/back-office")
    book = assert_same_rows(office.get(path.replace("format=xlsx", "format=csv")), office.get(path))
    [header, *rows] = book
    assert [c.value for c in header if c] == [
        "id",
        "occurred_at",
        "kind",
        "terminal_id",
        "office",
        "network",
        "keyid",
        "detail",
    ]
    assert [r[2] for r in rows] == [Cell("s", "sequence_gap")]  # the page's filter holds
    assert rows[0][3] == Cell("n", str(world.terminal_ids["CA-01"]))
    assert rows[0][7] == Cell("s", '{"missing_from": 3}')
    # A network admin downloads its own terminals' events only.
    cashplus = BackOffice(world)
    cashplus.sign_in("admin.cashplus")
    own = read_xlsx(cashplus.get("/network/security-events?format=xlsx").content)
    assert {r[5].value for r in own[1:] if r[5]} == {"CASHPLUS"}


def test_a_network_admin_sees_only_its_own_terminals_events(world: World) -> None:
    world.services.events.record("sequence_gap", terminal_id=world.terminal_ids["CA-01"])
    world.services.events.record("activation_failed", terminal_id=world.terminal_ids["WA-01"])
    office = BackOffice(world)
    office.sign_in("admin.cashplus")
    page = _rows(office.get("/network/security-events").text)
    assert "numéros de séquence sautés" in page
    assert "code d&#39;activation erroné" not in page
    assert office.get("/audit/log").status_code == 403


def test_no_page_an_auditor_reaches_offers_a_button_that_writes(
    world: World, terminal: TestTerminal
) -> None:
    first = world.services.audit.checkpoint()
    _, jws = _receipt_jws(terminal)
    office = _auditor(world)
    menu = [n.path for n in NAVIGATION if Role.AUDITOR in n.roles]
    assert {"/audit/log", "/audit/receipts", "/audit/security-events"} <= set(menu)
    pages = ["/", *menu, "/audit/receipts?receipt=" + jws, f"/audit/log?old={first.size}"]
    seen: set[str] = set()
    for path in pages:  # the menu's pages and every page they link to
        if path in seen:
            continue
        seen.add(path)
        answer = office.get(path)
        # A linked day not yet reconciled may be a 404: a page all the same, with no button.
        assert answer.status_code == 200 or (path not in menu and answer.status_code == 404), path
        if not answer.headers["content-type"].startswith("text/html"):
            continue  # an export
        posts = _WRITE_BUTTON.findall(answer.text)
        # The receipt's image is sent by POST (a file needs one) to a route that reads only.
        reading = [p for p in posts if p.removeprefix("/back-office") in READING_POSTS]
        assert [p for p in posts if p not in reading] == ["/back-office/sign-out"], path
        if path in menu:
            pages += [
                p.replace("&amp;", "&")
                for p in _LINK.findall(answer.text)
                if not p.startswith("/static") and not p.endswith((".csv", ".jws"))
            ]
    assert len(seen) > len(menu)


def test_every_write_url_of_the_back_office_refuses_an_auditor(world: World) -> None:
    office = _auditor(world)
    token = csrf_of(office.get("/").text)
    samples = {"integer": "1", "string": "CA-01", "path": "x"}
    writes = [
        r
        for r in ROUTES
        if isinstance(r, Route)
        and "POST" in (r.methods or set())
        and r.path not in ("/sign-in", "/sign-out", *READING_POSTS)
    ]
    assert len(writes) > 10
    for route in writes:
        path = route.path
        for name, convertor in route.param_convertors.items():
            kind = type(convertor).__name__.removesuffix("Convertor").lower()
            path = re.sub(r"\{" + name + r"(:[a-z]+)?\}", samples.get(kind, "x"), path)
        answer = office.post(path, {"csrf_token": token})
        assert answer.status_code == 403, path
        assert "Votre rôle ne permet pas cette action." in answer.text, path


# -- a receipt read from the QR of its ticket -------------------------------------------------


def ticket_of(jws: str, path: Path) -> bytes:
    """The ticket as the terminal prints it to a file (``qurb-terminal receipt print --png``):
    its text, then the QR of the receipt's JWS, 1-bit at 203 dpi."""
    text = render_ticket(decode_unverified(jws), width=58)
    ticket_png(text, jws, path, width=58)
    return path.read_bytes()


def as_photographed(png: bytes) -> bytes:
    """The ticket as a phone sees it: turned 23°, enlarged 1.6 times, grey, JPEG."""
    ticket = Image.open(io.BytesIO(png)).convert("L")
    turned = ticket.rotate(23, expand=True, fillcolor=235, resample=Image.Resampling.BICUBIC)
    size = (int(turned.width * 1.6), int(turned.height * 1.6))
    out = io.BytesIO()
    turned.resize(size, Image.Resampling.BICUBIC).save(out, format="JPEG", quality=85)
    return out.getvalue()


def upload(
    office: BackOffice, data: bytes, name: str = "ticket.png", *, lang: str = "fr"
) -> Response:
    token = csrf_of(office.get("/audit/receipts").text)
    mime = "image/jpeg" if name.endswith(".jpg") else "image/png"
    return office.post(
        f"/audit/receipts?lang={lang}", {"csrf_token": token}, files={"image": (name, data, mime)}
    )


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_an_auditor_uploads_the_tickets_png_and_its_receipt_is_checked(
    world: World, terminal: TestTerminal, tmp_path: Path
) -> None:
    number, jws = _receipt_jws(terminal)
    office = _auditor(world)
    before = world.services.audit.checkpoint().size
    page = upload(office, ticket_of(jws, tmp_path / "ticket.png"))
    assert page.status_code == 200, page.text[:500]
    assert "Reçu lu dans le QR de l&#39;image." in page.text
    assert f"Le reçu {number} est authentique" in page.text
    assert "Preuve d&#39;inclusion" in page.text
    assert jws in page.text  # what the QR held, in the box, to copy
    assert world.services.audit.checkpoint().size == before  # a check writes no leaf


def test_a_turned_enlarged_photo_of_the_ticket_is_read_too(
    world: World, terminal: TestTerminal, tmp_path: Path
) -> None:
    number, jws = _receipt_jws(terminal)
    photo = as_photographed(ticket_of(jws, tmp_path / "ticket.png"))
    page = upload(_auditor(world), photo, "photo.jpg")
    assert page.status_code == 200, page.text[:500]
    assert f"Le reçu {number} est authentique" in page.text


def test_a_qr_on_a_transparent_background_is_read(
    world: World, terminal: TestTerminal, tmp_path: Path
) -> None:
    """Some scanner apps export the QR with its light modules clear: they count as white."""
    number, jws = _receipt_jws(terminal)
    qr_png(jws, tmp_path / "qr.png")
    ink = Image.open(tmp_path / "qr.png").convert("L")
    clear = Image.new("RGBA", ink.size, (0, 0, 0, 0))
    clear.putalpha(ink.point(lambda v: 255 - v))  # dark modules opaque black, the rest clear
    page = upload(_auditor(world), _png(clear))
    assert page.status_code == 200, page.text[:500]
    assert f"Le reçu {number} est authentique" in page.text


def test_a_forged_receipt_in_a_qr_is_shown_as_forged(
    world: World, terminal: TestTerminal, tmp_path: Path
) -> None:
    _, jws = _receipt_jws(terminal)
    head, body, signature = jws.split(".")
    forged = f"{head}.{body}.{signature[:10]}{'A' if signature[10] != 'A' else 'B'}{signature[11:]}"
    page = upload(_auditor(world), ticket_of(forged, tmp_path / "forged.png"))
    assert page.status_code == 200
    assert "La signature du reçu ne se vérifie pas" in page.text
    assert "est authentique" not in page.text


def _refusal(page: Response) -> str:
    assert page.status_code == 422, page.text[:500]
    assert 'name="image"' in page.text  # the form is there to try again
    assert "est authentique" not in page.text
    return page.text.replace("&#39;", "'")


def test_a_file_that_is_not_an_image_is_refused_in_french_and_arabic(world: World) -> None:
    office = _auditor(world)
    garbage = secrets.token_bytes(20_000)
    assert "n'est pas une image PNG ou JPEG lisible" in _refusal(upload(office, garbage))
    assert "ليس صورة PNG أو JPEG" in _refusal(upload(office, garbage, lang="ar"))
    # A PNG's signature with nothing behind it is no image either.
    truncated = _png(Image.new("L", (300, 300), 255))[:60]
    assert "n'est pas une image" in _refusal(upload(office, truncated))
    gif = io.BytesIO()
    Image.new("L", (40, 40), 255).save(gif, format="GIF")
    assert "n'est pas une image" in _refusal(upload(office, gif.getvalue(), "x.gif"))


def test_an_image_without_a_qr_is_refused(world: World) -> None:
    blank = Image.new("L", (600, 400), 255)
    ImageDraw.Draw(blank).text((20, 20), "CNSS - AMO TNS  R-CASHPLUS-00000001", fill=0)
    text = _refusal(upload(_auditor(world), _png(blank)))
    assert "Aucun code QR n'a été trouvé dans l'image" in text


def test_an_image_with_two_qr_codes_is_refused(
    world: World, terminal: TestTerminal, tmp_path: Path
) -> None:
    _, jws = _receipt_jws(terminal)
    qr_png(jws, tmp_path / "a.png")
    qr_png("https://example.org/other", tmp_path / "b.png")
    a, b = Image.open(tmp_path / "a.png"), Image.open(tmp_path / "b.png")
    both = Image.new("1", (a.width + b.width + 40, max(a.height, b.height)), 1)
    both.paste(a, (0, 0))
    both.paste(b, (a.width + 40, 0))
    text = _refusal(upload(_auditor(world), _png(both)))
    assert "L'image montre plusieurs codes QR" in text


def test_a_qr_that_holds_no_qurb_receipt_is_refused(world: World, tmp_path: Path) -> None:
    office = _auditor(world)
    for other in ("https://example.org/pay?amount=100", "eyJhbGciOiJub25lIn0.e30.", "a.b.c"):
        qr_png(other, tmp_path / "other.png")
        text = _refusal(upload(office, (tmp_path / "other.png").read_bytes()))
        assert "Ce code QR n'est pas celui d'un reçu Qurb." in text, other


def test_an_image_over_the_caps_is_refused_before_it_is_decoded(world: World) -> None:
    office = _auditor(world)
    # More pixels than the cap (a 1-bit PNG of 8000 × 6000 is small on the wire).
    huge = _png(Image.new("1", (8_000, 6_000), 1))
    assert len(huge) < 1024 * 1024
    assert "L'image est trop grande" in _refusal(upload(office, huge))
    # More bytes than the cap: refused while it arrives, never decoded.
    heavy = b"\x89PNG\r\n\x1a\n" + bytes(6 * 1024 * 1024)
    refused = upload(office, heavy)
    assert refused.status_code == 413
    assert "L'image est trop grande" in refused.text.replace("&#39;", "'")


def test_a_body_sent_without_its_length_is_cut_at_the_cap_too(world: World) -> None:
    """Chunked, with no Content-Length to refuse it by: refused once the cap is passed,
    a multipart form as an urlencoded one."""
    office = _auditor(world)
    token = csrf_of(office.get("/audit/receipts").text)

    def chunks(head: bytes) -> Iterator[bytes]:
        yield head
        for _ in range(12):  # 12 MiB offered
            yield b"A" * (1024 * 1024)

    boundary = "qurbtest"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="t.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    for kind, first in (
        (f"multipart/form-data; boundary={boundary}", head),
        ("application/x-www-form-urlencoded", f"csrf_token={token}&image=".encode()),
    ):
        answer = office.client.post(
            "/back-office/audit/receipts", content=chunks(first), headers={"Content-Type": kind}
        )
        assert "content-length" not in answer.request.headers
        assert answer.status_code == 413, kind
        assert "L'image est trop grande" in answer.text.replace("&#39;", "'"), kind


def test_the_image_never_reaches_the_disk_nor_the_logs(
    world: World,
    terminal: TestTerminal,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Starlette keeps an upload past 1 MiB in a temporary file; this one stays in memory."""
    rolled: list[int] = []
    rollover = tempfile.SpooledTemporaryFile.rollover

    def spy(self: tempfile.SpooledTemporaryFile[bytes]) -> None:
        rolled.append(1)
        rollover(self)

    monkeypatch.setattr(tempfile.SpooledTemporaryFile, "rollover", spy)
    number, jws = _receipt_jws(terminal)
    ticket = Image.open(io.BytesIO(ticket_of(jws, tmp_path / "t.png"))).convert("L")
    # A 4 MiB photo: the ticket beside noise no compressor shrinks.
    noise = Image.frombytes("L", (2_000, 2_000), secrets.token_bytes(4_000_000))
    photo = Image.new("L", (ticket.width + 2_000 + 100, 2_000), 255)
    photo.paste(ticket, (0, 0))
    photo.paste(noise, (ticket.width + 100, 0))
    data = _png(photo)
    assert 3 * 1024 * 1024 < len(data) < 5 * 1024 * 1024
    with caplog.at_level("DEBUG"):
        page = upload(_auditor(world), data, "big-photo.png")
    assert page.status_code == 200, page.text[:300]
    assert f"Le reçu {number} est authentique" in page.text
    assert rolled == []
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "big-photo.png" not in logged
    assert jws.split(".")[2] not in logged


def test_the_receipt_image_check_refuses_every_other_role(world: World, tmp_path: Path) -> None:
    for username in ("cnss.finance", "cnss.admin", "admin.cashplus"):
        office = BackOffice(world)
        assert office.sign_in(username).status_code == 303
        token = csrf_of(office.get("/").text)
        answer = office.post(
            "/audit/receipts",
            {"csrf_token": token},
            files={"image": ("t.png", _png(Image.new("L", (10, 10), 255)), "image/png")},
        )
        assert answer.status_code == 403, username


def test_the_photo_of_a_ticket_whose_qr_is_the_verification_link_is_checked(
    world: World, terminal: TestTerminal, tmp_path: Path
) -> None:
    number, jws = _receipt_jws(terminal)
    compact = world.services.receipts.compact_of(jws)
    assert compact is not None
    link = verification_link("https://qurb.cnss.ma", compact)
    path = tmp_path / "ticket.png"
    ticket_png(render_ticket(decode_unverified(jws), width=58), link, path, width=58)
    page = upload(_auditor(world), as_photographed(path.read_bytes()), "photo.jpg")
    assert page.status_code == 200, page.text[:500]
    assert f"Le reçu {number} est authentique" in page.text
    assert "Preuve d&#39;inclusion" in page.text


def test_a_pasted_link_with_its_spaces_as_the_browser_wrote_them_is_checked(
    world: World, terminal: TestTerminal
) -> None:
    number, jws = _receipt_jws(terminal)
    compact = world.services.receipts.compact_of(jws)
    assert compact is not None
    link = "https://qurb.cnss.ma/V#" + compact.replace(" ", "%20")
    page = _auditor(world).get("/audit/receipts", params={"receipt": link})
    assert page.status_code == 200, page.text[:500]
    assert f"Le reçu {number} est authentique" in page.text


def test_a_compact_receipt_signed_by_another_key_is_found_unpublished(
    world: World, terminal: TestTerminal
) -> None:
    _, jws = _receipt_jws(terminal)
    claims = jwt.decode(jws, options={"verify_signature": False})
    forged = compact_sign(claims, Ed25519CompactSigner(generate_private_key()))
    page = _auditor(world).get("/audit/receipts", params={"receipt": forged})
    assert page.status_code == 200, page.text[:500]
    assert "signé par une clé qui n&#39;est pas une clé publiée" in page.text
