"""The network's pages: members, the practices library, a practice with its review and its
replications, staff's member management, and each comuna's open-government page."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields import SelectChoice

from participa.commitments import labels as commitment_labels
from participa.core import db, storage
from participa.core.db import santiago_to_utc, today_santiago, utcnow
from participa.core.security import acting_user, role_required, second_factor_passed
from participa.network import labels, operations
from participa.network.comuna import comuna_page
from participa.network.forms import (
    DocumentForm,
    LiaisonForm,
    LibraryFilterForm,
    MeetingForm,
    MemberForm,
    MemberStatusForm,
    MinutesForm,
    PracticeForm,
    RegistrationForm,
    ReplicationForm,
    ReviewForm,
)
from participa.network.models import Meeting, NetworkMember, Practice, PracticeDocument
from participa.projects import labels as project_labels
from participa.territory.operations import list_comunas


def _user():
    return current_user._get_current_object() if current_user.is_authenticated else None  # type: ignore[attr-defined]


def _comuna_choices(empty: str) -> list[SelectChoice]:
    return [SelectChoice("", empty)] + [SelectChoice(str(c.cut), c.name) for c in list_comunas(db.session())]


def members():
    """The network's members, current ones first, with their comuna and since when."""
    return render_template("network/members.html", members=operations.members(db.session()), labels=labels)


def library():
    """Published practices, most replicated first, searched by words, pillar and comuna."""
    form = LibraryFilterForm(request.args)
    form.comuna.choices = _comuna_choices(_("Todas"))
    status, found = 200, []
    if form.validate():
        filters = operations.LibraryFilters(
            text=form.q.data or "", pillar=form.pilar.data or None,
            comuna_cut=int(form.comuna.data) if form.comuna.data else None,
        )  # fmt: skip
        found = operations.library(db.session(), filters)
    else:
        status = 400
    mine = operations.liaison_memberships(db.session(), _user())
    return render_template(
        "network/library.html", form=form, practices=found, labels=labels, can_submit=bool(mine)
    ), status


def _practice_form(mine: list[NetworkMember]) -> PracticeForm:
    form = PracticeForm()
    form.member.choices = [SelectChoice(m.id, m.name) for m in mine]
    return form


@login_required
def new_practice():
    """A liaison shares a practice of their member."""
    mine = operations.liaison_memberships(db.session(), acting_user())
    if not mine:
        abort(403)
    form = _practice_form(mine)
    if request.method == "POST":
        if form.validate_on_submit():
            data = operations.PracticeData(
                member_id=form.member.data, title=form.title.data or "", summary=form.summary.data or "",
                pillar=form.pillar.data or "", results=form.results.data or "",
                how_to_replicate=form.how_to_replicate.data or "",
            )  # fmt: skip
            try:
                made = operations.submit_practice(db.session(), actor=acting_user(), data=data, now=utcnow())
            except operations.NetworkError as error:
                db.session.rollback()
                form.title.errors = [str(labels.MESSAGES[error.code])]
            else:
                db.session.commit()
                flash(_("Práctica enviada: el equipo de la red la revisará antes de publicarla."), "success")
                return redirect(url_for("network.practice", practice_id=made.id))
        return render_template("network/practice_form.html", form=form), 400
    return render_template("network/practice_form.html", form=form)


def practice(
    practice_id: int,
    review_form: ReviewForm | None = None,
    replication_form=None,
    document_form: DocumentForm | None = None,
    status: int = 200,
):
    found = db.session.get(Practice, practice_id) or abort(404)
    user = _user()
    if not operations.can_see(user, found):
        abort(404)
    mine = [m for m in operations.liaison_memberships(db.session(), user) if m.id != found.member_id]
    replicate = replication_form or ReplicationForm()
    replicate.member.choices = [SelectChoice(m.id, m.name) for m in mine]
    reviewer = bool(user and user.has_role(*operations.STAFF) and second_factor_passed())
    return render_template(
        "network/practice.html",
        practice=found,
        replications=operations.replications_of(db.session(), found),
        documents=operations.documents_of(db.session(), found),
        document_form=document_form  # with its errors, whoever sent it
        or (DocumentForm() if user and found.member.liaison_id == user.id and found.status == "submitted" else None),
        max_documents=operations.MAX_DOCUMENTS,
        labels=labels,
        review_form=(review_form or ReviewForm()) if reviewer and found.status == "submitted" else None,
        replication_form=replicate if mine and found.status == "published" else None,
    ), status


@login_required
def add_document(practice_id: int):
    """The liaison attaches a document to their member's practice while it waits for review."""
    found = db.session.get(Practice, practice_id) or abort(404)
    if not operations.can_see(acting_user(), found):
        abort(404)
    form = DocumentForm()
    if not form.validate_on_submit():
        return practice(practice_id, document_form=form, status=400)
    try:
        operations.add_document(db.session(), actor=acting_user(), practice=found, stream=form.file.data.stream,
                                filename=form.file.data.filename or "", now=utcnow())  # fmt: skip
    except operations.NetworkError as error:
        db.session.rollback()
        form.file.errors = [str(labels.MESSAGES[error.code])]
        status = 503 if error.code == "document_unavailable" else 403 if error.code == "not_liaison" else 400
        return practice(practice_id, document_form=form, status=status)
    db.session.commit()
    flash(_("Documento adjuntado."), "success")
    return redirect(url_for("network.practice", practice_id=practice_id))


