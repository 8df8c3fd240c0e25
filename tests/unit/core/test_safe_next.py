"""participa.core.web.safe_next: redirect targets are same-site relative paths or the default."""

from __future__ import annotations

import pytest

from participa.core.web import safe_next

DEFAULT = "/cuenta/perfil"


@pytest.mark.parametrize(
    "target",
    [
        "/",
        "/profile",
        "/cuenta/perfil",
        "/proyectos/12?page=2",
        "/proyectos/12#votos",
        "/a/b/c?x=1&y=2#z",
        "/search?q=http://evil.example",  # a URL inside the query string is still our path
        "/path/with%2Fencoded",
        "/ñuñoa",
    ],
)
def test_safe_next_keeps_same_site_relative_paths(target: str) -> None:
    assert safe_next(target, DEFAULT) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "http://evil.example",
        "https://evil.example/login",
        "HTTPS://evil.example",
        "ftp://evil.example",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "mailto:someone@evil.example",
        "//evil.example",
        "//evil.example/path",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "\\/evil.example",
        "/path\\..\\evil",
        "/\t/evil.example",  # browsers drop tabs and newlines: this is //evil.example
        "/\n/evil.example",
        "/\r/evil.example",
        "profile",  # relative without a leading slash
        "evil.example",
        " /profile",
        "?next=/x",
        "#frag",
    ],
)
def test_safe_next_returns_default_for_anything_that_could_leave_the_site(target: str | None) -> None:
    assert safe_next(target, DEFAULT) == DEFAULT


@pytest.mark.parametrize("default", ["/", "/inicio", "/cuenta/perfil"])
def test_safe_next_returns_whichever_default_it_is_given(default: str) -> None:
    assert safe_next("https://evil.example", default) == default
    assert safe_next(None, default) == default
