from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from participa.accounts.rules import Role
from participa.certification import labels, operations, rules
from participa.certification.forms import ApproveForm, CertificateCodeForm, RecountForm, RefuseForm
from participa.certification.rules import CertificationError, Decision, Outcome
from participa.consultations.labels import PHASE_LABELS, WEIGHT_BASE_LABELS
from participa.consultations.models import Consultation
from participa.consultations.rules import Phase
from participa.core import db, pdf
from participa.core.db import utcnow
from participa.core.pdf import qr_data_uri
from participa.core.security import acting_user, role_required
from participa.core.web import external_url
from participa.voting.labels import CHOICE_LABELS, REASON_LABELS

# Verifying a certificate reads the whole trackers list: a few at a time per process, so that a
# crowd arriving from a QR code on a poster cannot take every worker thread.
_verify_slots = threading.BoundedSemaphore(2)
VERIFY_WAIT = 5.0


class VerificationBusy(Exception):
    pass


@contextmanager
def verify_slot() -> Iterator[None]:
    if not _verify_slots.acquire(timeout=VERIFY_WAIT):
        raise VerificationBusy()
    try:
        yield
    finally:
        _verify_slots.release()


def _busy() -> Response:
    response = Response(
        render_template(
            "errors.html",
            status=503,
            title=_("Inténtelo en unos segundos"),
            message=_("Hay muchas verificaciones en curso. Intente de nuevo en unos segundos."),
        ),
        status=503,
    )
    response.headers["Retry-After"] = "5"
    return response


def _refusal_text(error: CertificationError) -> str:
    if error.code == rules.Refusal.CONFLICT:
        reasons = [str(labels.CONFLICTS.get(code, code)) for code in error.detail.split(",") if code]
        return str(labels.REFUSALS["conflict"]) % {"detail": ", ".join(reasons)}
    return str(labels.REFUSALS[error.code.value])


# --- certifiers ---------------------------------------------------------------------------------


@role_required(Role.CERTIFIER)
def pending():
    """What awaits certification, and what was certified lately."""
    session = db.session()
    return render_template(
        "certification/list.html",
        awaiting=operations.awaiting(session),
        certified=operations.recently_certified(session),
    )


@role_required(Role.CERTIFIER)
def review(consultation_id: int):
    """Everything a certifier checks before signing, and the two forms."""
    session = db.session()
    consultation = session.get(Consultation, consultation_id) or abort(404)
    if consultation.phase == Phase.DRAFT:
        abort(404)
    data = operations.review(session, consultation)
    me = acting_user()
    conflicts = operations.conflicts(session, consultation, me.id)
    round_decisions = [d for d in data.decisions if d.count_round == consultation.count_round]
    approve_form = ApproveForm(sha256=data.result.sha256 if data.result else "")
    refuse_form = RefuseForm(sha256=data.result.sha256 if data.result else "")
    return render_template(
        "certification/review.html",
        consultation=consultation,
        review=data,
        conflicts=[labels.CONFLICTS[c.value] for c in conflicts],
        decided=any(d.certifier_id == me.id for d in round_decisions),
        round_decisions=round_decisions,
        approve_form=approve_form,
        refuse_form=refuse_form,
        certification=operations.certificate_of(session, consultation_id),
        phase_labels=PHASE_LABELS,
        reason_labels=REASON_LABELS,
        flag_labels=labels.FLAGS,
        decision_labels=labels.DECISIONS,
        choice_labels=CHOICE_LABELS,
        fraction_value=fraction_value,
    )


def fraction_value(text: str) -> Decimal:
    """An exact fraction of the result ("7/2") as a weight with six decimals, for reading."""
    value = Fraction(text)
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.000001"), rounding=ROUND_CEILING)


def _decide(consultation_id: int, decision: Decision, form: ApproveForm | RefuseForm):
    back = url_for("certification.review", consultation_id=consultation_id)
    if not form.validate_on_submit():
        if form.csrf_token.errors or form.sha256.errors:
            abort(400)
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(back)
    reason = form.reason.data if isinstance(form, RefuseForm) else None
    try:
        outcome = operations.decide(
            db.session(),
            actor=acting_user(),
            consultation_id=consultation_id,
            decision=decision,
            reason=reason,
            seen_sha256=form.sha256.data,
            now=utcnow(),
        )
    except CertificationError as error:
        db.session.rollback()
        flash(_refusal_text(error), "error")
        return redirect(back)
    db.session.commit()
    if outcome == Outcome.CERTIFIED:
        certification = operations.certificate_of(db.session(), consultation_id)
        assert certification is not None
        flash(_("Resultado certificado. Código del certificado: %(code)s.", code=certification.code), "success")
        return redirect(url_for("certification.certificate", code=certification.code))
    if outcome == Outcome.RECOUNT:
        flash(_("Resultado rechazado: la consulta vuelve a conteo para que la corrijan y recuenten."), "success")
    else:
        flash(_("Aprobación registrada. Falta la firma de otra persona certificadora."), "success")
    return redirect(back)


