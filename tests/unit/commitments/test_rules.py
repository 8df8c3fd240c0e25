"""Commitment record rules as plain functions (issue #14)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from participa.commitments import rules


def test_the_2021_2024_report_is_134_of_152_or_88_percent() -> None:
    figures = rules.PREVIOUS_PROGRAMME.figures
    assert (figures.total, figures.deprioritised, figures.base, figures.fulfilled) == (167, 15, 152, 134)
    assert figures.fraction == Fraction(134, 152)
    assert figures.percent == 88


def test_the_same_figures_computed_from_statuses() -> None:
    statuses = ["fulfilled"] * 134 + ["deprioritised"] * 15 + ["in_progress"] * 10 + ["not_started"] * 8
    computed = rules.compliance(statuses)
    assert computed == rules.PREVIOUS_PROGRAMME.figures
    assert computed.as_json()["fraction"] == "134/152"


def test_deprioritising_moves_the_base_not_the_count() -> None:
    before = rules.compliance(["fulfilled", "in_progress", "in_progress", "not_started"])
    after = rules.compliance(["fulfilled", "deprioritised", "in_progress", "not_started"])
    assert (before.fraction, after.fraction) == (Fraction(1, 4), Fraction(1, 3))
    assert (before.percent, after.percent) == (25, 33)


def test_an_empty_base_has_no_percentage_and_halves_round_up() -> None:
    assert rules.compliance(["deprioritised"]).percent is None
    assert rules.compliance([]).fraction is None
    assert rules.compliance(["fulfilled"] + ["not_started"] * 7).percent == 13  # 12,5 % rounds up


def test_grouped_compliance_keeps_the_groups_order() -> None:
    grouped = rules.grouped_compliance([("B", "fulfilled"), ("A", "not_started"), ("B", "not_started")])
    assert list(grouped) == ["B", "A"]
    assert grouped["B"].fraction == Fraction(1, 2)


def test_a_fingerprint_is_the_sha256_of_the_canonical_record_and_changes_with_it() -> None:
    record = {"commitment": 1, "status": "in_progress", "version": 2}
    assert rules.fingerprint(record) == rules.fingerprint(dict(reversed(list(record.items()))))
    assert rules.fingerprint({**record, "status": "fulfilled"}) != rules.fingerprint(record)
    assert len(rules.fingerprint(record)) == 64


def test_changes_between_name_each_changed_field_with_both_values() -> None:
    assert rules.changes_between({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {"b": [2, 3], "c": [None, 4]}
    assert rules.changes_between({"a": 1}, {"a": 1}) == {}


def test_where_a_commitment_stood_is_its_latest_version_by_then() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    versions = [
        rules.VersionFacts(1, start, "not_started", []),
        rules.VersionFacts(1, start + timedelta(days=40), "fulfilled", [13128]),
        rules.VersionFacts(2, start + timedelta(days=10), "in_progress", []),
    ]
    at = rules.standing_at(versions, start + timedelta(days=20))
    assert {k: v.status for k, v in at.items()} == {1: "not_started", 2: "in_progress"}
    assert rules.standing_at(versions, start - timedelta(days=1)) == {}
    assert rules.standing_at(versions, start + timedelta(days=40))[1].status == "fulfilled"


def test_milestones_and_links_are_read_line_by_line_with_the_line_of_a_mistake() -> None:
    text = "2026-06-30 | Licitación adjudicada | hecho\n\n2026-03-01 | Diseño aprobado"
    milestones = rules.parse_milestones(text)
    assert milestones == [
        {"date": "2026-03-01", "text": "Diseño aprobado", "done": False},
        {"date": "2026-06-30", "text": "Licitación adjudicada", "done": True},
    ]
    assert rules.parse_milestones(rules.milestones_text(milestones)) == milestones
    for bad, code in [
        ("2026-02-30 | x", "milestone_date"),
        ("mañana | x", "milestone_format"),
        ("2026-01-01 | x | quizás", "milestone_state"),
    ]:
        with pytest.raises(rules.LineError) as caught:
            rules.parse_milestones("2026-01-01 | bien\n" + bad)
        assert (caught.value.line, caught.value.code) == (2, code)
    links = rules.parse_links("Decreto | https://www.gobiernosantiago.cl/decreto")
    assert links == [{"title": "Decreto", "url": "https://www.gobiernosantiago.cl/decreto"}]
    for bad in ("Decreto | http://inseguro.cl", "javascript:alert(1)", "Sin enlace |"):
        with pytest.raises(rules.LineError):
            rules.parse_links(bad)
