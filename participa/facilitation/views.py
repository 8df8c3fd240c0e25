"""In-person sessions on the web: a manager plans them and revokes a tablet; the facilitator's
tablet app (a progressive web app under /facilitacion/) opens a session, syncs, closes it with
its acta; anyone reads a closed session's acta."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import OperationalError

from participa.accounts.rules import Role
from participa.consultations.models import Consultation
from participa.core import db
from participa.core.db import santiago_to_utc, utcnow
from participa.core.security import acting_user, role_required
from participa.facilitation import operations, rules
from participa.facilitation.forms import RevokeForm, SessionForm
from participa.facilitation.labels import REASON_LABELS, STATE_LABELS, strings_for_the_app
from participa.facilitation.models import InPersonSession
from participa.territory.operations import list_comunas

MESSAGES = {
    "forbidden": _l("Solo un gestor o gestora de consultas puede hacer esto."),
    "consultation_over": _l("La consulta ya terminó su votación: no se pueden programar sesiones."),
    "window_order": _l("La sesión debe terminar después de comenzar."),
    "outside_voting": _l("La sesión debe quedar dentro del período de votación de la consulta."),
    "not_facilitator": _l("Elija una persona con el rol de facilitador o facilitadora."),
    "not_open": _l("La sesión no está abierta en una tableta."),
}
STATIC_APP = "facilitacion"


def _session_or_404(session_id: int) -> InPersonSession:
    return db.session.get(InPersonSession, session_id) or abort(404)


# --- the manager ----------------------------------------------------------------------------------


def _session_form(session: Any) -> SessionForm:
    form = SessionForm()
    form.comuna.choices = [(0, _("Todas las comunas del padrón"))] + [(c.cut, c.name) for c in list_comunas(session)]
    form.facilitator.choices = [(u.id, f"{u.name} ({u.email})") for u in operations.facilitators(session)]
    return form


@role_required(Role.MANAGER)
def manage_sessions(consultation_id: int):
    """The consultation's in-person sessions, and the form to plan one."""
    session = db.session()
    consultation = session.get(Consultation, consultation_id) or abort(404)
    form = _session_form(session)
    if request.method == "POST" and form.validate_on_submit():
        plan = operations.SessionPlan(
            place=form.place.data,
            comuna_cut=form.comuna.data or None,
            starts_at=santiago_to_utc(form.starts_at.data),
            ends_at=santiago_to_utc(form.ends_at.data),
            facilitator_id=form.facilitator.data,
        )
        try:
            operations.plan_session(session, actor=acting_user(), consultation=consultation, plan=plan)
        except operations.SessionError as error:
            session.rollback()
            form.form_errors.append(str(MESSAGES.get(error.code, error.code)))
        else:
            session.commit()
            flash(_("La sesión quedó programada."), "success")
            return redirect(url_for("facilitation.manage_sessions", consultation_id=consultation_id))
    status = 400 if request.method == "POST" else 200
    return (
        render_template(
            "facilitation/manage.html",
            consultation=consultation,
            sessions=operations.sessions_of(session, consultation_id),
            form=form,
            revoke_form=RevokeForm(),
            state_of=operations.state_of,
            states=STATE_LABELS,
            facilitators_exist=bool(form.facilitator.choices),
        ),
        status,
    )


@role_required(Role.MANAGER)
def revoke(session_id: int):
    row = _session_or_404(session_id)
    if not RevokeForm().validate_on_submit():
        abort(400)
    try:
        operations.revoke_token(db.session(), actor=acting_user(), row=row, now=utcnow())
    except operations.SessionError as error:
        db.session.rollback()
        flash(str(MESSAGES.get(error.code, error.code)), "error")
    else:
        db.session.commit()
        flash(
            _("La tableta quedó revocada: ya no puede sincronizar. La sesión se puede abrir en otra tableta."),
            "success",
        )
    return redirect(url_for("facilitation.manage_sessions", consultation_id=row.consultation_id))


# --- the tablet app -------------------------------------------------------------------------------


def app_shell():
    """The tablet app's shell: no personal data and no sign-in, so the service worker can keep it
    and the app opens offline; everything else comes from the device's storage or the API."""
    response = current_app.make_response(render_template("facilitation/app.html", strings=strings_for_the_app()))
    response.headers["Cache-Control"] = "no-cache"
    return response


