"""The public record of a consultation on the web: the trackers list and the receipt lookup,
the frozen roll, the named votes, the result, their downloads and how to verify them
(DESIGN §4, Votes). Everything here is public: nothing on these pages or files pairs an
organisation, its weight or its receipt code with a choice under a secret ballot."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, current_app, render_template, request, send_file, stream_with_context
from flask_babel import lazy_gettext as _l

from participa.certification.forms import CertificateCodeForm
from participa.certification.models import Certification
from participa.consultations.labels import majority_words
from participa.consultations.models import Consultation, RollEntry
from participa.consultations.rules import Phase
from participa.core import db
from participa.core.ratelimit import download_limit
from participa.core.web import page_number
from participa.tally import rules as tally_rules
from participa.voting import operations, records, rules
from participa.voting.forms import ReceiptForm
from participa.voting.labels import CHANNEL_LABELS, CHOICE_LABELS, REASON_LABELS, STATUS_LABELS
from participa.voting.models import Ballot, TallyResult, Vote

PAGE_SIZE = 100
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
VERIFIER = "verificar.py"
BAD_CODE = _l("El código tiene 16 letras y números en cuatro grupos, como ABCD-EFGH-IJKL-MNOP.")


def published(consultation_id: int) -> Consultation:
    """A consultation the public may know of: a draft does not exist outside its managers."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None or consultation.phase == Phase.DRAFT:
        abort(404)
    return consultation


def stored_result(consultation_id: int) -> TallyResult | None:
    """The result of the consultation's current count round (a refused round's result is kept
    but is no longer the result)."""
    return db.session.execute(operations.current_result_query(consultation_id)).scalar_one_or_none()


def _page() -> int:
    return page_number()


def _not_yet(consultation: Consultation, message: Any) -> tuple[str, int]:
    return render_template("voting/not_yet.html", consultation=consultation, message=message), 404


# --- trackers and the receipt lookup -------------------------------------------------------------


def trackers(consultation_id: int):
    """Every ballot: its tracker, weight and status (counted, superseded, not admitted with the
    reason). Never the organisation, the receipt code, the time or the choice."""
    consultation = published(consultation_id)
    page = _page()
    total = db.session.execute(
        sa.select(sa.func.count()).select_from(Ballot).where(Ballot.consultation_id == consultation_id)
    ).scalar_one()
    rows = [
        records.tracker_item(row)
        for row in db.session.execute(
            records.tracker_query(consultation_id).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
        )
    ]
    return render_template(
        "voting/trackers.html",
        consultation=consultation,
        rows=rows,
        total=total,
        page=page,
        page_size=PAGE_SIZE,
        result=stored_result(consultation_id),
        form=ReceiptForm(),
        status_labels=STATUS_LABELS,
        reason_labels=REASON_LABELS,
    )


def lookup(consultation_id: int):
    """Whoever holds a receipt code learns the status and weight of its ballot, never the
    choice. The code is posted, not put in the address, so that no access log keeps it."""
    consultation = published(consultation_id)
    form = ReceiptForm()
    found = None
    searched = request.method == "POST"
    if searched and form.validate_on_submit():
        code = rules.normalise_receipt(form.codigo.data)
        if not code:
            form.codigo.errors = [str(BAD_CODE)]
        else:
            row = db.session.execute(
                records.tracker_query(consultation_id).where(Ballot.tracker == rules.tracker_of(code))
            ).first()
            found = records.tracker_item(row) if row is not None else None
    status = 200 if not searched or found else (400 if form.errors else 404)
    return render_template(
        "voting/lookup.html",
        consultation=consultation,
        form=form,
        found=found,
        searched=searched,
        status_labels=STATUS_LABELS,
        reason_labels=REASON_LABELS,
    ), status


# --- the roll --------------------------------------------------------------------------------