def download_document(practice_id: int, document_id: int):
    """A practice's document: public once the practice is, before that only for who may see it."""
    document = db.session.get(PracticeDocument, document_id) or abort(404)
    found = db.session.get(Practice, practice_id) or abort(404)
    if document.practice_id != found.id or not operations.can_see(_user(), found):
        abort(404)
    return storage.send_document(operations.document_path(document), document.filename, document.content_type)


@role_required(*operations.STAFF)
def review(practice_id: int):
    found = db.session.get(Practice, practice_id) or abort(404)
    form = ReviewForm()
    if not form.validate_on_submit():
        return practice(practice_id, review_form=form, status=400)
    try:
        operations.review_practice(db.session(), actor=acting_user(), practice=found, decision=form.decision.data,
                                   reason=form.reason.data or "", now=utcnow())  # fmt: skip
    except operations.NetworkError as error:
        db.session.rollback()
        form.reason.errors = [str(labels.MESSAGES[error.code])]
        return practice(practice_id, review_form=form, status=400)
    db.session.commit()
    flash(_("Revisión guardada."), "success")
    return redirect(url_for("network.practice", practice_id=practice_id))


@login_required
def replicate(practice_id: int):
    found = db.session.get(Practice, practice_id) or abort(404)
    if not operations.can_see(acting_user(), found):
        abort(404)
    form = ReplicationForm()
    form.member.choices = [
        SelectChoice(m.id, m.name) for m in operations.liaison_memberships(db.session(), acting_user())
    ]
    if not form.validate_on_submit():
        return practice(practice_id, replication_form=form, status=400)
    try:
        operations.replicate_practice(db.session(), actor=acting_user(), practice=found, member_id=form.member.data,
                                      note=form.note.data or "", now=utcnow())  # fmt: skip
    except operations.NetworkError as error:
        db.session.rollback()
        form.note.errors = [str(labels.MESSAGES[error.code])]
        return practice(practice_id, replication_form=form, status=400)
    db.session.commit()
    flash(_("Registrado: la replicaron."), "success")
    return redirect(url_for("network.practice", practice_id=practice_id))


# --- staff ----------------------------------------------------------------------------------------


def _member_form() -> MemberForm:
    form = MemberForm()
    form.comuna.choices = _comuna_choices("—")
    return form


@role_required(*operations.STAFF)
def manage(member_form: MemberForm | None = None, status: int = 200):
    """Network staff: add members, change their status, name their liaisons, review practices."""
    form = member_form or _member_form()
    if form.joined_on.data is None and not form.errors:
        form.joined_on.data = today_santiago()
    return render_template(
        "network/manage.html",
        form=form,
        members=operations.members(db.session()),
        pending=operations.pending_review(db.session()),
        status_form=MemberStatusForm(on=today_santiago()),
        liaison_form=LiaisonForm(),
        labels=labels,
    ), status


@role_required(*operations.STAFF)
def add_member():
    form = _member_form()
    if not form.validate_on_submit():
        return manage(form, 400)
    try:
        operations.add_member(
            db.session(), actor=acting_user(), kind=form.kind.data,
            comuna_cut=int(form.comuna.data) if form.comuna.data else None, organisation_id=None,
            name=form.name.data or "", status=form.status.data, joined_on=form.joined_on.data,
        )  # fmt: skip
    except operations.NetworkError as error:
        db.session.rollback()
        form.kind.errors = [str(labels.MESSAGES[error.code])]
        return manage(form, 400)
    db.session.commit()
    flash(_("Miembro agregado a la red."), "success")
    return redirect(url_for("network.manage"))


def _member(member_id: int) -> NetworkMember:
    return db.session.get(NetworkMember, member_id) or abort(404)


@role_required(*operations.STAFF)
def member_status(member_id: int):
    member, form = _member(member_id), MemberStatusForm()
    if not form.validate_on_submit():
        flash(_("Elija el nuevo estado y su fecha."), "error")
        return redirect(url_for("network.manage"))
    try:
        operations.change_member_status(db.session(), actor=acting_user(), member=member, target=form.status.data,
                                        on=form.on.data)  # fmt: skip
    except operations.NetworkError as error:
        db.session.rollback()
        flash(str(labels.MESSAGES[error.code]), "error")
    else:
        db.session.commit()
        flash(_("Estado actualizado."), "success")
    return redirect(url_for("network.manage"))


@role_required(*operations.STAFF)
def member_liaison(member_id: int):
    member, form = _member(member_id), LiaisonForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        operations.set_liaison(db.session(), actor=acting_user(), member=member, email=form.email.data or "")
    except operations.NetworkError as error:
        db.session.rollback()
        flash(str(labels.MESSAGES[error.code]), "error")
    else:
        db.session.commit()
        flash(_("Enlace guardado."), "success")
    return redirect(url_for("network.manage"))


