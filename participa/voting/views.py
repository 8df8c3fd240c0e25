from __future__ import annotations

import re
import secrets

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user

from participa.accounts.rules import Role
from participa.accounts.sessions import session_identity
from participa.consultations.models import Consultation
from participa.consultations.operations import schedule_of
from participa.consultations.rules import voting_open
from participa.core import db
from participa.core.db import utcnow
from participa.core.security import acting_user, role_required
from participa.registry.models import Organisation
from participa.voting import operations, rules
from participa.voting.forms import BallotForm
from participa.voting.labels import CHANNEL_LABELS, CHOICE_LABELS, REASON_LABELS, STATUS_LABELS
from participa.voting.public import published
from participa.voting.tasks import mail_receipts

MESSAGES = {
    "closed": _l("La votación no está abierta: revise las fechas de la consulta."),
    "not_on_roll": _l("Esa organización no está en el padrón de esta consulta."),
    "not_authorised": _l("Usted no está autorizado para votar por esa organización."),
    "incomplete": _l("Responda todas las preguntas: aprobar, rechazar o abstenerse."),
    "bad_choice": _l("Una de las respuestas no es válida."),
    "already_voted": _l("Esa organización ya votó, y en esta consulta el voto no se puede cambiar."),
    "in_person_recorded": _l(
        "Esa organización ya votó en una sesión presencial: el voto presencial prevalece y no se reemplaza en línea."
    ),
    "no_submission": _l("La confirmación no es válida. Revise su voto otra vez y confírmelo."),
    "duplicate": _l("Ese voto ya estaba registrado: no se registró dos veces."),
    "concurrent": _l(
        "Otra persona registró un voto de esta organización en este mismo momento. Revise sus "
        "comprobantes y vuelva a intentarlo si corresponde."
    ),
}


def _answers(consultation: Consultation) -> dict[int, str]:
    answers = {}
    for question in consultation.questions:
        value = request.form.get(f"q-{question.id}")
        if value:
            answers[question.id] = value
    return answers


INT4_MAX = 2**31 - 1


def _posted_answers() -> dict[int, str]:
    """Every answer posted as q-<question id>, without loading the questions: the database
    compares them with the consultation's (a forged or foreign question makes it incomplete)."""
    answers = {}
    for key, value in request.form.items():
        if key.startswith("q-") and value:
            number = key[2:]
            if not (number.isascii() and number.isdigit()) or int(number) > INT4_MAX:
                raise operations.VotingError("incomplete")
            answers[int(number)] = value
    return answers


def _organisation_posted() -> int | None:
    """The organisation chosen in the form; an id no organisation can have becomes 0 (none)."""
    organisation_id = request.form.get("organisation", type=int)
    if organisation_id is not None and abs(organisation_id) > INT4_MAX:
        return 0
    return organisation_id


def _status_of(code: str) -> int:
    if code in ("concurrent", "already_voted", "in_person_recorded"):
        return 409
    return 403 if code in ("not_authorised", "not_on_roll") else 400


def vote(consultation_id: int):
    """Pick the organisation, answer each question, review, confirm, get a receipt (DESIGN §4)."""
    if request.method == "POST" and request.form.get("step") == "confirm":
        return _confirm(consultation_id)
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    consultation = published(consultation_id)
    form = BallotForm()
    if request.method == "POST":
        if not form.validate():
            abort(400)
        answers = _answers(consultation)
        organisation_id = _organisation_posted()
        try:
            if organisation_id is None:
                raise operations.VotingError("not_authorised")
            operations.check_ballot(
                db.session(),
                actor=acting_user(),
                consultation=consultation,
                organisation_id=organisation_id,
                answers=answers,
                now=utcnow(),
            )
        except operations.VotingError as error:
            db.session.rollback()
            return _ballot_page(consultation, form, error.code)
        organisation = db.session.get(Organisation, organisation_id)
        return render_template(
            "voting/confirm.html",
            # One token per reviewed ballot: the same confirmation sent twice (a double click, a
            # retried request) is one ballot.
            submission=secrets.token_urlsafe(24),
            consultation=consultation,
            organisation=organisation,
            answers=answers,
            choice_labels=CHOICE_LABELS,
            form=form,
        )
    return _ballot_page(consultation, form, None)


