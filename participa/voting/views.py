from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal

import sqlalchemy as sa
from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user

from participa.accounts.views import login_manager, session_identity
from participa.consultations.models import Consultation, RollEntry
from participa.consultations.operations import schedule_of
from participa.consultations.rules import Phase, voting_open
from participa.core import db
from participa.core.db import utcnow
from participa.core.security import acting_user
from participa.registry.models import Organisation
from participa.voting import operations, rules
from participa.voting.forms import BallotForm, ReceiptForm
from participa.voting.models import Ballot, TallyResult, Vote
from participa.voting.tasks import mail_receipts

MESSAGES = {
    "closed": _l("La votación no está abierta: revise las fechas de la consulta."),
    "not_on_roll": _l("Esa organización no está en el padrón de esta consulta."),
    "not_authorised": _l("Usted no está autorizado para votar por esa organización."),
    "incomplete": _l("Responda todas las preguntas: aprobar, rechazar o abstenerse."),
    "bad_choice": _l("Una de las respuestas no es válida."),
    "already_voted": _l("Esa organización ya votó, y en esta consulta el voto no se puede cambiar."),
    "concurrent": _l(
        "Otra persona registró un voto de esta organización en este mismo momento. Revise sus "
        "comprobantes y vuelva a intentarlo si corresponde."
    ),
}
CHOICE_LABELS = {"approve": _l("Aprobar"), "reject": _l("Rechazar"), "abstain": _l("Abstenerse")}


def _published(consultation_id: int) -> Consultation:
    """A consultation the public may know of: a draft does not exist outside its managers."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None or consultation.phase == Phase.DRAFT:
        abort(404)
    return consultation


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
    if code in ("concurrent", "already_voted"):
        return 409
    return 403 if code in ("not_authorised", "not_on_roll") else 400


def vote(consultation_id: int):
    """Pick the organisation, answer each question, review, confirm, get a receipt (DESIGN §4)."""
    if request.method == "POST" and request.form.get("step") == "confirm":
        return _confirm(consultation_id)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    consultation = _published(consultation_id)
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
        return login_manager.unauthorized()
    if consultation_id > INT4_MAX:
        abort(404)
    organisation_id = _organisation_posted()
    try:
        if organisation_id is None:
            raise operations.VotingError("not_authorised")
        receipt_code = operations.cast_online(
            db.session(),
            user_id=identity[0],
            session_version=identity[1],
            consultation_id=consultation_id,
            organisation_id=organisation_id,
            answers=_posted_answers(),
            now=utcnow(),
            secret_key=current_app.config["SECRET_KEY"],
        )
    except operations.VotingError as error:
        db.session.rollback()
        if error.code == "signed_out":
            logout_user()
            return login_manager.unauthorized()
        if error.code == "not_found":
            abort(404)
        return _ballot_page(_published(consultation_id), BallotForm(), error.code)
    if current_app.config["TASKS_EAGER"]:
        db.after_commit(mail_receipts.delay, once=True)  # no beat in embedded mode
    db.session.commit()
    return redirect(url_for("voting.receipt", consultation_id=consultation_id, codigo=receipt_code))


def _ballot_page(consultation: Consultation, form: BallotForm, error: str | None):
    """The ballot, with the refusal's reason if there is one."""
    organisations = operations.authorised_organisations(db.session(), acting_user(), consultation)
    is_open = voting_open(
        consultation.phase, schedule_of(consultation), utcnow(), consultation.roll_frozen_at is not None
    )
    errors = [str(MESSAGES[error])] if error else []
    return render_template(
        "voting/vote.html",
        consultation=consultation,
        organisations=organisations,
        is_open=is_open,
        form=form,
        errors=errors,
        choice_labels=CHOICE_LABELS,
        selected=request.form,
    ), (_status_of(error) if error else 200)


def receipt(consultation_id: int):
    """Whoever holds a receipt code sees what was recorded under it (DESIGN §4)."""
    consultation = _published(consultation_id)
    form = ReceiptForm(request.args)
    ballot = None
    searched = bool(request.args.get("codigo"))
    if searched and form.validate():
        code = rules.normalise_receipt(form.codigo.data)
        ballot = db.session.execute(
            sa.select(Ballot).where(Ballot.consultation_id == consultation_id, Ballot.receipt_code == code)
        ).scalar_one_or_none()
    weight = None
    if ballot is not None:
        weight = db.session.get(RollEntry, (consultation_id, ballot.organisation_id)).weight
    return render_template(
        "voting/receipt.html",
        consultation=consultation,
        form=form,
        ballot=ballot,
        searched=searched,
        weight=weight,
        choice_labels=CHOICE_LABELS,
    ), (404 if searched and ballot is None else 200)


def receipts(consultation_id: int):
    """The public list of receipts: code and weight, never the choice."""
    consultation = _published(consultation_id)
    rows = db.session.execute(
        sa.select(
            Ballot.receipt_code,
            Ballot.cast_at,
            RollEntry.weight,
            sa.exists().where(Vote.ballot_id == Ballot.id, Vote.effective).label("effective"),
        )
        .join(
            RollEntry,
            sa.and_(
                RollEntry.consultation_id == Ballot.consultation_id, RollEntry.organisation_id == Ballot.organisation_id
            ),
        )
        .where(Ballot.consultation_id == consultation_id)
        .order_by(Ballot.receipt_code)
    ).all()
    result = db.session.execute(
        sa.select(TallyResult).where(TallyResult.consultation_id == consultation_id)
    ).scalar_one_or_none()
    return render_template("voting/receipts.html", consultation=consultation, rows=rows, result=result)


def result(consultation_id: int):
    """The computed result: head counts and weight sums side by side, a chart with its table
    equivalent, the rules and hashes."""
    consultation = _published(consultation_id)
    stored = db.session.execute(
        sa.select(TallyResult).where(TallyResult.consultation_id == consultation_id)
    ).scalar_one_or_none()
    if stored is None:
        return render_template("voting/no_result.html", consultation=consultation), 404
    data = json.loads(stored.canonical_json)
    questions = {q.id: q for q in consultation.questions}
    by_weight = _by_weight(consultation)
    return render_template(
        "voting/result.html",
        consultation=consultation,
        stored=stored,
        data=data,
        questions=questions,
        choice_labels=CHOICE_LABELS,
        by_weight=by_weight,
        Decimal=Decimal,
    )


def _by_weight(consultation: Consultation) -> dict[int, list[tuple[str, str, int]]]:
    """Counts by (weight, choice) per question: all of them under a named ballot, only weights
    shared by at least k organisations under a secret one (DESIGN §4)."""
    rows = db.session.execute(
        sa.select(Vote.question_id, RollEntry.weight, Vote.choice, sa.func.count())
        .join(
            RollEntry,
            sa.and_(
                RollEntry.consultation_id == Vote.consultation_id, RollEntry.organisation_id == Vote.organisation_id
            ),
        )
        .where(Vote.consultation_id == consultation.id, Vote.effective)
        .group_by(Vote.question_id, RollEntry.weight, Vote.choice)
    ).all()
    grouped: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    for question_id, weight, choice, count in rows:
        grouped[question_id].append((f"{weight:.6f}", choice, count))
    if consultation.secrecy == "named":
        return {q: sorted(v) for q, v in grouped.items()}
    return {q: rules.k_anonymous_counts(v, consultation.secrecy_k) for q, v in grouped.items()}
