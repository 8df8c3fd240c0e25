from __future__ import annotations

import sqlalchemy as sa
from flask import render_template, request

from participa.accounts.rules import Role
from participa.audit import operations
from participa.audit.models import AuditEvent
from participa.core import db
from participa.core.security import role_required

PAGE_SIZE = 50


def public_head():
    """The current head of the log, public so that anyone can pin it (DESIGN §4, Audit)."""
    session = db.session()
    block = operations.latest_block(session)
    return render_template("audit/head.html", head=operations.head(session), block=block)


@role_required(Role.ADMIN, Role.CERTIFIER)
def list_events():
    before = request.args.get("antes", type=int)
    query = sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(PAGE_SIZE)
    if before:
        query = query.where(AuditEvent.id < before)
    events = list(db.session.execute(query).scalars())
    return render_template("audit/events.html", events=events, page_size=PAGE_SIZE)