# --- comunas ----------------------------------------------------------------------------------------


def comunas():
    """The 52 comunas, each with its network status, leading to its open-government page."""
    status = {m.comuna_cut: m for m in operations.members(db.session()) if m.kind == "municipality"}
    return render_template("network/comunas.html", comunas=list_comunas(db.session()), status=status, labels=labels)


def comuna(cut: int):
    page = comuna_page(db.session(), cut) or abort(404)
    return render_template(
        "network/comuna.html",
        page=page,
        labels=labels,
        project_labels=project_labels.STATE_LABELS,
        commitment_labels=commitment_labels.STATUS_LABELS,
    )


# --- meetings ---------------------------------------------------------------------------------------


def meetings():
    upcoming, past = operations.meetings(db.session(), utcnow())
    return render_template("network/meetings.html", upcoming=upcoming, past=past)


def meeting(meeting_id: int, form=None, status: int = 200):
    found = db.session.get(Meeting, meeting_id) or abort(404)
    user = _user()
    now = utcnow()
    started = now >= found.starts_at
    registered = operations.registrations(db.session(), found)
    taken = {r.member_id for r in registered}
    mine = [m for m in operations.liaison_memberships(db.session(), user) if m.id not in taken]
    registration_form = RegistrationForm()
    registration_form.member.choices = [SelectChoice(m.id, m.name) for m in mine]
    staff = bool(user and user.has_role(*operations.STAFF) and second_factor_passed())
    return render_template(
        "network/meeting.html",
        meeting=found,
        registered=registered,
        started=started,
        registration_form=registration_form if mine and not started else None,
        minutes_form=(form or MinutesForm(minutes=found.minutes)) if staff and started else None,
        attendance=staff and started,
    ), status


@role_required(*operations.STAFF)
def new_meeting():
    form = MeetingForm()
    if request.method == "POST":
        if form.validate_on_submit():
            data = operations.MeetingData(
                title=form.title.data or "", kind=form.kind.data, starts_at=santiago_to_utc(form.starts_at.data),
                place=form.place.data or "", link=form.link.data or "", agenda=form.agenda.data or "",
            )  # fmt: skip
            try:
                made = operations.create_meeting(db.session(), actor=acting_user(), data=data)
            except operations.NetworkError as error:
                db.session.rollback()
                form.title.errors = [str(labels.MESSAGES[error.code])]
            else:
                db.session.commit()
                flash(_("Encuentro convocado."), "success")
                return redirect(url_for("network.meeting", meeting_id=made.id))
        return render_template("network/meeting_form.html", form=form), 400
    return render_template("network/meeting_form.html", form=form)


@login_required
def register(meeting_id: int):
    found = db.session.get(Meeting, meeting_id) or abort(404)
    form = RegistrationForm()
    form.member.choices = [
        SelectChoice(m.id, m.name) for m in operations.liaison_memberships(db.session(), acting_user())
    ]
    if not form.validate_on_submit():
        flash(str(labels.MESSAGES["not_liaison"]), "error")
        return redirect(url_for("network.meeting", meeting_id=meeting_id))
    try:
        operations.register(db.session(), actor=acting_user(), meeting=found, member_id=form.member.data, now=utcnow())
    except operations.NetworkError as error:
        db.session.rollback()
        flash(str(labels.MESSAGES[error.code]), "error")
    else:
        db.session.commit()
        flash(_("Inscripción registrada."), "success")
    return redirect(url_for("network.meeting", meeting_id=meeting_id))


@role_required(*operations.STAFF)
def attendance(meeting_id: int):
    found = db.session.get(Meeting, meeting_id) or abort(404)
    present = {int(v) for v in request.form.getlist("presente") if v.isdigit()}
    try:
        operations.take_attendance(db.session(), actor=acting_user(), meeting=found, present=present, now=utcnow())
    except operations.NetworkError as error:
        db.session.rollback()
        flash(str(labels.MESSAGES[error.code]), "error")
    else:
        db.session.commit()
        flash(_("Asistencia guardada."), "success")
    return redirect(url_for("network.meeting", meeting_id=meeting_id))


@role_required(*operations.STAFF)
def minutes(meeting_id: int):
    found = db.session.get(Meeting, meeting_id) or abort(404)
    form = MinutesForm()
    if not form.validate_on_submit():
        return meeting(meeting_id, form=form, status=400)
    try:
        operations.record_minutes(db.session(), actor=acting_user(), meeting=found, minutes=form.minutes.data,
                                  now=utcnow())  # fmt: skip
    except operations.NetworkError as error:
        db.session.rollback()
        form.minutes.errors = [str(labels.MESSAGES[error.code])]
        return meeting(meeting_id, form=form, status=400)
    db.session.commit()
    flash(_("Acta publicada."), "success")
    return redirect(url_for("network.meeting", meeting_id=meeting_id))
