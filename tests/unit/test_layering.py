"""The one-way rule of STYLE.md, held on every module's imports.

http → services → (domain, persistence); persistence → domain; domain → nothing (but the
shared leaves ``errors`` and ``clock``); the protocol package is pure; the terminal client
imports only the protocol and an HTTP client; the agent API never imports reconciliation.
The back office's screens (``qurb.backoffice``) are a layer like ``agent_api.http``: they call
services and never reach the database themselves (no persistence, no SQL, no tables), nor the
terminal client.

Within the services, each domain's package imports only the packages it declares
(``SERVICES_MAY_IMPORT``, which its docstring names too), so the packages form one order:
log, sessions, writes, registry, workers, accounts, deposits; the container, which builds
them all, is imported by none but ``writes`` (for typing the pipeline's access to the
services).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# package prefix -> import prefixes it must never use
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "agent_api.protocol": (
        "agent_api.domain",
        "agent_api.persistence",
        "agent_api.services",
        "agent_api.http",
        "agent_api.settings",
        "sqlalchemy",
        "sqlmodel",
        "starlette",
        "httpx",
        "uvicorn",
        "reconciliation",
        "terminal_client",
        "qurb",
    ),
    "agent_api.domain": (
        "agent_api.persistence",
        "agent_api.services",
        "agent_api.http",
        "sqlalchemy",
        "sqlmodel",
        "starlette",
        "httpx",
    ),
    "agent_api.persistence": ("agent_api.services", "agent_api.http", "starlette"),
    "agent_api.services": ("agent_api.http", "starlette"),
    "agent_api": ("reconciliation", "qurb", "terminal_client", "auditor"),
    "terminal_client": (
        "agent_api.domain",
        "agent_api.persistence",
        "agent_api.services",
        "agent_api.http",
        "agent_api.settings",
        "agent_api.errors",
        "sqlalchemy",
        "sqlmodel",
        "starlette",
        "uvicorn",
        "alembic",
        "psycopg",
        "reconciliation",
        "qurb",
    ),
    "reconciliation": ("agent_api.http", "qurb", "terminal_client"),
    "qurb.backoffice": (
        "agent_api.persistence",
        "reconciliation.tables",
        "sqlalchemy",
        "sqlmodel",
        "alembic",
        "psycopg",
        "terminal_client",
    ),
    # The auditor's tool trusts nothing of the service but the pure protocol package.
    "auditor": (
        "agent_api.domain",
        "agent_api.persistence",
        "agent_api.services",
        "agent_api.http",
        "agent_api.settings",
        "reconciliation",
        "qurb",
        "terminal_client",
    ),
}


# package prefix -> banned imports it may use all the same: the counter application is the
# terminal's own local web server (issue 19), so it alone may import the server's libraries;
# the rest of the terminal client still may not.
EXCEPTIONS: dict[str, tuple[str, ...]] = {
    "terminal_client.web": ("starlette", "uvicorn"),
}


# services package -> the other services packages it may import (and says so in its docstring)
SERVICES_MAY_IMPORT: dict[str, tuple[str, ...]] = {
    "log": (),
    "sessions": ("log",),
    "writes": ("log", "sessions", "container"),
    "registry": ("log", "sessions"),
    "workers": ("log", "sessions", "writes"),
    "accounts": ("log", "sessions", "writes", "workers", "registry"),
    "deposits": ("log", "sessions", "writes", "registry", "accounts"),
}
SERVICES_MODULES = (*SERVICES_MAY_IMPORT, "container")
FORBIDDEN.update(
    {
        f"agent_api.services.{package}": tuple(
            f"agent_api.services.{other}"
            for other in SERVICES_MODULES
            if other != package and other not in allowed
        )
        for package, allowed in SERVICES_MAY_IMPORT.items()
    }
)


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        if ".venv" in path.parts or "tests" in path.parts or "build" in path.parts:
            continue
        module = module_name(path, root)
        # The most specific rule that applies; agent_api's sub-layers also obey agent_api's.
        rules = [p for p in FORBIDDEN if _under(module, p)]
        for line, imported in imports_of(path):
            for rule in rules:
                for banned in FORBIDDEN[rule]:
                    if _excepted(module, imported):
                        continue
                    if _under(imported, banned) and not _under(module, banned):
                        found.append(f"{path.relative_to(root)}:{line} {module} imports {imported}")
    return found


def _excepted(module: str, imported: str) -> bool:
    return any(
        _under(module, prefix) and any(_under(imported, name) for name in names)
        for prefix, names in EXCEPTIONS.items()
    )


def test_the_codebase_respects_the_one_way_layering() -> None:
    assert violations(ROOT) == []


@pytest.mark.parametrize(
    ("package", "source"),
    [
        ("terminal_client", "import sqlmodel\n"),
        ("terminal_client", "from agent_api.services.sessions.auth import AuthService\n"),
        ("agent_api", "from reconciliation import close\n"),
        ("agent_api/protocol", "import starlette\n"),
        ("agent_api/domain", "from agent_api.persistence.tables import User\n"),
        ("agent_api/services", "from agent_api.http.io import parse_body\n"),
        ("agent_api/services/log", "from agent_api.services.workers.identity import CinVault\n"),
        ("agent_api/services/sessions", "from agent_api.services.writes import receipts\n"),
        ("agent_api/services/workers", "from agent_api.services.accounts import accounts\n"),
        ("agent_api/services/registry", "from agent_api.services.container import Services\n"),
        ("agent_api/persistence", "from agent_api.services.log import audit_log\n"),
        ("agent_api/domain", "from agent_api.services.accounts import account_store\n"),
        ("qurb/backoffice", "from agent_api.persistence.tables import User\n"),
        ("qurb/backoffice/views", "from sqlmodel import select\n"),
        ("qurb/backoffice", "from reconciliation.tables import ReconciliationRun\n"),
    ],
)
def test_a_forbidden_import_is_caught(tmp_path: Path, package: str, source: str) -> None:
    target = tmp_path / package
    target.mkdir(parents=True)
    (target / "bad.py").write_text(source)
    assert len(violations(tmp_path)) == 1


def test_only_the_counter_app_of_the_terminal_may_import_the_web_server(tmp_path: Path) -> None:
    (tmp_path / "terminal_client" / "web").mkdir(parents=True)
    (tmp_path / "terminal_client" / "web" / "app.py").write_text("import starlette\n")
    (tmp_path / "terminal_client" / "web" / "db.py").write_text("import sqlmodel\n")
    (tmp_path / "terminal_client" / "serve.py").write_text("import uvicorn\n")
    assert [v.split(" ")[0] for v in violations(tmp_path)] == [
        "terminal_client/serve.py:1",
        "terminal_client/web/db.py:1",
    ]


def test_the_terminal_client_may_use_the_protocol_and_httpx(tmp_path: Path) -> None:
    target = tmp_path / "terminal_client"
    target.mkdir()
    (target / "ok.py").write_text("import httpx\nfrom agent_api.protocol import keys\n")
    assert violations(tmp_path) == []


def test_every_services_package_declares_what_it_may_import() -> None:
    services = ROOT / "agent_api" / "services"
    packages = {p.parent.name for p in services.glob("*/__init__.py")}
    assert packages == set(SERVICES_MAY_IMPORT)
    assert {p.stem for p in services.glob("*.py")} == {"__init__", "container"}
    for package, allowed in SERVICES_MAY_IMPORT.items():
        docstring = ast.get_docstring(ast.parse((services / package / "__init__.py").read_text()))
        assert docstring, package
        for other in allowed:
            assert f"``{other}``" in docstring or other == "container", (package, other)


def test_an_accounts_module_may_use_the_workers_but_not_the_reverse(tmp_path: Path) -> None:
    accounts = tmp_path / "agent_api" / "services" / "accounts"
    accounts.mkdir(parents=True)
    (accounts / "ok.py").write_text("from agent_api.services.workers import workers\n")
    assert violations(tmp_path) == []
