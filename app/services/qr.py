"""Join links and their QR codes (SVG, drawn by segno)."""

from __future__ import annotations

import io

import segno

from app.config import Settings
from app.models.events import Event


def join_url(settings: Settings, event: Event) -> str:
    return f"{settings.base_url}/j/{event.join_code}"


def qr_svg(url: str, *, scale: int = 10) -> str:
    """An SVG document of the QR code, sized by ``scale`` pixels per module."""
    buffer = io.BytesIO()
    qr = segno.make(url, error="m", micro=False)
    qr.save(
        buffer,
        kind="svg",
        scale=scale,
        border=2,
        xmldecl=False,
        svgns=True,
        title="QR",
        dark="#000",
        light="#fff",
    )
    return buffer.getvalue().decode()
