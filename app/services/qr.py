"""Join links and their QR codes (SVG, drawn by segno)."""

from __future__ import annotations

import io

import segno

from app.config import Settings
from app.models.events import Event

BORDER = 2  # modules of quiet zone; the board and poster put the code on a white card


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
        border=BORDER,
        xmldecl=False,
        svgns=True,
        title="QR",
        dark="#000",
        light="#fff",
    )
    width, height = qr.symbol_size(scale=scale, border=BORDER)
    # segno writes width and height but no viewBox: CSS could then resize the box (board,
    # poster) but not the drawing, which stayed small in a corner of it.
    return buffer.getvalue().decode().replace("<svg ", f'<svg viewBox="0 0 {width} {height}" ', 1)