def service_worker():
    response = send_from_directory(current_app.static_folder, f"{STATIC_APP}/sw.js", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = url_for("facilitation.app_shell")
    return response


def manifest():
    body = {
        "name": "Participa · " + _("Sesiones presenciales"),
        "short_name": _("Sesiones"),
        "lang": "es-CL",
        "start_url": url_for("facilitation.app_shell"),
        "scope": url_for("facilitation.app_shell"),
        "display": "standalone",
        "orientation": "any",
        "background_color": "#ffffff",
        "theme_color": "#0b4f8a",
        "icons": [
            {
                "src": url_for("static", filename=f"{STATIC_APP}/icon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
                "purpose": "any",
            }
        ],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    return response


def _session_summary(row: InPersonSession) -> dict[str, Any]:
    return {
        "id": row.id,
        "consultation": row.consultation_id,
        "place": row.place,
        "comuna": row.comuna.name if row.comuna is not None else None,
        "starts_at": row.starts_at.isoformat(),
        "ends_at": row.ends_at.isoformat(),
        "state": operations.state_of(row),
    }


@role_required(Role.FACILITATOR)
def my_sessions():
    """The facilitator's sessions and a fresh CSRF token for the app's calls while signed in."""
    rows = operations.sessions_for_facilitator(db.session(), acting_user())
    return jsonify(csrf_token=generate_csrf(), sessions=[_session_summary(r) for r in rows])


def _json_error(code: str, status: int) -> Any:
    return jsonify(error=code, message=str(REASON_LABELS.get(code, code))), status


@role_required(Role.FACILITATOR)
def open_session(session_id: int):
    row = _session_or_404(session_id)
    body = request.get_json(silent=True) or {}
    device = body.get("device") if isinstance(body.get("device"), str) else ""
    try:
        package = operations.open_session(
            db.session(),
            actor=acting_user(),
            row=row,
            device=device,
            now=utcnow(),
            secret_key=current_app.config["SECRET_KEY"],
        )
    except operations.SessionError as error:
        db.session.rollback()
        return _json_error(error.code, 403 if error.code == "forbidden" else 409)
    db.session.commit()
    return jsonify(package)


def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else ""


def sync(session_id: int):
    """The tablet's sync: authorised by the session's token (not the login cookie nor a CSRF
    token, which may have expired while the tablet was offline). Answers per item."""
    row = operations.session_for_token(db.session(), session_id, _bearer())
    if row is None:
        return _json_error("bad_token", 401)
    body = request.get_json(silent=True)
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or len(items) > rules.MAX_BATCH:
        return _json_error("malformed", 400)
    try:
        results = operations.sync(
            db.session(), row=row, items=items, now=utcnow(), secret_key=current_app.config["SECRET_KEY"]
        )
        db.session.commit()
    except operations.SessionError as error:
        db.session.rollback()
        return _json_error(error.code, 403 if error.code in ("revoked", "not_open") else 410)
    except OperationalError:
        # A deadlock or a lost connection: nothing of this batch was kept; the tablet sends again.
        db.session.rollback()
        return (*_json_error("retry", 503), {"Retry-After": "5"})
    answered = [r.as_json() for r in results]
    everything_kept = all(r.status in (200, 201) for r in results)
    return jsonify(results=answered), 200 if everything_kept else 207


@role_required(Role.FACILITATOR)
def close_session(session_id: int):
    """The facilitator, signed in on the tablet that holds the session's token, signs the acta."""
    row = operations.session_for_token(db.session(), session_id, _bearer())
    if row is None:
        return _json_error("bad_token", 401)
    body = request.get_json(silent=True) or {}
    recorded = body.get("recorded")
    if not isinstance(recorded, int) or isinstance(recorded, bool):
        return _json_error("malformed", 400)
    try:
        operations.close_session(db.session(), actor=acting_user(), row=row, recorded=recorded, now=utcnow())
    except operations.SessionError as error:
        db.session.rollback()
        return _json_error(error.code, 403 if error.code == "forbidden" else 409)
    db.session.commit()
    return jsonify(acta=url_for("facilitation.acta", session_id=row.id), sha256=row.acta_sha256)


# --- public ---------------------------------------------------------------------------------------


def acta(session_id: int):
    """A closed session's acta, printable: attendance and vote counts, never a choice."""
    row = _session_or_404(session_id)
    record = operations.acta_of(row)
    if record is None:
        abort(404)
    consultation = db.session.get(Consultation, row.consultation_id)
    return render_template(
        "facilitation/acta.html", row=row, acta=record, consultation=consultation, reasons=REASON_LABELS
    )


def public_sessions(consultation_id: int):
    """A published consultation's sessions: place, times, state, and the acta once closed."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None or consultation.phase == "draft":
        abort(404)
    return render_template(
        "facilitation/public_list.html",
        consultation=consultation,
        sessions=operations.sessions_of(db.session(), consultation_id),
        state_of=operations.state_of,
        states=STATE_LABELS,
    )
