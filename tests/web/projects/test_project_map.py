"""A project's place: in words for everyone, on a map (Leaflet, tiles configurable) when it has
coordinates, and a link to OpenStreetMap (issue #16)."""

from __future__ import annotations

from decimal import Decimal

from tests.fixtures.certification import closed_consultation
from tests.web.support import text


def place(session, **values):
    closed = closed_consultation(session)
    project = closed.project
    for name, value in values.items():
        setattr(project, name, value)
    session.commit()
    return project


def test_a_project_with_coordinates_shows_its_place_in_words_a_link_and_a_map(client, session) -> None:
    project = place(session, latitude=Decimal("-33.405100"), longitude=Decimal("-70.727300"),
                    location_text="Plaza Villa Esperanza")  # fmt: skip
    response = client.get(f"/proyectos/{project.id}")
    page = response.get_data(as_text=True)
    assert "Plaza Villa Esperanza, Renca" in text(response)
    assert "https://www.openstreetmap.org/?mlat=-33.405100&amp;mlon=-70.727300" in page
    assert 'id="project-map"' in page and 'data-tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in page
    assert "vendor/leaflet/leaflet.js" in page
    assert "img-src 'self' data: https://tile.openstreetmap.org" in response.headers["Content-Security-Policy"]


def test_without_coordinates_or_tiles_there_is_no_map_but_the_place_in_words(client, session, app, monkeypatch) -> None:
    project = place(session, location_text="Pasaje Los Aromos")
    page = client.get(f"/proyectos/{project.id}").get_data(as_text=True)
    assert "Pasaje Los Aromos, Renca" in page and 'id="project-map"' not in page and "leaflet.js" not in page
    project.latitude, project.longitude = Decimal("-33.4"), Decimal("-70.7")
    session.commit()
    monkeypatch.setitem(app.config, "MAP_TILE_URL", "")
    page = client.get(f"/proyectos/{project.id}").get_data(as_text=True)
    assert 'id="project-map"' not in page and "openstreetmap.org/?mlat=" in page


def test_the_policy_names_the_configured_tile_server_only() -> None:
    from participa.core.security import content_security_policy

    assert "img-src 'self' data:;" in content_security_policy("")
    assert "img-src 'self' data: https://tiles.example.cl;" in content_security_policy(
        "https://tiles.example.cl/osm/{z}/{x}/{y}.png"
    )
    assert "javascript" not in content_security_policy("javascript:alert(1)")


def test_staff_write_the_place_in_the_form_and_a_bad_coordinate_changes_nothing(staff_a_client, session) -> None:
    from participa.projects.models import Project
    from tests.web.projects.helpers import create, post_new

    project_id = create(staff_a_client, location_text="  Plaza Villa Esperanza  ", latitude="-33.4051",
                        longitude="-70.7273")  # fmt: skip
    session.expire_all()
    made = session.get(Project, project_id)
    assert (made.location_text, made.latitude) == ("Plaza Villa Esperanza", Decimal("-33.405100"))
    refused = post_new(staff_a_client, title="Otro proyecto", latitude="-133", location_text="x" * 251)
    assert refused.status_code == 400
    assert "Otro proyecto" not in [p.title for p in session.query(Project).all()]
