"""The verification page's route (``/V``, as the ticket's QR spells it), its static files,
and what the page embeds: the receipt keys the hub publishes (``GET /v1/keys``), the compact
form's claim table (``agent_api.protocol.compact_claims``) and the words its script shows.

Embedding the keys is the point: what the worker's phone shows rests on the signature and
the keys the page came with, not on an answer from the hub's database.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from agent_api.http.middleware import ROUTE_KEY
from agent_api.http.security_headers import PAGE_POLICY
from agent_api.protocol.compact_claims import ENUMS, KEYS, MAX_RUN, SHAPES
from agent_api.protocol.compact_receipt import KID_BYTES, PREFIX
from agent_api.services.container import Services
from qurb.verify.labels import CATALOGS, DEFAULT_LANGUAGE, LANGUAGES

HERE = Path(__file__).parent
PATH = "/V"
STATIC = "/verify/static"
TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
# The words the script fills in once it has read the receipt; the rest is in the template.
_SCRIPT_WORDS = (
    "kind.",
    "certificate.",
    "status.",
    "month.",
    "log.",
    "beneficiary.",
    "care.",
    "warning.",
    "file.",
    "reason.",
)


def language(request: Request) -> str:
    """``?lang=`` when it names one; else Arabic for a phone set to Arabic; else French."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    preferred = request.headers.get("accept-language", "").split(",")[0].strip().lower()
    return "ar" if preferred.startswith("ar") else DEFAULT_LANGUAGE


def receipt_keys(services: Services) -> list[dict[str, str]]:
    """The published receipt keys, as the page checks them: kid and raw key (base64url)."""
    return [
        {"kid": k["kid"], "x": k["x"]}
        for k in services.jwks.get("keys", [])
        if k.get("crv") == "Ed25519" and "kid" in k and "x" in k
    ]


def _context(request: Request, lang: str) -> dict[str, Any]:
    words = CATALOGS[lang]
    services: Services = request.app.state.services
    compact = {
        "prefix": PREFIX,
        "kid_bytes": KID_BYTES,
        "keys": KEYS,
        "enums": ENUMS,
        "shapes": SHAPES,
        "max_run": MAX_RUN,
    }
    return {
        "t": words.__getitem__,
        "lang": lang,
        "dir": "rtl" if lang == "ar" else "ltr",
        "other": "ar" if lang == "fr" else "fr",
        "static": STATIC,
        "keys_json": json.dumps(receipt_keys(services), separators=(",", ":")),
        "compact_json": json.dumps(compact, separators=(",", ":")),
        "words_json": json.dumps(
            {k: v for k, v in words.items() if k.startswith(_SCRIPT_WORDS)},
            ensure_ascii=False,
            separators=(",", ":"),
        ),
    }


async def verify_page(request: Request) -> Response:
    request.scope[ROUTE_KEY] = PATH
    lang = language(request)
    html = TEMPLATES.get_template("verify.html").render(**_context(request, lang))
    response = HTMLResponse(html)
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    # The page holds no receipt (it is in the fragment): it may be cached, briefly, since
    # the keys it embeds change only when the receipt key rotates.
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Vary"] = "Accept-Language"
    return response


ROUTES: list[BaseRoute] = [
    Route(PATH, verify_page, methods=["GET"], name="verify"),
    # The same page for someone who types the address in lower case.
    Route(PATH.lower(), verify_page, methods=["GET"], name="verify-lower"),
    Mount(STATIC, StaticFiles(directory=HERE / "static"), name="verify-static"),
]
