"""The API and the downloads answer 429 with Retry-After beyond their rate (issue #15 item 4)."""

from __future__ import annotations

import pytest

from participa.core.ratelimit import limiter


@pytest.fixture()
def limited(app, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")
    monkeypatch.setitem(app.config, "DOWNLOAD_RATE_LIMIT", "2 per minute")
    limiter.reset()
    yield
    limiter.reset()


def test_the_api_answers_429_in_json_with_retry_after_beyond_its_rate(client, limited) -> None:
    statuses = [client.get("/api/v1/compromisos").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/api/v1/compromisos")
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0


def test_a_download_answers_429_with_a_page_that_says_to_wait(client, limited) -> None:
    statuses = [client.get("/datos/organizaciones.csv").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    refused = client.get("/datos/organizaciones.csv")
    assert "Demasiadas solicitudes" in refused.get_data(as_text=True) and "Retry-After" in refused.headers


def test_pages_are_not_limited(client, limited) -> None:
    assert {client.get("/compromisos").status_code for _ in range(5)} == {200}
