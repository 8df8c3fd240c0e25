"""A practice's documents (issue #17, item 2): checked by content like every upload, attached by
the member's liaison while the practice waits for review, public once it is published, hidden
before from everyone but the liaison and network staff."""

from __future__ import annotations

import hashlib
import io

import pytest
import sqlalchemy as sa

from participa.network.models import PracticeDocument
from tests.fixtures.accounts import create_user, csrf_token
from tests.fixtures.network import MAIPU, RENCA, member, practice
from tests.web.projects.helpers import pdf_bytes
from tests.web.support import text


@pytest.fixture()
def staff(session):
    return create_user(session, roles=["network_staff"])


def attach(browser, practice_id: int, content: bytes, filename: str):
    page = f"/red/practicas/{practice_id}"
    return browser.post(
        f"{page}/documentos",
        data={"csrf_token": csrf_token(browser, page), "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def documents(session) -> list[PracticeDocument]:
    session.expire_all()
    return list(session.execute(sa.select(PracticeDocument).order_by(PracticeDocument.id)).scalars())


def stored_files(uploads) -> list:
    folder = uploads / "practices"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_a_liaison_attaches_a_pdf_that_becomes_public_with_the_practice(
    client, session, sign_in, staff, uploads
) -> None:
    renca, liaison = member(session, staff, RENCA)
    shared = practice(session, liaison, renca)
    content = pdf_bytes()
    browser = sign_in(liaison)
    response = attach(browser, shared.id, content, "resultados 2026.pdf")
    assert response.status_code == 302
    (document,) = documents(session)
    assert (document.filename, document.content_type, document.size_bytes) == (
        "resultados 2026.pdf",
        "application/pdf",
        len(content),
    )
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    link = f"/red/practicas/{shared.id}/documentos/{document.id}"
    assert client.get(link).status_code == 404, "not public while the practice waits for review"
    assert browser.get(link).data == content
    reviewer = sign_in(staff)
    page = f"/red/practicas/{shared.id}"
    assert reviewer.get(link).status_code == 200
    reviewer.post(
        f"{page}/revision", data={"decision": "publish", "reason": "", "csrf_token": csrf_token(reviewer, page)}
    )
    public = client.get(link)
    assert public.status_code == 200 and public.data == content
    assert public.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in public.headers["Content-Disposition"]
    assert document.sha256 in text(client.get(page))
    late = attach(browser, shared.id, pdf_bytes(), "otra.pdf")
    assert late.status_code == 400 and "ya fue revisada" in text(late)
    assert len(documents(session)) == 1


def test_a_file_that_is_not_a_pdf_or_image_is_refused_and_nothing_is_kept(session, sign_in, staff, uploads) -> None:
    renca, liaison = member(session, staff, RENCA)
    shared = practice(session, liaison, renca)
    response = attach(sign_in(liaison), shared.id, b"<html><script>alert(1)</script></html>", "acta.pdf")
    assert response.status_code == 400 and "debe ser PDF, JPG o PNG" in text(response)
    assert documents(session) == [] and stored_files(uploads) == []


def test_only_the_members_liaison_attaches_and_at_most_five(
    client, session, sign_in, make_user, staff, uploads
) -> None:
    renca, liaison = member(session, staff, RENCA)
    _maipu, other_liaison = member(session, staff, MAIPU)
    shared = practice(session, liaison, renca)
    assert attach(sign_in(other_liaison), shared.id, pdf_bytes(), "x.pdf").status_code == 404
    assert attach(sign_in(make_user(roles=["manager"])), shared.id, pdf_bytes(), "x.pdf").status_code == 404
    assert attach(sign_in(staff), shared.id, pdf_bytes(), "x.pdf").status_code == 403  # sees it, may not attach
    assert client.post(f"/red/practicas/{shared.id}/documentos").status_code in (302, 400)
    assert documents(session) == []
    browser = sign_in(liaison)
    for number in range(5):
        assert attach(browser, shared.id, pdf_bytes(), f"doc {number}.pdf").status_code == 302
    sixth = attach(browser, shared.id, pdf_bytes(), "sexto.pdf")
    assert sixth.status_code == 400 and "a lo más 5 documentos" in text(sixth)
    assert len(documents(session)) == 5 and len(stored_files(uploads)) == 5


def test_a_document_is_found_only_under_its_own_practice(client, session, sign_in, staff, uploads) -> None:
    renca, liaison = member(session, staff, RENCA)
    first, second = practice(session, liaison, renca), practice(session, liaison, renca, title="Otra práctica")
    browser = sign_in(liaison)
    assert attach(browser, first.id, pdf_bytes(), "a.pdf").status_code == 302
    (document,) = documents(session)
    assert browser.get(f"/red/practicas/{second.id}/documentos/{document.id}").status_code == 404
    assert browser.get(f"/red/practicas/{first.id}/documentos/{document.id + 1}").status_code == 404


def test_a_reviewer_who_is_also_the_liaison_gets_both_forms_with_distinct_ids(session, sign_in, staff, uploads) -> None:
    import re

    from participa.network import operations

    renca, _liaison = member(session, staff, RENCA)
    operations.set_liaison(session, actor=staff, member=renca, email=staff.email)
    session.commit()
    shared = practice(session, staff, renca)
    page = text(sign_in(staff).get(f"/red/practicas/{shared.id}"))
    assert "Guardar revisión" in page and "Adjuntar un documento" in page
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
