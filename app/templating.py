"""Jinja2 with the i18n extension; ``render`` adds what every page needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from app import i18n
from app.models import events, maps, notes, people, topics
from app.models.events import BLOCK_KIND_LABELS, PHASE_LABELS
from app.services.access import EventAccess, live_path
from app.web import CDN_SCRIPTS, csrf_token

TEMPLATE_DIR = Path(__file__).parent / "templates"


def model_limits() -> dict[str, int]:
    """Every ``*_MAX`` length of the models, for the forms' ``maxlength``: ``limits.TITLE_MAX``
    in a template is the same number the column and the service's check use."""
    found: dict[str, int] = {}
    for module in (events, maps, notes, people, topics):
        for name, value in vars(module).items():
            if not (name.endswith("_MAX") and isinstance(value, int)):
                continue
            if found.setdefault(name, value) != value:
                raise ValueError(f"two models define {name} differently")
    return found


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True
    )
    env.filters["bidi"] = i18n.bidi
    env.globals["cdn_scripts"] = CDN_SCRIPTS
    env.globals["language_name"] = i18n.language_name
    env.globals["direction"] = i18n.direction
    env.globals["LOCALES"] = i18n.LOCALES
    env.globals["get_locale"] = i18n.get_locale
    env.globals["gettext_in"] = i18n.gettext_in
    env.globals["N_"] = i18n.N_
    env.globals["phase_labels"] = PHASE_LABELS
    env.globals["kind_labels"] = BLOCK_KIND_LABELS
    env.globals["format_date"] = i18n.format_day
    env.globals["day_heading"] = i18n.day_heading
    env.globals["limits"] = model_limits()
    return env


templates = Jinja2Templates(env=_environment())


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    settings = request.app.state.settings
    full_context: dict[str, Any] = {
        "csrf_token": csrf_token(request.state.sid, settings.secret),
        "use_cdn": settings.use_cdn,
        "locale": request.state.locale,
        "is_htmx": request.headers.get("hx-request") == "true",
        **(context or {}),
    }
    access = full_context.get("access")
    if isinstance(access, EventAccess) and access.is_staff and "live_url" not in full_context:
        # Every organiser page of an event shows its phase live (the control panel has more).
        full_context["staff_live_url"] = live_path(
            access=access, audience="staff", secret=settings.secret
        )
    return templates.TemplateResponse(
        request, name, full_context, status_code=status_code, headers=headers
    )