def _confirm(consultation_id: int):
    """The vote itself, the busiest request of a consultation: no page is rendered and nobody
    is loaded before the one database call of :func:`operations.cast_online`, which checks the
    person (active, session current), the window, the roll, the representation and the answers,
    then writes. CSRF was checked before the view, as for every form. The receipt e-mail is
    queued by a worker, not here."""
    identity = session_identity()
    if identity is None:
        return current_app.login_manager.unauthorized()
    if consultation_id > INT4_MAX:
        abort(404)
    organisation_id = _organisation_posted()
    submission = request.form.get("submission", "")
    try:
        if organisation_id is None:
            raise operations.VotingError("not_authorised")
        if not SUBMISSION.fullmatch(submission):
            raise operations.VotingError("no_submission")
        receipt_code = operations.cast_online(
            db.session(),
            user_id=identity[0],
            session_version=identity[1],
            consultation_id=consultation_id,
            organisation_id=organisation_id,
            answers=_posted_answers(),
            now=utcnow(),
            secret_key=current_app.config["SECRET_KEY"],
            submission=submission,
        )
    except operations.VotingError as error:
        db.session.rollback()
        if error.code == "signed_out":
            logout_user()
            return current_app.login_manager.unauthorized()
        if error.code == "not_found":
            abort(404)
        if error.code == "duplicate":
            # The same confirmation again: it was cast once; show what the first one showed.
            flash(str(MESSAGES["duplicate"]), "info")
            return redirect(url_for("voting.new_receipt", consultation_id=consultation_id))
        return _ballot_page(published(consultation_id), BallotForm(), error.code)
    if current_app.config["TASKS_EAGER"]:
        db.after_commit(mail_receipts.delay, once=True)  # no beat in embedded mode
    db.session.commit()
    session[RECEIPT_KEY] = {"consultation": consultation_id, "code": receipt_code}
    return redirect(url_for("voting.new_receipt", consultation_id=consultation_id))


def _ballot_page(consultation: Consultation, form: BallotForm, error: str | None):
    """The ballot, with the refusal's reason if there is one."""
    organisations = operations.authorised_organisations(db.session(), acting_user(), consultation)
    is_open = voting_open(
        consultation.phase, schedule_of(consultation), utcnow(), consultation.roll_frozen_at is not None
    )
    errors = [str(MESSAGES[error])] if error else []
    # Which questions a refused ballot left unanswered (or answered with something unknown): each
    # is marked where it is, and the summary leads to the first one.
    unanswered = (
        [q.id for q in consultation.questions if request.form.get(f"q-{q.id}") not in rules.CHOICES]
        if error in ("incomplete", "bad_choice")
        else []
    )
    return render_template(
        "voting/vote.html",
        consultation=consultation,
        organisations=organisations,
        voted=operations.channels_voted(db.session(), consultation.id, [o.id for o in organisations]),
        is_open=is_open,
        form=form,
        errors=errors,
        unanswered=unanswered,
        choice_labels=CHOICE_LABELS,
        selected=request.form,
    ), (_status_of(error) if error else 200)


RECEIPT_KEY = "receipt_once"
SUBMISSION = re.compile(r"[A-Za-z0-9_-]{32}")


def new_receipt(consultation_id: int):
    """The receipt code, shown once to the person who just voted, with what they voted: taken
    from their session (never from the address, which access logs keep) and forgotten at once.
    The organisation's representatives also receive it by e-mail."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    consultation = published(consultation_id)
    pending = session.pop(RECEIPT_KEY, None)
    code = pending.get("code") if isinstance(pending, dict) and pending.get("consultation") == consultation_id else None
    found = (
        operations.fresh_receipt(db.session(), actor=acting_user(), consultation_id=consultation_id, code=code)
        if code
        else None
    )
    if found is None:
        return render_template("voting/receipt_gone.html", consultation=consultation), 404
    return render_template(
        "voting/receipt.html",
        consultation=consultation,
        ballot=found.ballot,
        code=code,
        organisation=found.organisation,
        weight=found.weight,
        titles={q.id: q.project.title for q in consultation.questions},
        choice_labels=CHOICE_LABELS,
    )


@login_required
def my_votes():
    """Every ballot of each organisation the person represents, its status and, for ballots
    cast while they were authorised, its choice (DESIGN §4: the choice is shown only to the
    organisation's signed-in representatives)."""
    groups = operations.ballots_for_representative(db.session(), acting_user())
    return render_template(
        "voting/my_votes.html",
        groups=groups,
        choice_labels=CHOICE_LABELS,
        status_labels=STATUS_LABELS,
        reason_labels=REASON_LABELS,
        channel_labels=CHANNEL_LABELS,
    )


@role_required(Role.MANAGER, Role.CERTIFIER, Role.ADMIN)
def admissibility_report(consultation_id: int):
    """Vote admissibility at close, for staff: how many votes were admitted, replaced and refused
    (by reason), and each refused or replaced vote with every rule it fails, in words."""
    consultation = db.session.get(Consultation, consultation_id) or abort(404)
    return render_template(
        "consultations/admissibility.html",
        consultation=consultation,
        report=operations.admissibility_report(db.session(), consultation),
        reason_labels=REASON_LABELS,
    )
