"""A curator uploads a registry file in Chromium, watches the progress bar move while a real
worker imports it, then reads the report (issue #3)."""

from __future__ import annotations

import time
import urllib.request

import pyotp
import pytest
from flask import Flask
from playwright.sync_api import Error as PlaywrightError

from participa.core import db
from tests.fixtures.accounts import PASSWORD, create_user
from tests.fixtures.processes import compose_command, free_port, process_env, start, wait_for
from tests.fixtures.registry import csv_bytes, row, rut, wrong_check_digit

pytestmark = [pytest.mark.postgres, pytest.mark.worker, pytest.mark.browser]


@pytest.fixture()
def live_server(app: Flask, tmp_path):
    command = compose_command("web")
    port = free_port()
    command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    command[command.index("--workers") + 1] = "2"
    web = start("web", command, process_env(app), tmp_path)

    def up() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return True
        except OSError:
            return False

    wait_for(up, 30, "gunicorn", web)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        web.stop()


def sign_in(page, base: str, email: str, secret: str) -> None:
    page.goto(f"{base}/cuenta/ingresar")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    page.get_by_label("Código de 6 dígitos").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Verificar").click()
    page.wait_for_url(f"{base}/cuenta/")


def test_curator_uploads_a_file_sees_progress_then_the_report(
    app: Flask, live_server: str, long_worker, page, tmp_path
) -> None:
    with app.app_context():
        curator = create_user(db.session(), roles=["curator"])
        email, secret = curator.email, curator.totp_secret
        db.session.remove()
    valid = [rut(90_000_000 + i) for i in range(80_000)]
    bad = [wrong_check_digit(99_000_000 + i) for i in range(25)]
    upload = tmp_path / "catastro-municipal.csv"
    upload.write_bytes(csv_bytes([row(r) for r in valid] + [row(b) for b in bad], encoding="cp1252"))

    sign_in(page, live_server, email, secret)
    page.goto(f"{live_server}/catastro/importaciones")
    page.get_by_label("Archivo CSV del catastro").set_input_files(str(upload))
    page.get_by_role("button", name="Subir e importar").click()
    page.wait_for_url("**/catastro/importaciones/*")

    seen: list[int] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if page.get_by_role("heading", name="Informe").count():
            break
        try:
            value = page.evaluate("() => (document.getElementById('import-bar') || {value: -1}).value")
        except PlaywrightError:  # the page went on to the report while we read it
            continue
        if value >= 0 and (not seen or value != seen[-1]):
            seen.append(int(value))
        time.sleep(0.1)
    page.get_by_role("heading", name="Informe").wait_for()

    moving = [v for v in seen if 0 < v < 100]
    assert moving, f"the progress bar never showed an intermediate value: {seen}"
    assert seen == sorted(seen), f"the progress bar went backwards: {seen}"
    summary = page.locator("table.summary").inner_text()
    assert "80000" in summary.replace(".", "").replace(",", "")
    rejected = page.locator("table.data-table").last.inner_text()
    assert "RUT inválido" in rejected
    assert page.get_by_role("link", name="Descargar el informe completo (CSV)").count() == 1
