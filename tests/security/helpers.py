"""Helpers for the adversarial tests (plain functions, like tests/factories.py)."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from app.db import UNSAFE_METHODS

# What each path parameter becomes when an attacker makes up an address: ids that may or may
# not exist, a link token and a signature that are wrong, a real export format.
MADE_UP = {"token": "1.0123456789abcdef", "signature": "0" * 32, "fmt": "pdf"}


def routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every HTTP route, with the prefixes of included routers applied."""
    found = [
        (method, str(context.path))
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        for method in sorted(context.methods or ())
        if method in UNSAFE_METHODS or method == "GET"
    ]
    assert len(found) >= 100  # a walk over nothing would pass
    return found


def fill(path: str, *, slug: str) -> str:
    """The route's path with ``slug`` and made-up values for its other parameters."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return slug if name == "slug" else MADE_UP.get(name, "1")

    return re.sub(r"{(\w+)}", value, path)
