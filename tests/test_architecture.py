"""The import contract: imports flow one way, models → services → the edge → routes → the app.

Every module under ``app/`` belongs to one layer, and a layer imports only from the layers
below it (read with ``ast``, so nothing is imported to check it; imports under
``TYPE_CHECKING`` count too, since a type is a dependency):

1. **foundation**: ``app.config``, ``app.db``, ``app.errors``, ``app.i18n``, ``app.migrate``,
   ``app.runtime``, ``app.security``, ``app.realtime.broker``: settings, the database session,
   domain errors, translation, tokens, pub/sub between workers. They know no domain.
2. **models**: ``app.models``: tables and their shapes. No FastAPI, no Starlette.
3. **services**: ``app.services``: the domain, as plain functions with the session passed in.
   No FastAPI, no Starlette: services raise domain errors (``app/errors.py``) and the edge
   turns them into HTTP.
4. **edge**: ``app.realtime`` (hub, frames, the WebSocket protocol) and the web helpers the
   routers share: ``app.web`` (middleware, cookies), ``app.templating`` (``render``),
   ``app.deps`` (typed dependencies), ``app.forms`` (form parsing), ``app.bodylimit`` and
   ``app.pages`` (pages more than one router renders). They may import each other.
5. **routes**: ``app.routes.<area>``: one router per area. A router never imports another
   router: what two of them share belongs in a service, or in an edge module.
6. **entry points**: ``app.main`` (``create_app`` wires everything) and ``app.cli``. The CLI
   drives services only: nothing web-facing, no routers, no realtime but the broker (to tell
   running workers what it changed).

Beside them, **demo**: ``app.demo``, the demo event's seed data and loaders. It builds the event
through the services, as an organiser would, so it sits above them and imports only what the CLI
may import; only the CLI imports it, since nothing in the running app depends on seed data.

A module that fits no layer fails the test too, so a new top-level module is placed on purpose.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"

# Most specific prefix first wins (see layer_of).
LAYERS: dict[str, str] = {
    "app.config": "foundation",
    "app.db": "foundation",
    "app.errors": "foundation",
    "app.i18n": "foundation",
    "app.migrate": "foundation",
    "app.runtime": "foundation",
    "app.security": "foundation",
    "app.realtime.broker": "foundation",
    "app.models": "models",
    "app.services": "services",
    "app.realtime": "edge",
    "app.web": "edge",
    "app.templating": "edge",
    "app.deps": "edge",
    "app.forms": "edge",
    "app.bodylimit": "edge",
    "app.pages": "edge",
    "app.routes": "routes",
    "app.main": "main",
    "app.cli": "cli",
    "app.demo": "demo",
}
ORDER = ("foundation", "models", "services", "edge", "routes", "main")

# What each layer may not import, with the reason shown next to a violation.
FORBIDDEN: dict[str, dict[str, str]] = {
    layer: {above: f"{layer} sits below {above}" for above in ORDER[ORDER.index(layer) + 1 :]}
    for layer in ORDER
}
FORBIDDEN["foundation"]["cli"] = FORBIDDEN["models"]["cli"] = FORBIDDEN["services"]["cli"] = (
    "the CLI is an entry point"
)
FORBIDDEN["edge"]["cli"] = FORBIDDEN["routes"]["cli"] = "the CLI is an entry point"
FORBIDDEN["cli"] = {
    "edge": "the CLI drives services, not the web edge",
    "routes": "the CLI drives services, not routers",
    "main": "the CLI starts the app by its import string, it does not import it",
}
FORBIDDEN["demo"] = {
    "edge": "the demo loads data through services, not the web edge",
    "routes": "the demo loads data through services, not routers",
    "main": "the demo loads data through services, it does not start the app",
    "cli": "the CLI is an entry point",
}
for _layer in ORDER:
    FORBIDDEN[_layer]["demo"] = "only the CLI loads the demo: the app does not depend on seed data"
NO_WEB_FRAMEWORK = {"models", "services", "demo"}  # domain code: no fastapi, no starlette
WEB_FRAMEWORKS = ("fastapi", "starlette")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(APP.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> str | None:
    for prefix in sorted(LAYERS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return LAYERS[prefix]
    return None


def imported(module: str, tree: ast.AST, *, is_package: bool) -> list[tuple[int, str]]:
    """(line, module) for every import, ``from app import x`` read as ``app.x``."""
    found: list[tuple[int, str]] = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
            # "from app import services" and "from app.routes import notes" name modules.
            if base in ("app", "app.routes"):
                found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
    return found


def check(module: str, source: str, *, where: str, is_package: bool = False) -> list[str]:
    """The contract's violations in one module, each as a readable line."""
    layer = layer_of(module)
    if layer is None:
        return [f"{where}: {module} is in no layer: add it to LAYERS in tests/test_architecture.py"]
    problems: list[str] = []
    for line, target in imported(module, ast.parse(source), is_package=is_package):
        top = target.split(".")[0]
        if layer in NO_WEB_FRAMEWORK and top in WEB_FRAMEWORKS:
            problems.append(
                f"{where}:{line} imports {target}: {layer} do not import {top} "
                "(raise a domain error from app/errors.py; the route turns it into HTTP)"
            )
            continue
        if top != "app":
            continue
        target_layer = layer_of(target)
        if target_layer is None:
            continue  # the "app" package itself
        if layer == target_layer == "routes" and target != "app.routes" and target != module:
            problems.append(
                f"{where}:{line} imports {target}: a router never imports another router "
                "(move what both need into a service or an edge module such as app/pages.py)"
            )
        elif target_layer in FORBIDDEN.get(layer, {}):
            reason = FORBIDDEN[layer][target_layer]
            problems.append(f"{where}:{line} imports {target}: {reason}")
    return problems