@role_required(Role.CERTIFIER)
def approve(consultation_id: int):
    return _decide(consultation_id, Decision.APPROVE, ApproveForm())


@role_required(Role.CERTIFIER)
def refuse(consultation_id: int):
    return _decide(consultation_id, Decision.REFUSE, RefuseForm())


@role_required(Role.MANAGER)
def recount(consultation_id: int):
    """A manager asks for the recount of a result a certifier refused, once corrected."""
    if not RecountForm().validate_on_submit():
        abort(400)
    try:
        operations.start_recount(db.session(), actor=acting_user(), consultation_id=consultation_id)
    except CertificationError as error:
        db.session.rollback()
        flash(_refusal_text(error), "error")
        return redirect(url_for("consultations.manage", consultation_id=consultation_id))
    db.session.commit()
    flash(_("Recuento pedido: el resultado se recalcula en unos momentos."), "success")
    return redirect(url_for("consultations.manage", consultation_id=consultation_id))


# --- the certificate ----------------------------------------------------------------------------


def _certificate_context(code: str) -> dict[str, object]:
    session = db.session()
    certification = operations.certificate_by_code(session, code) or abort(404)
    consultation = certification.consultation
    stored = operations.current_result(session, consultation.id)
    data = json.loads(stored.canonical_json) if stored is not None else {"questions": []}
    verify_url = external_url("certification.verify_certificate", code=certification.code)
    return {
        "certification": certification,
        "consultation": consultation,
        "data": data,
        "questions": {q.id: q for q in consultation.questions},
        "certifiers": operations.certifiers_of(session, certification),
        "verify_url": verify_url,
        "qr": qr_data_uri(verify_url),
        "choice_labels": CHOICE_LABELS,
        "weight_labels": WEIGHT_BASE_LABELS,
        "outcome_labels": labels.OUTCOMES,
        "project_outcome": rules.project_outcome,
    }


def certificate(code: str):
    """The public certificate, printable on one sheet."""
    normalised = rules.normalise_code(code)
    if normalised is None:
        abort(404)
    if normalised != code:
        return redirect(url_for("certification.certificate", code=normalised), 301)
    return render_template("certification/certificate.html", **_certificate_context(code))


def certificate_pdf(code: str):
    """The certificate as a PDF, rendered from the same page (WeasyPrint: see the README)."""
    if rules.normalise_code(code) != code:
        abort(404)
    html = render_template("certification/certificate_pdf.html", **_certificate_context(code))
    try:
        data = pdf.cached_pdf(html, "certificates")
    except pdf.RenderBusy:
        return _busy()
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="certificado-{code}.pdf"'
    return response


# --- public verification ------------------------------------------------------------------------


def find_certificate():
    """The form on /verificar: a code, typed, leads to its verification."""
    form = CertificateCodeForm(request.args)
    if not form.validate():
        return render_template("certification/find.html", form=form), 400
    code = rules.normalise_code(form.codigo.data)
    if code is None or operations.certificate_by_code(db.session(), code) is None:
        form.codigo.errors = [
            _("No hay un certificado con ese código. Revise que tenga diez letras y números, como 7K3QD-M9XWA.")
        ]
        return render_template("certification/find.html", form=form), 404
    return redirect(url_for("certification.verify_certificate", code=code))


def verify_certificate(code: str):
    """Recompute everything the certificate states and say, item by item, whether it matches."""
    normalised = rules.normalise_code(code)
    if normalised is None:
        abort(404)
    if normalised != code:
        return redirect(url_for("certification.verify_certificate", code=normalised), 301)
    session = db.session()
    certification = operations.certificate_by_code(session, code) or abort(404)
    try:
        with verify_slot():
            checks = operations.verify(session, certification)
    except VerificationBusy:
        return _busy()
    return render_template(
        "certification/verify.html",
        certification=certification,
        consultation=certification.consultation,
        checks=checks,
        matches=rules.all_match(checks),
        check_labels=labels.CHECKS,
        block_problems=labels.BLOCK_PROBLEMS,
        checked_at=utcnow(),
    )
