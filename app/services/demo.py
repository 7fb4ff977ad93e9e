"""The demo event (placeholder, replaced below)."""

from __future__ import annotations

DEMO_EMAIL = "organiser@demo.openspace.invalid"
DEMO_PASSWORD = "open-space-demo"
