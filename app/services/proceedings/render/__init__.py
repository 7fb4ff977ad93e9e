"""Renderers of the proceedings, one module per format. Each takes a ``Report`` and the
upload folder (for photos) and returns the file's bytes.

The JSON export is not a rendering of the report but the event's data itself: see
``app/services/proceedings/archive/``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app.services.proceedings.report import Report

Renderer = Callable[..., bytes]


def renderer(fmt: str) -> Renderer:
    """The renderer of a report format (imported on first use: WeasyPrint is heavy)."""
    if fmt == "html":
        from app.services.proceedings.render.html import render_html

        return render_html
    if fmt == "pdf":
        from app.services.proceedings.render.pdf import render_pdf

        return render_pdf
    if fmt == "docx":
        from app.services.proceedings.render.docx import render_docx

        return render_docx
    if fmt == "md":
        from app.services.proceedings.render.markdown import render_markdown

        return render_markdown
    if fmt == "csv":
        from app.services.proceedings.render.csvzip import render_csv_zip

        return render_csv_zip
    raise KeyError(fmt)


def render(report: Report, fmt: str, *, upload_dir: Path) -> bytes:
    result: bytes = renderer(fmt)(report, upload_dir=upload_dir)
    return result
