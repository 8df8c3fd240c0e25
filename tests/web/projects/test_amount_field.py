"""Amounts are typed as Chileans write them (issue #16: "180.000.000" gave two stacked errors)."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from participa.projects.forms import ProjectForm


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("180.000.000", 180_000_000), ("$ 180.000.000", 180_000_000), ("180000000", 180_000_000), ("", None)],
)
def test_an_amount_with_dots_or_a_peso_sign_is_read_as_pesos(app, typed, stored) -> None:
    with app.test_request_context(method="POST"):
        form = ProjectForm(formdata=MultiDict({"amount_clp": typed}), meta={"csrf": False})
        form.amount_clp.validate(form)
        assert form.amount_clp.data == stored
        assert form.amount_clp.errors == []


@pytest.mark.parametrize("typed", ["180,5", "ciento ochenta", "1.000.000.000.000.000"])
def test_anything_else_gets_one_message_in_spanish(app, typed) -> None:
    with app.test_request_context(method="POST"):
        form = ProjectForm(formdata=MultiDict({"amount_clp": typed}), meta={"csrf": False})
        form.amount_clp.validate(form)
        assert [str(e) for e in form.amount_clp.errors] == [
            "Escriba un monto en pesos, sin decimales: por ejemplo 180.000.000."
        ]
