"""Data requests (issue #15, item 6): anyone signed in asks for a dataset, others support it once,
open-data staff answer with a status; all public and audited, except who asked and supported."""

from __future__ import annotations

import sqlalchemy as sa

from participa.audit.models import AuditEvent
from participa.opendata import requests as rules
from participa.opendata.models import DataRequest, DataRequestSupport
from tests.fixtures.accounts import csrf_token
from tests.web.support import location_path, text

LIST = "/datos/solicitudes"
GOOD = {"title": "Montos aprobados por comuna", "body": "Para comparar la inversión regional entre comunas vecinas."}


def file(browser, **data) -> object:
    return browser.post(LIST, data={**GOOD, **data, "csrf_token": csrf_token(browser, LIST)})


def count(session) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(DataRequest)).scalar_one()


def test_a_signed_in_person_files_a_request_that_is_public_without_their_name(
    client, session, sign_in, make_user
) -> None:
    person = make_user(name="Ximena Confidencial", email="ximena@example.cl")
    response = file(sign_in(person))
    assert response.status_code == 302
    made = session.execute(sa.select(DataRequest)).scalar_one()
    assert location_path(response) == f"/datos/solicitudes/{made.id}" and made.status == "open"
    page = text(client.get(f"/datos/solicitudes/{made.id}"))
    assert GOOD["title"] in page and GOOD["body"] in page and "Abierta" in page
    assert "Ximena" not in page and "ximena@example.cl" not in page
    for path in (
        LIST,
        "/datos/solicitudes-de-datos.csv",
        "/datos/solicitudes-de-datos.json",
        "/api/v1/solicitudes-de-datos",
    ):
        body = client.get(path).get_data(as_text=True)
        assert GOOD["title"] in body and "Ximena" not in body and "ximena@" not in body, path
    event = session.execute(sa.select(AuditEvent).where(AuditEvent.action == "data_requests.filed")).scalar_one()
    assert event.object_id == str(made.id)


def test_bad_requests_are_refused_in_spanish_and_store_nothing(client, session, sign_in, make_user) -> None:
    browser = sign_in(make_user())
    for data, message in (
        ({"title": "abc"}, "Escriba entre 5 y 150 caracteres."),
        ({"title": "x" * 151}, "Escriba entre 5 y 150 caracteres."),
        ({"body": "muy corto"}, "Escriba entre 20 y 2000 caracteres."),
        ({"title": "   \x00\x01\x02   "}, "El título debe tener entre 5 y 150 caracteres."),
    ):
        response = file(browser, **data)
        assert response.status_code == 400 and message in text(response), data
    assert count(session) == 0
    no_token = browser.post(LIST, data=GOOD)
    assert no_token.status_code == 400 and count(session) == 0
    anonymous = client.post(LIST, data={**GOOD, "csrf_token": csrf_token(client, LIST)})
    assert anonymous.status_code == 302 and "/cuenta/ingresar" in anonymous.headers["Location"] and count(session) == 0


def test_others_support_once_the_author_never_and_the_catalogue_ranks_by_support(
    client, session, sign_in, make_user
) -> None:
    author = sign_in(make_user())
    file(author)
    file(author, title="Asistencia a las sesiones presenciales")
    first, second = session.execute(sa.select(DataRequest).order_by(DataRequest.id)).scalars()
    path = f"/datos/solicitudes/{second.id}/apoyar"
    for _ in range(2):
        supporter = sign_in(make_user())
        assert (
            supporter.post(path, data={"csrf_token": csrf_token(supporter, path.rsplit("/", 1)[0])}).status_code == 302
        )
        again = supporter.post(
            path, data={"csrf_token": csrf_token(supporter, path.rsplit("/", 1)[0])}, follow_redirects=True
        )
        assert "Usted ya apoya esta solicitud." in text(again)
    own = author.post(path, data={"csrf_token": csrf_token(author, path.rsplit("/", 1)[0])}, follow_redirects=True)
    assert "Usted hizo esta solicitud" in text(own)
    assert client.post(path).status_code in (302, 400)
    session.expire_all()
    assert session.get(DataRequest, second.id).supports == 2 and session.get(DataRequest, first.id).supports == 0
    supports = session.execute(sa.select(sa.func.count()).select_from(DataRequestSupport)).scalar_one()
    assert supports == 2
    catalogue = text(client.get("/datos"))
    assert catalogue.index("Asistencia a las sesiones presenciales") < catalogue.index("Montos aprobados por comuna")
    assert "2 apoyos" in catalogue


