"""Printable documents (the certificate, a commitment's ficha) as PDF, from the page's own markup.

WeasyPrint lays out HTML and CSS for paged media (``@page`` size and margins, page breaks) in
Python, so the PDF is the page a citizen sees, printed; it is actively maintained and needs no
browser. It needs Pango from the operating system (``make install`` and the Dockerfile install
it).

Rendering takes a second or two of CPU, and a given markup always gives the same document: each
PDF is kept under the SHA-256 of the markup it was rendered from (which holds the language and
every value shown), so a certificate or a ficha's version is rendered once per language and
template, and a few renders at most run at a time in a process."""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from pathlib import Path

from flask import current_app

from participa.config import ROOT

STYLESHEET = ROOT / "static" / "css" / "certificate.css"
RENDER_WAIT = 20.0
_renders = threading.BoundedSemaphore(2)


class RenderBusy(Exception):
    """Every render slot of this process stayed busy: the caller answers 503."""


def render_pdf(html: str) -> bytes:
    from weasyprint import CSS, HTML, URLFetcher

    # Nothing is fetched while rendering but the QR code, which is a data: URI.
    fetcher = URLFetcher(allowed_protocols={"data"})
    document = HTML(string=html, base_url=str(ROOT), url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[CSS(filename=str(STYLESHEET), url_fetcher=fetcher)])


def cached_pdf(html: str, folder: str) -> bytes:
    """The PDF of this markup: from the cache (``instance/cache/<folder>``), or rendered and kept
    (written to a temporary file and renamed, so that a reader never sees half a file)."""
    key = hashlib.sha256(html.encode("utf-8") + STYLESHEET.read_bytes()).hexdigest()
    path = Path(current_app.instance_path) / "cache" / folder / f"{key}.pdf"
    if path.exists():
        return path.read_bytes()
    if not _renders.acquire(timeout=RENDER_WAIT):
        raise RenderBusy()
    try:
        if path.exists():  # rendered by another thread while this one waited
            return path.read_bytes()
        data = render_pdf(html)
    finally:
        _renders.release()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temporary, path)
    return data


def qr_data_uri(url: str) -> str:
    """The QR code of a verification address, as a PNG data URI (a page and its PDF embed the
    same image; the content security policy allows data: images)."""
    import segno

    return segno.make(url, error="m").png_data_uri(scale=6, border=4)
