"""Data requests (issue #15, item 6; the seed's "canales de levantamiento de la información de
interés ciudadano"): anyone signed in asks for a dataset in plain words, others support the
request once each, and open-data staff answer with a status: planned, published (with a link)
or not possible (with the reason). Everything is public and audited, except who asked and who
supported: the public sees the request, its support count and the answer.

Rules are the plain functions at the top; the operations below take the actor and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from participa.accounts.models import User
from participa.accounts.rules import Role
from participa.audit import operations as audit
from participa.core.text import plain_text as plain
from participa.opendata.models import DataRequest, DataRequestSupport

OPEN, PLANNED, PUBLISHED, REFUSED = "open", "planned", "published", "refused"
STATUSES = (OPEN, PLANNED, PUBLISHED, REFUSED)
ANSWERS = (PLANNED, PUBLISHED, REFUSED)
ANSWER_ROLES = (Role.ADMIN, Role.MANAGER, Role.PROGRAMME_STAFF)
TITLE_MIN, TITLE_MAX = 5, 150
BODY_MIN, BODY_MAX = 20, 2000
ANSWER_MAX = 2000
LINK_MAX = 500


class RequestError(Exception):
    """A request refused, with the code of its message (participa.opendata.views)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# --- rules --------------------------------------------------------------------------------------


def request_problem(title: str, body: str) -> str | None:
    """Why a request cannot be filed as written, or None."""
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        return "title_length"
    if not BODY_MIN <= len(body) <= BODY_MAX:
        return "body_length"
    return None


def link_ok(link: str) -> bool:
    """A link to where the data is published: a web address (http or https) or a path of this
    site, never a script or another scheme."""
    if not link or len(link) > LINK_MAX or any(c.isspace() for c in link):
        return False
    parts = urlsplit(link)
    if parts.scheme in ("http", "https"):
        return bool(parts.netloc)
    return not parts.scheme and not parts.netloc and link.startswith("/") and not link.startswith("//")


def answer_problem(status: str, answer: str, link: str) -> str | None:
    """Why an answer cannot be given, or None: a published request needs its link, a refused
    one its reason, and every answer says something."""
    if status not in ANSWERS:
        return "bad_status"
    if status == PUBLISHED and not link_ok(link):
        return "link_required"
    if status != PUBLISHED and link:
        return "link_only_when_published"
    if not 3 <= len(answer) <= ANSWER_MAX:
        return "reason_required" if status == REFUSED else "answer_length"
    return None


# --- reads --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    open: list[DataRequest]
    answered: list[DataRequest]


def listing(session: Session, *, limit: int = 200) -> Listing:
    """Open requests, most supported first; answered ones, latest first."""
    open_ = session.execute(
        sa.select(DataRequest)
        .where(DataRequest.status == OPEN)
        .order_by(DataRequest.supports.desc(), DataRequest.id)
        .limit(limit)
    ).scalars()
    answered = session.execute(
        sa.select(DataRequest)
        .where(DataRequest.status != OPEN)
        .order_by(DataRequest.answered_at.desc(), DataRequest.id.desc())
        .limit(limit)
    ).scalars()
    return Listing(list(open_), list(answered))


def most_supported(session: Session, limit: int = 5) -> list[DataRequest]:
    """The open requests the catalogue shows: the most supported."""
    return listing(session, limit=limit).open


def has_supported(session: Session, user: User | None, request: DataRequest) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return session.get(DataRequestSupport, (request.id, user.id)) is not None


# --- operations ---------------------------------------------------------------------------------


def file_request(session: Session, *, actor: User, title: str, body: str, now: datetime) -> DataRequest:
    """Anyone signed in asks for a dataset; the request is public at once (without its author)."""
    title, body = plain(title), plain(body)
    problem = request_problem(title, body)
    if problem:
        raise RequestError(problem)
    request = DataRequest(title=title, body=body, requested_by_id=actor.id, created_at=now, status=OPEN)
    session.add(request)
    session.flush()
    audit.record("data_requests.filed", actor=actor, object_type="data_request", object_id=request.id)
    return request


def support_request(session: Session, *, actor: User, request: DataRequest, now: datetime) -> None:
    """Someone else supports an open request, once."""
    if request.status != OPEN:
        raise RequestError("not_open")
    if request.requested_by_id == actor.id:
        raise RequestError("own_request")
    try:
        with session.begin_nested():
            session.add(DataRequestSupport(request_id=request.id, user_id=actor.id, created_at=now))
    except IntegrityError as error:
        raise RequestError("already_supported") from error
    session.execute(
        sa.update(DataRequest).where(DataRequest.id == request.id).values(supports=DataRequest.supports + 1)
    )
    session.refresh(request)
    audit.record("data_requests.supported", actor=actor, object_type="data_request", object_id=request.id)


def answer_request(
    session: Session, *, actor: User, request: DataRequest, status: str, answer: str, link: str, now: datetime
) -> None:
    """Open-data staff answer: planned, published with its link, or not possible with the reason.
    An answer can be revised (planned, then published), never by someone without the role."""
    if not actor.has_role(*ANSWER_ROLES):
        raise RequestError("forbidden")
    answer, link = plain(answer), plain(link)
    problem = answer_problem(status, answer, link)
    if problem:
        raise RequestError(problem)
    previous = request.status
    request.status, request.answer, request.link = status, answer, link or None
    request.answered_by_id, request.answered_at = actor.id, now
    audit.record(
        "data_requests.answered",
        actor=actor,
        object_type="data_request",
        object_id=request.id,
        payload={"from": previous, "to": status},
    )
