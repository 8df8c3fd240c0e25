"""A set of pages, public and staff, rendered with data on them: what the HTML checker and the
Spanish-only check read (tests/web/test_html_validity.py, tests/web/test_spanish_pages.py)."""

from __future__ import annotations

from collections.abc import Iterator

from tests.fixtures.certification import closed_consultation
from tests.fixtures.proposals import proposal

PUBLIC = [
    "/", "/consultas", "/organizaciones", "/datos", "/datos/solicitudes", "/api/v1/", "/compromisos",
    "/compromisos/1", "/compromisos/verificar", "/verificar", "/auditoria/", "/ayuda", "/accesibilidad",
    "/privacidad", "/cuenta/ingresar", "/cuenta/registro", "/cuenta/clave/olvido", "/red", "/red/practicas",
    "/comunas", "/comunas/13128", "/red/encuentros",
]  # fmt: skip


def rendered_pages(client, session, sign_in, make_user) -> Iterator[tuple[str, bytes]]:
    """(path, body) of each page, in Spanish, after a counted named consultation with a
    proposal the comuna answered; staff pages signed in as a manager and a curator."""
    counted = closed_consultation(session, choices=("approve", "reject"), secrecy="named")
    org = counted.people[0][0]
    proposal(session, counted, org, answer="Se evaluará.")
    session.commit()
    cid = counted.consultation.id
    public = [
        *PUBLIC, f"/consultas/{cid}", f"/consultas/{cid}/propuestas", f"/consultas/{cid}/resultado",
        f"/consultas/{cid}/padron", f"/consultas/{cid}/comprobantes", f"/consultas/{cid}/votos",
        f"/organizaciones/{org.rut}", f"/proyectos/{counted.project.id}",
    ]  # fmt: skip
    browsers = [(client, public)]
    manager = sign_in(make_user(roles=["manager"]))
    browsers.append((manager, ["/gore/consultas", "/gore/consultas/nueva", f"/gore/consultas/{cid}",
                               f"/gore/consultas/{cid}/admisibilidad"]))  # fmt: skip
    curator = sign_in(make_user(roles=["curator"]))
    browsers.append((curator, ["/catastro/importaciones", "/catastro/organizaciones", "/catastro/representantes"]))
    for browser, paths in browsers:
        for path in paths:
            response = browser.get(path, headers={"Accept-Language": "es-CL"})
            assert response.status_code == 200, path
            yield path, response.data
