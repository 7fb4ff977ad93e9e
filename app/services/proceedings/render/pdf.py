"""The proceedings as PDF: the HTML file laid out by WeasyPrint, which embeds the fonts used
(subsets of DejaVu Sans or Noto Sans, so Cyrillic renders anywhere).

WeasyPrint never goes to the network: its fetcher takes data: URIs (the embedded photos) and
files inside the upload folder, and refuses everything else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from PIL import ImageFile
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from app.services.proceedings.render import images
from app.services.proceedings.render.html import render_document
from app.services.proceedings.report import Report

# Importing WeasyPrint turns on Pillow's LOAD_TRUNCATED_IMAGES for the whole process, which
# would let a damaged photo through the upload checks after the first PDF export. Our images
# are whole (re-encoded on upload), so WeasyPrint does not need it.
ImageFile.LOAD_TRUNCATED_IMAGES = False


class LocalFetcher(URLFetcher):
    """Only data: URIs and files under ``folder``."""

    def __init__(self, folder: Path) -> None:
        super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False)
        self.folder = folder

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme == "file":
            if parts.netloc not in ("", "localhost"):
                raise ValueError(f"Not fetched: {url[:80]}")
            path = Path(url2pathname(parts.path))
            if images.within(self.folder, str(path)) is None:
                raise ValueError(f"Not fetched: {url[:80]}")
        elif parts.scheme != "data":
            raise ValueError(f"Not fetched: {url[:80]}")
        return super().fetch(url, headers)


def render_pdf(report: Report, *, upload_dir: Path) -> bytes:
    document = render_document(report, upload_dir=upload_dir, max_pixels=images.PRINT_PIXELS)
    pdf = HTML(
        string=document, base_url=str(upload_dir), url_fetcher=LocalFetcher(upload_dir)
    ).write_pdf()
    assert pdf is not None  # None only when writing to a target
    return bytes(pdf)