def violations() -> list[str]:
    found: list[str] = []
    for path in sorted(APP.rglob("*.py")):
        module = module_name(path)
        if module == "app":
            continue
        where = str(path.relative_to(APP.parent))
        found += check(module, path.read_text(), where=where, is_package=path.name == "__init__.py")
    return found


def test_imports_flow_one_way() -> None:
    problems = violations()
    if problems:
        pytest.fail("The import contract is broken:\n" + "\n".join(problems), pytrace=False)


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        (
            "app.routes.board",
            "from app.routes.notes import BOARD_COOKIE\n",
            "app/x.py:1 imports app.routes.notes: a router never imports another router",
        ),
        (
            "app.routes.board",
            "from app.routes import notes\n",
            "app/x.py:1 imports app.routes.notes: a router never imports another router",
        ),
        (
            "app.services.topics.topics",
            "import fastapi\n",
            "app/x.py:1 imports fastapi: services do not import fastapi",
        ),
        (
            "app.services.topics.topics",
            "from starlette.requests import Request\n",
            "app/x.py:1 imports starlette.requests: services do not import starlette",
        ),
        (
            "app.services.topics.topics",
            "from app.templating import render\n",
            "app/x.py:1 imports app.templating: services sits below edge",
        ),
        (
            "app.services.proceedings.render.html",
            "from ....routes.proceedings import router\n",
            "app/x.py:1 imports app.routes.proceedings: services sits below routes",
        ),
        (
            "app.models.topics",
            "if TYPE_CHECKING:\n    from app.services.topics.topics import propose\n",
            "app/x.py:2 imports app.services.topics.topics: models sits below services",
        ),
        (
            "app.realtime.frames",
            "from app.routes.live import router\n",
            "app/x.py:1 imports app.routes.live: edge sits below routes",
        ),
        ("app.cli", "from app.main import create_app\n", "app/x.py:1 imports app.main: the CLI"),
        (
            "app.services.topics.topics",
            "from app.demo import load_demo\n",
            "app/x.py:1 imports app.demo: only the CLI loads the demo",
        ),
        (
            "app.demo.event",
            "from app.routes.board import router\n",
            "app/x.py:1 imports app.routes.board",
        ),
        ("app.newthing", "", "app/x.py: app.newthing is in no layer"),
    ],
)
def test_contract_catches(module: str, source: str, expected: str) -> None:
    problems = check(module, source, where="app/x.py")
    assert len(problems) == 1 and problems[0].startswith(expected), problems


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("app.routes.board", "from app.services import live\nfrom app.web import BOARD_COOKIE\n"),
        (
            "app.services.topics.topics",
            "from app.models.topics import TITLE_MAX\nfrom app import i18n\n",
        ),
        ("app.pages", "from app.realtime.frames import live_context\n"),
        ("app.main", "from app.routes import board, notes\n"),
        ("app.cli", "from app.demo import DEMO_EMAIL, load_demo\n"),
        ("app.demo.event", "from app.services.topics import topics\nfrom app.demo import notes\n"),
        (
            "app.services.proceedings.render.html",
            "from . import csvzip\nfrom ..build import Report\n",
        ),
    ],
)
def test_contract_allows(module: str, source: str) -> None:
    assert check(module, source, where="app/x.py", is_package=False) == []
