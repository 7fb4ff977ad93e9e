"""The proceedings as HTML: the report page's body, and one self-contained file.

The file inlines the stylesheet and the photos (data: URIs) and loads nothing from anywhere.
It names DejaVu Sans and Noto Sans, with the generic sans-serif family after them, instead
of embedding a font: a Cyrillic font is 700 KB or more per style, and every system that opens
the file has a sans-serif font with Cyrillic.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from app import i18n
from app.services import markdown
from app.services.proceedings.render import images
from app.services.proceedings.report import PhotoView, Report, convener_text

TEMPLATE_DIR = Path(__file__).resolve().parents[3] / "templates"
CSS_FILE = Path(__file__).resolve().parents[3] / "static" / "css" / "report.css"


@cache
def environment() -> jinja2.Environment:
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
    # Notes as on the notes page: app/services/markdown.py (images dropped, links checked).
    env.filters["markdown"] = markdown.render
    return env


@cache
def stylesheet() -> Markup:
    return Markup(CSS_FILE.read_text(encoding="utf-8"))  # noqa: S704 (our own file)


def _context(report: Report, *, upload_dir: Path, max_pixels: int) -> dict[str, object]:
    def source(photo: PhotoView) -> str:
        return photo.screen_path if max_pixels <= images.SCREEN_PIXELS else photo.path

    paths = (source(photo) for photo in report.photos)
    pictures = images.load_many(upload_dir, paths, max_pixels=max_pixels)
    logos = images.logos(upload_dir, (host.logo for host in report.hosts))

    def picture(photo: PhotoView) -> images.Picture | None:
        return pictures.get(source(photo))

    return {
        "report": report,
        "picture": picture,
        # The hosts whose logo could be read, with it: a row on the cover.
        "logos": [(host, image) for host in report.hosts if (image := logos.get(host.logo))],
        "conveners": convener_text,
        "generated": i18n.format_day(
            report.generated_at.date(), weekday=False, locale=report.locale
        ),
    }


def render_body(report: Report, *, upload_dir: Path, max_pixels: int = images.MAX_PIXELS) -> Markup:
    """The report's content, for the organisers' report page (in the report's language)."""
    with i18n.use_locale(report.locale):
        html = (
            environment()
            .get_template("report/_body.html")
            .render(_context(report, upload_dir=upload_dir, max_pixels=max_pixels))
        )
    return Markup(html)  # noqa: S704 (rendered with autoescape)


def render_document(
    report: Report, *, upload_dir: Path, max_pixels: int = images.SCREEN_PIXELS
) -> str:
    """One self-contained, print-ready HTML file."""
    with i18n.use_locale(report.locale):
        return (
            environment()
            .get_template("report/document.html")
            .render(
                css=stylesheet(), **_context(report, upload_dir=upload_dir, max_pixels=max_pixels)
            )
        )


def render_html(report: Report, *, upload_dir: Path) -> bytes:
    return render_document(report, upload_dir=upload_dir).encode("utf-8")
