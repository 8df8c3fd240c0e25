"""Small helpers shared by the registry web tests."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from participa.accounts.models import User
from participa.audit.models import AuditEvent
from participa.core import db
from participa.core.db import utcnow
from participa.registry.models import Organisation, Representation
from tests.fixtures.accounts import csrf_token

MY_ORGS = "/mis-organizaciones"
PNG = b"\x89PNG\r\n\x1a\n"
JPEG = b"\xff\xd8\xff"


def pdf_bytes() -> bytes:
    """A small PDF, unique per call so that a stored copy can be recognised."""
    return b"%PDF-1.4\n% acta " + uuid.uuid4().hex.encode() + b"\n%%EOF\n"


def post_request(
    client: FlaskClient,
    rut_text: str,
    *,
    content: bytes | None = None,
    filename: str = "acta.pdf",
    position: str = "presidente",
) -> Any:
    """Ask, through /mis-organizaciones, to represent the organisation with ``rut_text``."""
    token = csrf_token(client, MY_ORGS)
    return client.post(
        MY_ORGS,
        data={
            "csrf_token": token,
            "rut": rut_text,
            "position": position,
            "document": (io.BytesIO(pdf_bytes() if content is None else content), filename),
        },
        content_type="multipart/form-data",
    )


def decide(client: FlaskClient, rep_id: int, decision: str, reason: str = "", *, token_path: str = MY_ORGS) -> Any:
    token = csrf_token(client, token_path)
    return client.post(
        f"/catastro/representantes/{rep_id}/decision",
        data={"csrf_token": token, "decision": decision, "reason": reason},
    )


def revoke(client: FlaskClient, rep_id: int, reason: str = "", *, token_path: str = MY_ORGS) -> Any:
    token = csrf_token(client, token_path)
    return client.post(f"/catastro/representantes/{rep_id}/revocar", data={"csrf_token": token, "reason": reason})


def change_status(client: FlaskClient, org_id: int, action: str, reason: str = "", *, token_path: str = MY_ORGS) -> Any:
    token = csrf_token(client, token_path)
    return client.post(
        f"/catastro/organizaciones/{org_id}/estado", data={"csrf_token": token, "action": action, "reason": reason}
    )


def representations(user_id: int) -> list[Representation]:
    db.session.expire_all()
    return list(
        db.session.execute(
            sa.select(Representation).where(Representation.user_id == user_id).order_by(Representation.id)
        ).scalars()
    )


def representation(rep_id: int) -> Representation:
    db.session.expire_all()
    found = db.session.get(Representation, rep_id)
    assert found is not None
    return found


def organisation(org_id: int) -> Organisation:
    db.session.expire_all()
    found = db.session.get(Organisation, org_id)
    assert found is not None
    return found


def roles_of(user_id: int) -> set[str]:
    db.session.expire_all()
    user = db.session.get(User, user_id)
    assert user is not None
    return user.role_names()


def events(action: str, object_type: str | None = None, object_id: object | None = None) -> list[AuditEvent]:
    db.session.expire_all()
    query = sa.select(AuditEvent).where(AuditEvent.action == action)
    if object_type is not None:
        query = query.where(AuditEvent.object_type == object_type)
    if object_id is not None:
        query = query.where(AuditEvent.object_id == str(object_id))
    return list(db.session.execute(query.order_by(AuditEvent.id)).scalars())


def files_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def make_representation(
    session, user: User, org: Organisation, *, status: str = "requested", position: str = "presidente"
) -> Representation:
    """A representation row written directly (no document on disk): for pages that only list it."""
    rep = Representation(
        user_id=user.id,
        organisation_id=org.id,
        position=position,
        document_name="acta.pdf",
        document_stored=uuid.uuid4().hex + ".bin",
        document_type="application/pdf",
        document_sha256="0" * 64,
        status=status,
        approved_at=utcnow() if status in ("approved", "revoked") else None,
        revoked_at=utcnow() if status == "revoked" else None,
    )
    session.add(rep)
    session.commit()
    return rep
