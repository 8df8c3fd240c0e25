"""Administration of roles through the real pages: comuna binding, refusals and the audit trail."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from participa.accounts.models import User
from participa.accounts.rules import Role
from participa.audit.models import AuditEvent
from participa.core import db
from participa.territory.models import Comuna
from tests.fixtures.accounts import csrf_token, login
from tests.web.support import fresh_client, location_path, text


@pytest.fixture()
def client(app, session):
    return fresh_client(app)


@pytest.fixture()
def admin(make_user) -> User:
    return make_user(name="Admin Principal", roles=[Role.ADMIN])


@pytest.fixture()
def admin_client(client, admin):
    response = login(client, admin)
    assert response.status_code == 302
    assert location_path(response) == "/cuenta/"
    return client


@pytest.fixture()
def comuna(session) -> Comuna:
    return session.execute(sa.select(Comuna).where(Comuna.name == "Puente Alto")).scalar_one_or_none() or (
        session.execute(sa.select(Comuna).order_by(Comuna.cut).limit(1)).scalar_one()
    )


def reload(user_id: int) -> User:
    db.session.expire_all()
    user = db.session.get(User, user_id)
    assert user is not None
    return user


def events(action: str, user_id: int) -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.execute(
            sa.select(AuditEvent)
            .where(AuditEvent.action == action, AuditEvent.object_type == "user", AuditEvent.object_id == str(user_id))
            .order_by(AuditEvent.id)
        ).scalars()
    )


def assign(client, user_id: int, role: str, comuna: int | str = ""):
    path = f"/admin/usuarios/{user_id}"
    token = csrf_token(client, path)
    return client.post(f"{path}/roles", data={"role": role, "comuna": str(comuna), "csrf_token": token})


def revoke(client, user_id: int, role: str):
    path = f"/admin/usuarios/{user_id}"
    token = csrf_token(client, path)
    return client.post(f"{path}/roles/quitar", data={"role": role, "csrf_token": token})


def test_user_page_shows_the_person_to_the_admin(admin_client, make_user):
    person = make_user(name="Julia Rojas")
    listing = admin_client.get("/admin/usuarios", query_string={"q": "julia"})
    assert listing.status_code == 200
    assert "Julia Rojas" in text(listing)
    page = admin_client.get(f"/admin/usuarios/{person.id}")
    assert page.status_code == 200
    assert person.email in text(page)


def test_user_page_of_unknown_person_is_404(admin_client):
    assert admin_client.get("/admin/usuarios/999999").status_code == 404


def test_assigning_municipal_staff_without_comuna_is_refused_and_changes_nothing(admin_client, make_user):
    person = make_user()
    response = assign(admin_client, person.id, Role.MUNICIPAL_STAFF)
    assert response.status_code == 400
    assert "Un funcionario municipal debe tener una comuna: elíjala." in text(response)
    person = reload(person.id)
    assert person.role_names() == set()
    assert person.comuna_cut is None
    assert events("role.granted", person.id) == []


def test_assigning_municipal_staff_with_comuna_binds_the_person_to_it(admin_client, admin, make_user, comuna):
    person = make_user()
    response = assign(admin_client, person.id, Role.MUNICIPAL_STAFF, comuna.cut)
    assert response.status_code == 302
    assert location_path(response) == f"/admin/usuarios/{person.id}"
    page = admin_client.get(location_path(response))
    assert "Rol asignado: Funcionario/a municipal." in text(page)
    assert comuna.name in text(page)

    person = reload(person.id)
    assert person.role_names() == {Role.MUNICIPAL_STAFF}
    assert person.comuna_cut == comuna.cut
    [assignment] = person.roles
    assert assignment.granted_by_id == admin.id
    [event] = events("role.granted", person.id)
    assert event.payload == {"role": "municipal_staff", "comuna": comuna.cut}
    assert [e.payload["to"] for e in events("account.comuna_set", person.id)] == [comuna.cut]


def test_assigning_an_unknown_role_is_refused(admin_client, make_user):
    person = make_user()
    response = assign(admin_client, person.id, "emperor")
    assert response.status_code == 400
    assert reload(person.id).role_names() == set()


def test_assigning_a_role_already_held_is_refused_with_a_message(admin_client, make_user):
    person = make_user(roles=[Role.REPRESENTATIVE])
    response = assign(admin_client, person.id, Role.REPRESENTATIVE)
    assert response.status_code == 400
    assert "La persona ya tiene ese rol." in text(response)
    assert events("role.granted", person.id) == []


@pytest.mark.parametrize("role", [Role.REPRESENTATIVE, Role.CURATOR, Role.CERTIFIER])
def test_non_admin_posting_to_the_role_endpoints_gets_403_and_nothing_changes(app, make_user, role, comuna):
    person = make_user(roles=[Role.REPRESENTATIVE])
    intruder = make_user(roles=[role])
    client = fresh_client(app)
    login(client, intruder)
    token = csrf_token(client, "/cuenta/")
    for target in (person, intruder):
        granted = client.post(
            f"/admin/usuarios/{target.id}/roles",
            data={"role": Role.ADMIN.value, "comuna": str(comuna.cut), "csrf_token": token},
        )
        assert granted.status_code == 403
        assert "Su cuenta no tiene permiso para ver esta página." in text(granted)
    removed = client.post(
        f"/admin/usuarios/{person.id}/roles/quitar", data={"role": Role.REPRESENTATIVE.value, "csrf_token": token}
    )
    assert removed.status_code == 403
    assert reload(person.id).role_names() == {Role.REPRESENTATIVE}
    assert reload(person.id).comuna_cut is None
    assert reload(intruder.id).role_names() == {role}
    assert events("role.granted", person.id) == events("role.granted", intruder.id) == []
    assert events("role.revoked", person.id) == []


def test_admin_cannot_revoke_their_own_admin_role(admin_client, admin):
    response = revoke(admin_client, admin.id, Role.ADMIN)
    assert response.status_code == 302
    page = admin_client.get(location_path(response))
    assert page.status_code == 200
    assert "No puede quitarse a sí mismo el rol de administrador." in text(page)
    assert Role.ADMIN in reload(admin.id).role_names()
    assert events("role.revoked", admin.id) == []
    assert admin_client.get("/admin/usuarios").status_code == 200


def test_admin_can_revoke_another_admins_role(admin_client, make_user):
    other = make_user(roles=[Role.ADMIN])
    response = revoke(admin_client, other.id, Role.ADMIN)
    assert response.status_code == 302
    assert reload(other.id).role_names() == set()


def test_role_grant_and_revoke_each_append_an_audit_event(admin_client, admin, make_user):
    person = make_user()
    assert assign(admin_client, person.id, Role.CURATOR).status_code == 302
    [granted] = events("role.granted", person.id)
    assert granted.actor_id == admin.id
    assert granted.payload["role"] == "curator"
    assert reload(person.id).role_names() == {Role.CURATOR}

    response = revoke(admin_client, person.id, Role.CURATOR)
    assert response.status_code == 302
    assert "Rol quitado." in text(admin_client.get(location_path(response)))
    [revoked] = events("role.revoked", person.id)
    assert revoked.actor_id == admin.id
    assert revoked.payload == {"role": "curator"}
    assert revoked.id > granted.id
    assert reload(person.id).role_names() == set()


def test_revoking_municipal_staff_unbinds_the_comuna(admin_client, make_user, comuna):
    person = make_user(roles=[Role.MUNICIPAL_STAFF], comuna_cut=comuna.cut)
    assert revoke(admin_client, person.id, Role.MUNICIPAL_STAFF).status_code == 302
    person = reload(person.id)
    assert person.role_names() == set()
    assert person.comuna_cut is None


def test_role_change_ends_the_persons_open_sessions(app, admin_client, make_user):
    person = make_user(roles=[Role.REPRESENTATIVE])
    elsewhere = fresh_client(app)
    login(elsewhere, person)
    assert elsewhere.get("/cuenta/").status_code == 200
    assert assign(admin_client, person.id, Role.CERTIFIER).status_code == 302
    response = elsewhere.get("/cuenta/")
    assert response.status_code == 302
    assert location_path(response) == "/cuenta/ingresar"
