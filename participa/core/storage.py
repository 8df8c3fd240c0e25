"""Uploaded files: kept under instance/uploads/<kind>/ (never under static/), named by a random
id, read back only through views that check permission."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import sqlalchemy as sa
from flask import Response, current_app, send_file
from sqlalchemy.orm import Mapped, mapped_column

from participa.core.db import utcnow

_COPY_BLOCK = 1 << 20

# File signatures (magic numbers): the content decides the type, not the name or the browser.
SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}


class UploadError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class StoredFile:
    name: str
    path: Path
    sha256: str
    size: int


def upload_dir(kind: str) -> Path:
    path = Path(current_app.instance_path) / "uploads" / kind
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_of(kind: str, name: str) -> Path:
    if "/" in name or "\\" in name or name.startswith("."):
        raise UploadError("bad_name")
    return upload_dir(kind) / name


def save_upload(stream: BinaryIO, kind: str, *, suffix: str, max_bytes: int) -> StoredFile:
    """Copy an upload to disk in blocks, hashing as it goes; refuses (and removes) a file over
    ``max_bytes`` or an empty one."""
    name = secrets.token_hex(16) + suffix
    digest = hashlib.sha256()
    size = 0
    try:
        path = upload_dir(kind) / name
    except OSError as error:
        raise UploadError("unavailable") from error
    try:
        with path.open("xb") as out:
            while block := stream.read(_COPY_BLOCK):
                size += len(block)
                if size > max_bytes:
                    raise UploadError("too_large")
                digest.update(block)
                out.write(block)
        if size == 0:
            raise UploadError("empty")
    except OSError as error:
        # A folder that is read-only or a disk that is full: nothing is kept, the person is told.
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        raise UploadError("unavailable") from error
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return StoredFile(name, path, digest.hexdigest(), size)


def sniff_type(path: Path) -> str | None:
    """The document type read from the file's first bytes, or ``None`` if not an accepted one."""
    with path.open("rb") as handle:
        head = handle.read(16)
    for mime, signatures in SIGNATURES.items():
        if any(head.startswith(sig) for sig in signatures):
            return mime
    return None


def save_document(stream: BinaryIO, kind: str, *, max_bytes: int) -> tuple[StoredFile, str]:
    """Save an uploaded document and read its type from its content (PDF or image): the stored
    file and its type. Refuses (keeping nothing) what :func:`save_upload` refuses, and any other
    type, with ``UploadError("type")``: the content decides, never the name or the browser."""
    stored = save_upload(stream, kind, suffix=".bin", max_bytes=max_bytes)
    mime = sniff_type(stored.path)
    if mime is None:
        stored.path.unlink(missing_ok=True)
        raise UploadError("type")
    return stored, mime


class StoredDocument:
    """The columns of every uploaded document (a project's attachment, a commitment's document, a
    practice's): the uploader's file name, where it is stored, its type read from its content, its
    size and SHA-256, who uploaded it and when."""

    filename: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(40))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


def document_values(stored: StoredFile, mime: str, filename: str, uploader_id: int, fallback: str) -> dict[str, Any]:
    """The :class:`StoredDocument` columns of a document just saved by :func:`save_document`."""
    return {
        "filename": os.path.basename(filename or fallback)[:255],
        "stored_name": stored.name,
        "content_type": mime,
        "size_bytes": stored.size,
        "sha256": stored.sha256,
        "uploaded_by_id": uploader_id,
    }


def send_document(path: Path, filename: str, mime: str, *, private: bool = False) -> Response:
    """A stored document as a download, never shown inline: its type as read from its content,
    named by :func:`download_name`, the browser told not to guess another type; a private one
    (a person's document) is not kept by caches."""
    response = send_file(path, mimetype=mime, as_attachment=True, download_name=download_name(filename, mime))
    response.headers["X-Content-Type-Options"] = "nosniff"
    if private:
        response.headers["Cache-Control"] = "private, no-store"
    return response


def download_name(original: str, mime: str) -> str:
    """The name a file is offered under: the uploader's name with the extension of the type
    read from the content, so that a PDF-headed 'acta.html' is saved as 'acta.pdf' and never
    opened as a page."""
    stem = Path(original or "documento").name.rsplit(".", 1)[0].strip() or "documento"
    return stem + EXTENSIONS.get(mime, ".bin")