def test_staff_answer_published_needs_a_link_refused_needs_a_reason(client, session, sign_in, make_user) -> None:
    file(sign_in(make_user()))
    made = session.execute(sa.select(DataRequest)).scalar_one()
    page = f"/datos/solicitudes/{made.id}"
    path = f"{page}/responder"
    staff = sign_in(make_user(roles=["manager"]))

    def answer(browser, **data):
        return browser.post(path, data={"status": "published", "answer": "Ya está.", "link": "", **data,
                                        "csrf_token": csrf_token(browser, page)})  # fmt: skip

    refused = answer(staff)
    assert refused.status_code == 400 and "escriba el enlace a los datos" in text(refused)
    for link in ("javascript:alert(1)", "//malo.example/x", "ftp://x.cl/a", "https://", "no es enlace"):
        assert answer(staff, link=link).status_code == 400, link
    no_reason = answer(staff, status="refused", answer="")
    assert no_reason.status_code == 400
    link_when_planned = answer(staff, status="planned", answer="En marzo.", link="/datos")
    assert link_when_planned.status_code == 400
    session.expire_all()
    assert session.get(DataRequest, made.id).status == "open"

    assert answer(staff, link="/datos/proyectos.csv").status_code == 302
    session.expire_all()
    done = session.get(DataRequest, made.id)
    assert (done.status, done.link, done.answer) == ("published", "/datos/proyectos.csv", "Ya está.")
    public = text(client.get(page))
    assert "Respuesta: Publicada" in public and 'href="/datos/proyectos.csv"' in client.get(page).get_data(True)
    event = session.execute(sa.select(AuditEvent).where(AuditEvent.action == "data_requests.answered")).scalar_one()
    assert event.payload == {"from": "open", "to": "published"}
    closed = sign_in(make_user())
    late = closed.post(f"{page}/apoyar", data={"csrf_token": csrf_token(closed, page)}, follow_redirects=True)
    assert "ya fue respondida" in text(late)


def test_only_open_data_staff_answer(client, session, sign_in, make_user) -> None:
    file(sign_in(make_user()))
    made = session.execute(sa.select(DataRequest)).scalar_one()
    page = f"/datos/solicitudes/{made.id}"
    data = {"status": "planned", "answer": "En marzo."}
    for roles in ([], ["representative"], ["municipal_staff"], ["facilitator"], ["curator"], ["certifier"]):
        browser = sign_in(make_user(roles=roles, comuna_cut=13101 if "municipal_staff" in roles else None))
        assert "Responder (equipo" not in text(browser.get(page))
        response = browser.post(f"{page}/responder", data={**data, "csrf_token": csrf_token(browser, page)})
        assert response.status_code == 403, roles
    anonymous = client.post(f"{page}/responder", data=data)
    assert anonymous.status_code in (302, 400)
    session.expire_all()
    assert session.get(DataRequest, made.id).status == "open"
    assert client.get("/datos/solicitudes/999999").status_code == 404


def test_the_rules_stand_without_flask() -> None:
    assert rules.plain("  hola\x00\x07 mundo\n ") == "hola mundo"
    assert rules.request_problem("Datos", "x" * 20) is None
    assert rules.request_problem("Dato", "x" * 20) == "title_length"
    assert rules.link_ok("https://datos.gob.cl/dataset/1") and rules.link_ok("/datos/comunas.csv")
    assert not any(rules.link_ok(x) for x in ("", "data:text/html,x", "//x.cl", "http:///x", "/a b"))
    assert rules.answer_problem("open", "x" * 5, "") == "bad_status"
    assert rules.answer_problem("refused", "", "") == "reason_required"
