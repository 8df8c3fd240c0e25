"""The router of docker-compose.yml (deploy/nginx/participa.conf.template) in a real nginx: account
pages go to the sign-in pool and everything else to the main pool (issue #10: a storm of sign-ins
never delays a vote), and the client's address is believed only from the host's proxy.

Docker does not run on the development machines; nginx does (Debian's package, which `make test`
installs). The file is rendered as nginx's official image renders its templates (each ${NAME}
of the environment substituted, nothing else), with two small servers standing in for the pools."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import ROOT

NGINX = Path(os.environ.get("NGINX", "/usr/sbin/nginx"))
TEMPLATE = ROOT / "deploy" / "nginx" / "participa.conf.template"


def pool(name: str):
    """A stand-in for a gunicorn pool: says which it is and what the router told it."""

    def app(environ, start_response):
        body = json.dumps(
            {
                "pool": name,
                "path": environ["PATH_INFO"],
                "remote": environ["REMOTE_ADDR"],
                "forwarded_for": environ.get("HTTP_X_FORWARDED_FOR"),
                "forwarded_proto": environ.get("HTTP_X_FORWARDED_PROTO"),
                "forwarded_host": environ.get("HTTP_X_FORWARDED_HOST"),
            }
        ).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def render(values: dict[str, str]) -> str:
    """As the nginx image's envsubst step: only the names given are substituted."""
    text = TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    left = re.findall(r"\$\{\w+\}", text)
    assert not left, f"the template names variables compose does not set: {left}"
    return text


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def router(tmp_path: Path) -> Iterator[callable]:
    if not NGINX.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{NGINX} is missing: `make test` installs Debian's nginx-light")
        pytest.skip(f"{NGINX} is missing (apt-get install -y nginx-light)")
    started: list[subprocess.Popen[bytes]] = []
    servers = {"web": pool("web"), "signin": pool("signin")}

    def start(host_proxy: str) -> str:
        listen = free_port()
        folder = tmp_path / f"nginx-{listen}"
        folder.mkdir()
        (folder / "participa.conf").write_text(
            render(
                {
                    "PARTICIPA_WEB": f"127.0.0.1:{servers['web'].server_port}",
                    "PARTICIPA_SIGNIN": f"127.0.0.1:{servers['signin'].server_port}",
                    "PROXY_LISTEN": f"127.0.0.1:{listen}",
                    "HOST_PROXY": host_proxy,
                }
            )
        )
        temp = " ".join(
            f"{kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (folder / "nginx.conf").write_text(
            f"{'user root;' if os.geteuid() == 0 else ''} worker_processes 1; pid {folder / 'nginx.pid'};"
            f" error_log {folder / 'error.log'}; events {{}}"
            f" http {{ access_log off; {temp} include {folder / 'participa.conf'}; }}"
        )
        process = subprocess.Popen(
            [str(NGINX), "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        started.append(process)
        base = f"http://127.0.0.1:{listen}"
        deadline = time.monotonic() + 10
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=1)  # noqa: S310 (a local http URL)
                return base
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None or time.monotonic() > deadline:
                    errors = process.stderr.read().decode() if process.stderr else ""
                    log = (folder / "error.log").read_text() if (folder / "error.log").exists() else ""
                    pytest.fail(f"nginx did not start: {errors} {log}")
                time.sleep(0.05)

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)
    for server in servers.values():
        server.shutdown()
    shutil.rmtree(tmp_path, ignore_errors=True)


def fetch(base: str, path: str, *, method: str = "GET", headers: dict[str, str] | None = None) -> dict:
    request = urllib.request.Request(  # noqa: S310 (a local http URL)
        base + path, method=method, headers=headers or {}, data=b"" if method == "POST" else None
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return json.loads(response.read())


@pytest.mark.parametrize(
    ("path", "method", "pool_name"),
    [
        ("/cuenta/ingresar", "POST", "signin"),
        ("/cuenta/ingresar?next=/facilitacion/", "GET", "signin"),
        ("/cuenta/segundo-factor", "POST", "signin"),
        ("/cuenta/registro", "POST", "signin"),
        ("/cuenta/", "GET", "signin"),
        ("/consultas/7/votar", "POST", "web"),
        ("/", "GET", "web"),
        ("/cuentas", "GET", "web"),  # not under /cuenta/
        ("/facilitacion/api/sesiones/3/sincronizar", "POST", "web"),
    ],
)
def test_account_pages_go_to_the_sign_in_pool_and_everything_else_to_web(router, path, method, pool_name) -> None:
    base = router(host_proxy="127.0.0.1")
    answer = fetch(base, path, method=method)
    assert answer["pool"] == pool_name
    assert answer["path"] == path.split("?")[0]


def test_the_clients_address_is_believed_from_the_host_proxy_and_passed_on_alone(router) -> None:
    base = router(host_proxy="127.0.0.1")  # the test client stands for the host's TLS proxy
    answer = fetch(
        base, "/", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", "Host": "participa.gob.cl"}
    )
    assert answer["forwarded_for"] == "203.0.113.7"  # one entry: the application reads one hop
    assert answer["forwarded_proto"] == "https" and answer["forwarded_host"] == "participa.gob.cl"
    plain = fetch(base, "/")
    assert plain["forwarded_for"] == "127.0.0.1" and plain["forwarded_proto"] == "http"


def test_a_forged_address_from_anyone_else_is_ignored(router) -> None:
    base = router(host_proxy="10.255.255.1")  # the host's proxy is elsewhere: this caller is not it
    answer = fetch(base, "/cuenta/ingresar", method="POST", headers={"X-Forwarded-For": "203.0.113.7"})
    assert answer["forwarded_for"] == "127.0.0.1"  # the caller's own address, never the forged one