def roll(consultation_id: int):
    """The frozen roll, public in every mode once frozen: organisation, RUT, weight and the
    inputs that produced it, with the roll hash."""
    consultation = published(consultation_id)
    if consultation.roll_frozen_at is None:
        return _not_yet(consultation, _l("El padrón se publica cuando se congela, al abrir la votación."))
    page = _page()
    total = db.session.execute(
        sa.select(sa.func.count()).select_from(RollEntry).where(RollEntry.consultation_id == consultation_id)
    ).scalar_one()
    entries = (
        db.session.execute(
            sa.select(RollEntry)
            .where(RollEntry.consultation_id == consultation_id)
            .order_by(RollEntry.legal_name, RollEntry.organisation_id)
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
        .scalars()
        .all()
    )
    return render_template(
        "voting/roll.html", consultation=consultation, entries=entries, total=total, page=page, page_size=PAGE_SIZE
    )


# --- named votes -------------------------------------------------------------------------------


def votes(consultation_id: int):
    """Under a named ballot, once counted: every vote with its organisation, weight, choice,
    channel, time and verdict, superseded ones included."""
    consultation = published(consultation_id)
    if consultation.secrecy != "named":
        return _not_yet(
            consultation, _l("Esta consulta es con voto secreto: no se publica cómo votó cada organización.")
        )
    if stored_result(consultation_id) is None:
        return _not_yet(consultation, _l("Los votos de cada organización se publican al terminar el conteo."))
    page = _page()
    total = db.session.execute(
        sa.select(sa.func.count()).select_from(Vote).where(Vote.consultation_id == consultation_id)
    ).scalar_one()
    rows = [
        records.vote_item(row)
        for row in db.session.execute(
            records.vote_query(consultation_id).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
        )
    ]
    titles = {q.id: q.project.title for q in consultation.questions}
    return render_template(
        "voting/votes.html",
        consultation=consultation,
        rows=rows,
        total=total,
        page=page,
        page_size=PAGE_SIZE,
        titles=titles,
        choice_labels=CHOICE_LABELS,
        channel_labels=CHANNEL_LABELS,
        status_labels=STATUS_LABELS,
        reason_labels=REASON_LABELS,
    )


# --- the result -------------------------------------------------------------------------------


def counted_weights(consultation_id: int) -> list[Decimal]:
    """The weight of every counted ballot: public (the trackers list), and all a reader has to
    work out which organisations a total could be made of."""
    weights: list[Decimal] = []
    for row in db.session.execute(records.tracker_query(consultation_id)):
        if records.tracker_item(row)["status"] == rules.COUNTED and row.weight is not None:
            weights.append(Decimal(row.weight))
    return weights


def result(consultation_id: int):
    """The computed result: head counts and weight sums side by side, the rules and hashes, and
    under a secret ballot, where a total alone tells who chose an option."""
    consultation = published(consultation_id)
    stored = stored_result(consultation_id)
    if stored is None:
        return render_template("voting/no_result.html", consultation=consultation), 404
    data = json.loads(stored.canonical_json)
    revealed: dict[int, dict[str, bool | None]] = {}
    if consultation.secrecy == "secret":
        participants = counted_weights(consultation_id)
        for question in data["questions"]:
            totals = {c: (question[c]["heads"], Decimal(question[c]["weight"])) for c in rules.CHOICES}
            revealed[question["question_id"]] = rules.revealed_choices(participants, totals)
    certification = db.session.execute(
        sa.select(Certification).where(Certification.consultation_id == consultation_id)
    ).scalar_one_or_none()
    return render_template(
        "voting/result.html",
        consultation=consultation,
        certification=certification,
        stored=stored,
        data=data,
        questions={q.id: q for q in consultation.questions},
        choice_labels=CHOICE_LABELS,
        revealed=revealed,
        datasets=records.datasets_of(consultation),
        reason_labels=REASON_LABELS,
        readings={q["question_id"]: tally_rules.reading(q, data["roll_total_weight"]) for q in data["questions"]},
        quorum_percent=consultation.quorum * 100,
        majority_label=majority_words(
            consultation.majority_numerator, consultation.majority_denominator, consultation.majority_strict
        ),
        Decimal=Decimal,
    )


def result_json(consultation_id: int):
    """Exactly the canonical bytes whose SHA-256 is published."""
    published(consultation_id)
    stored = stored_result(consultation_id) or abort(404)
    response = Response(stored.canonical_json.encode("utf-8"), mimetype="application/json")
    response.set_etag(stored.sha256)
    response.headers["Content-Disposition"] = f'inline; filename="consulta-{consultation_id}-resultado.json"'
    return response.make_conditional(request)


# --- downloads --------------------------------------------------------------------------------


@download_limit
def download(consultation_id: int, name: str, extension: str):
    """A public file of the consultation (padron, comprobantes, votos), as CSV or JSON. Once the
    result exists the bytes are final and their SHA-256 is in the result: it is the ETag."""
    consultation = published(consultation_id)
    dataset = records.DATASETS.get(name)
    if dataset is None or extension not in CONTENT_TYPES or dataset not in records.datasets_of(consultation):
        abort(404)
    stored = stored_result(consultation_id)
    if dataset is records.ROLL and consultation.roll_frozen_at is None:
        abort(404)
    if dataset is records.VOTES and stored is None:
        abort(404)
    filename = f"{dataset.name}.{extension}"
    etag = json.loads(stored.canonical_json).get("files", {}).get(filename) if stored is not None else None
    if etag is not None and request.if_none_match.contains(etag):
        return Response(status=304, headers={"ETag": f'"{etag}"'})

    def chunks() -> Iterator[bytes]:
        # The request's own session is closed once the view returns: the stream reads through
        # the session of its own context, which is removed when the stream ends.
        yield from records.file_chunks(db.session(), consultation, dataset, extension)

    response = Response(stream_with_context(chunks()), mimetype=CONTENT_TYPES[extension])
    response.headers["Content-Disposition"] = f'attachment; filename="consulta-{consultation_id}-{filename}"'
    if etag is not None:
        response.set_etag(etag)
    return response


# --- how to verify ----------------------------------------------------------------------------


def how_to_verify():
    return render_template(
        "voting/how_to_verify.html",
        code_form=CertificateCodeForm(),
        status_labels=STATUS_LABELS,
        reason_labels=REASON_LABELS,
        roll=records.ROLL,
        trackers=records.TRACKERS,
        votes=records.VOTES,
    )


def verifier():
    """The standalone verifier, run with Python's standard library alone."""
    path = current_app.static_folder + "/" + VERIFIER
    return send_file(path, mimetype="text/x-python", as_attachment=True, download_name=VERIFIER)
