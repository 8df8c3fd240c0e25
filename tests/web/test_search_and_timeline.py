"""Search and filters on the public consultations and proposals, and a consultation's timeline
of phases (issue #16: what users of Decidim and CONSUL would miss)."""

from __future__ import annotations

from participa.consultations import operations as consultations
from participa.consultations.rules import Phase
from participa.core.db import utcnow
from tests.fixtures.accounts import create_user
from tests.fixtures.certification import closed_consultation
from tests.fixtures.consultations import admissible_project, consultation_data, voting_consultation
from tests.fixtures.proposals import proposal
from tests.web.support import text


def titles(page: str, candidates: list[str]) -> list[str]:
    return [t for t in candidates if t in page]


def test_consultations_are_searched_by_words_phase_and_comuna(client, session) -> None:
    voting, _manager, _people = voting_consultation(session, organisations=1, title="Plaza Ñuñoa iluminada")
    counted = closed_consultation(session, comuna_cut=13101, title="Ciclovía Santiago Centro")
    manager = create_user(session, roles=["manager"])
    consultations.create_consultation(
        session, actor=manager, data=consultation_data([admissible_project(session).id], title="Borrador oculto")
    )
    session.commit()
    names = ["Plaza Ñuñoa iluminada", "Ciclovía Santiago Centro", "Borrador oculto"]
    assert titles(text(client.get("/consultas")), names) == names[:2]
    assert titles(text(client.get("/consultas", query_string={"q": "NUNOA plaza"})), names) == names[:1]
    assert titles(text(client.get("/consultas", query_string={"q": "ciclovia"})), names) == names[1:2]
    assert titles(text(client.get("/consultas", query_string={"q": "borrador"})), names) == []
    by_phase = text(client.get("/consultas", query_string={"etapa": "certification"}))
    assert titles(by_phase, names) == names[1:2] and "1 consulta" in by_phase
    by_comuna = text(client.get("/consultas", query_string={"comuna": "13101"}))
    assert titles(by_comuna, names) == names[1:2]
    none = text(client.get("/consultas", query_string={"q": "inexistente"}))
    assert "Ninguna consulta coincide con la búsqueda." in none
    for bad in ({"etapa": "draft"}, {"comuna": "99999"}, {"q": "x" * 121}):
        assert client.get("/consultas", query_string=bad).status_code == 400, bad
    assert voting.id and counted.consultation.id


def test_proposals_are_searched_by_words_project_kind_and_answer(client, session) -> None:
    counted = closed_consultation(session, choices=("approve", "reject"))
    org = counted.people[0][0]
    proposal(session, counted, org, title="Más luminarias", body="Que se iluminen las plazas del sector.")
    proposal(session, counted, org, title="Bancas con sombra", body="Bancas bajo los árboles.", kind="observation",
             answer="Se evaluará en 2027.")  # fmt: skip
    proposal(session, counted, org, title="Texto oculto luminarias", body="Ofensivo", hidden=True, hidden_reason="X")
    session.commit()
    path = f"/consultas/{counted.consultation.id}/propuestas"
    names = ["Más luminarias", "Bancas con sombra"]
    assert titles(text(client.get(path, query_string={"q": "LUMINARIAS"})), names) == names[:1]
    assert "Texto oculto" not in text(client.get(path, query_string={"q": "oculto"}))
    assert titles(text(client.get(path, query_string={"tipo": "observation"})), names) == names[1:]
    assert titles(text(client.get(path, query_string={"respuesta": "con"})), names) == names[1:]
    assert titles(text(client.get(path, query_string={"respuesta": "sin"})), names) == names[:1]
    question = counted.consultation.questions[0].id
    assert titles(text(client.get(path, query_string={"proyecto": str(question)})), names) == names
    assert client.get(path, query_string={"proyecto": "999999"}).status_code == 400
    assert client.get(path, query_string={"tipo": "spam"}).status_code == 400


def test_the_timeline_marks_the_current_phase_with_its_dates(client, session) -> None:
    opened, _manager, _people = voting_consultation(session, organisations=1)
    session.commit()
    page = client.get(f"/consultas/{opened.id}").get_data(as_text=True)
    timeline = page[page.index('class="timeline"') : page.index("</ol>", page.index('class="timeline"'))]
    assert timeline.count("<li") == 6
    current = timeline[timeline.index('aria-current="step"') :]
    assert current.startswith('aria-current="step"') and "Votación" in current.split("</li>")[0]
    assert "etapa actual" in current.split("</li>")[0]
    assert timeline.count("(terminada)") == 2  # information and proposals
    assert "cuando se certifique el resultado" in timeline


def test_the_timeline_rule_orders_the_phases() -> None:
    from participa.consultations.rules import Schedule, timeline

    now = utcnow()
    schedule = Schedule(now, now, now, now)
    steps = timeline(Phase.CERTIFICATION, schedule, None)
    assert [s.state for s in steps] == ["done", "done", "done", "done", "current", "upcoming"]
    assert steps[-1].starts_at is None and steps[4].ends_at is None
    certified = timeline(Phase.PUBLISHED, schedule, now)
    assert certified[-1].state == "current" and certified[4].ends_at == now
