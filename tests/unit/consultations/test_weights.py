"""participa.consultations.weights: eligibility, weight schemes and the cap (DESIGN §4)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from participa.consultations.weights import (
    INELIGIBILITY_REASONS,
    SCHEME_PROBLEMS,
    Electorate,
    OrgFacts,
    compute_weights,
    eligibility,
    validate_scheme,
    weight_inputs,
)
from participa.core.canonical import canonical_json
from participa.registry.rules import OrgStatus, OrgType

CUTOFF = date(2025, 9, 1)
SANTIAGO, MAIPU, PUENTE_ALTO = 13101, 13119, 13201


def org(
    organisation_id: int = 1,
    *,
    org_type: str = OrgType.JUNTA_VECINOS,
    comuna: int = SANTIAGO,
    members: int | None = 100,
    status: str = OrgStatus.VERIFIED,
    start: date | None = date(2024, 1, 1),
    end: date | None = date(2027, 1, 1),
) -> OrgFacts:
    return OrgFacts(organisation_id, str(org_type), comuna, members, str(status), start, end)


def weigh(scheme: dict[str, Any], *orgs: OrgFacts, home: frozenset[int] = frozenset({SANTIAGO})) -> dict:
    return compute_weights(list(orgs), scheme, home)


def by_type_orgs(raw: list[str]) -> tuple[dict[str, Any], list[OrgFacts]]:
    """A by_type scheme and organisations whose raw weights are ``raw`` (one type per weight)."""
    types = list(OrgType)
    table = {types[i].value: weight for i, weight in enumerate(dict.fromkeys(raw))}
    lookup = {weight: kind for kind, weight in table.items()}
    orgs = [org(i, org_type=lookup[weight]) for i, weight in enumerate(raw)]
    return {"base": "by_type", "type_table": table}, orgs


# --- eligibility ----------------------------------------------------------------------------

ELECTORATE = Electorate(comunas=frozenset({SANTIAGO, MAIPU}), org_types=frozenset({"junta_vecinos"}), cutoff=CUTOFF)


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        (org(), None),
        (org(status=OrgStatus.PENDING), "not_verified"),
        (org(status="something_else"), "not_verified"),
        (org(status=OrgStatus.SUSPENDED), "suspended"),
        (org(status=OrgStatus.DISSOLVED), "dissolved"),
        (org(end=date(2025, 8, 31)), "board_not_valid"),  # expired the day before the cut-off
        (org(end=CUTOFF), None),  # the term ends on the cut-off: still covers it
        (org(start=CUTOFF), None),
        (org(start=date(2025, 9, 2)), "board_not_valid"),  # elected after the cut-off
        (org(end=None), "board_not_valid"),
        (org(start=None), None),
        (org(comuna=PUENTE_ALTO), "comuna_not_included"),
        (org(org_type=OrgType.FUNDACION), "type_not_included"),
        # the order of the checks: the first failing rule is the reason
        (org(status=OrgStatus.PENDING, end=None, comuna=PUENTE_ALTO, org_type="otra"), "not_verified"),
        (org(status=OrgStatus.SUSPENDED, end=None), "suspended"),
        (org(end=None, comuna=PUENTE_ALTO, org_type="otra"), "board_not_valid"),
        (org(comuna=PUENTE_ALTO, org_type="otra"), "comuna_not_included"),
    ],
)
def test_eligibility_reason_in_order(facts: OrgFacts, reason: str | None) -> None:
    assert eligibility(facts, ELECTORATE) == reason
    assert reason is None or reason in INELIGIBILITY_REASONS


def test_empty_type_and_comuna_sets_mean_all() -> None:
    everyone = Electorate(comunas=frozenset(), org_types=frozenset(), cutoff=CUTOFF)
    assert eligibility(org(comuna=PUENTE_ALTO, org_type=OrgType.FUNDACION), everyone) is None
    assert eligibility(org(status=OrgStatus.SUSPENDED), everyone) == "suspended"


# --- bases, territorial factor, product -----------------------------------------------------

BANDS = [[0, "1"], [50, "2"], [200, "3"]]


@pytest.mark.parametrize(
    ("scheme", "facts", "weight"),
    [
        ({"base": "equal"}, org(members=5000), "1.000000"),
        ({"base": "by_type", "type_table": {"junta_vecinos": "2", "union_comunal": "3.5"}}, org(), "2.000000"),
        ({"base": "by_type", "type_table": {"union_comunal": "3.5"}}, org(org_type="union_comunal"), "3.500000"),
        ({"base": "by_type", "type_table": {"union_comunal": "3.5"}}, org(), "1.000000"),  # missing type -> 1
        ({"base": "membership_bands", "bands": BANDS}, org(members=0), "1.000000"),
        ({"base": "membership_bands", "bands": BANDS}, org(members=49), "1.000000"),
        ({"base": "membership_bands", "bands": BANDS}, org(members=50), "2.000000"),
        ({"base": "membership_bands", "bands": BANDS}, org(members=199), "2.000000"),
        ({"base": "membership_bands", "bands": BANDS}, org(members=200), "3.000000"),
        ({"base": "membership_bands", "bands": BANDS}, org(members=10**6), "3.000000"),
        ({"base": "membership_bands", "bands": BANDS}, org(members=None), "1.000000"),  # unknown -> first band
        ({"base": "sqrt_members"}, org(members=120), "10.954451"),
        ({"base": "sqrt_members"}, org(members=2), "1.414214"),
        ({"base": "sqrt_members"}, org(members=400), "20.000000"),
        ({"base": "sqrt_members"}, org(members=1), "1.000000"),
        ({"base": "sqrt_members"}, org(members=0), "1.000000"),  # no members counts as one
        ({"base": "sqrt_members"}, org(members=None), "1.000000"),  # unknown counts as one
        ({"base": "sqrt_members"}, org(members=9_999_999), "3162.277502"),
    ],
)
def test_base_weights(scheme: dict[str, Any], facts: OrgFacts, weight: str) -> None:
    (final, inputs) = weigh(scheme, facts)[facts.organisation_id]
    assert isinstance(final, Decimal)
    assert str(final) == weight
    assert inputs["raw_weight"] == weight
    assert inputs["territorial_factor"] == "1"
    assert "home" not in inputs


def test_territorial_factor_multiplies_the_base() -> None:
    scheme = {
        "base": "sqrt_members",
        "territorial": {"home": "2", "elsewhere": "1"},
    }
    home, away = org(1, members=120), org(2, members=120, comuna=MAIPU)
    weights = weigh(scheme, home, away)
    assert weights[1] == (
        Decimal("21.908902"),
        {
            "base": "sqrt_members",
            "members": 120,
            "base_weight": "10.954451",
            "home": True,
            "territorial_factor": "2",
            "raw_weight": "21.908902",
        },
    )
    assert weights[2][0] == Decimal("10.954451")
    assert weights[2][1]["home"] is False
    assert weights[2][1]["territorial_factor"] == "1"


def test_product_of_type_table_and_territorial_factor() -> None:
    scheme = {
        "base": "by_type",
        "type_table": {"junta_vecinos": "3", "funcional": "1.5"},
        "territorial": {"home": "2", "elsewhere": "0.5"},
    }
    orgs = [
        org(1, org_type="junta_vecinos"),
        org(2, org_type="junta_vecinos", comuna=MAIPU),
        org(3, org_type="funcional"),
        org(4, org_type="funcional", comuna=MAIPU),
        org(5, org_type="fundacion", comuna=MAIPU),
    ]
    weights = {key: str(value) for key, (value, _) in weigh(scheme, *orgs).items()}
    assert weights == {1: "6.000000", 2: "1.500000", 3: "3.000000", 4: "0.750000", 5: "0.500000"}


def test_bands_times_territorial_home_comunas_are_a_set() -> None:
    scheme = {"base": "membership_bands", "bands": BANDS, "territorial": {"home": "2", "elsewhere": "1"}}
    orgs = [org(1, members=60), org(2, members=60, comuna=MAIPU), org(3, members=60, comuna=PUENTE_ALTO)]
    weights = weigh(scheme, *orgs, home=frozenset({SANTIAGO, MAIPU}))
    assert [weights[i][0] for i in (1, 2, 3)] == [Decimal(4), Decimal(4), Decimal(2)]
    assert weights[3][1] == {
        "base": "membership_bands",
        "members": 60,
        "band": 50,
        "base_weight": "2",
        "home": False,
        "territorial_factor": "1",
        "raw_weight": "2.000000",
    }


@pytest.mark.parametrize(
    ("base", "factor", "raw"),
    [
        ("1.5", "1.000001", "1.500002"),  # 1.5000015: the half goes to the even digit (2)
        ("2.5", "1.000001", "2.500002"),  # 2.5000025: the half goes to the even digit (2)
        ("1.000001", "1.000001", "1.000002"),  # 1.000002000001
        ("0.333333", "3", "0.999999"),
    ],
)
def test_product_is_quantized_to_6_places_half_even(base: str, factor: str, raw: str) -> None:
    scheme = {
        "base": "by_type",
        "type_table": {"junta_vecinos": base},
        "territorial": {"home": factor, "elsewhere": "1"},
    }
    final, inputs = weigh(scheme, org())[1]
    assert str(final) == raw
    assert final.as_tuple().exponent == -6
    assert inputs["raw_weight"] == raw


def test_weight_inputs_matches_compute_weights_and_is_json() -> None:
    scheme = {"base": "sqrt_members", "territorial": {"home": "2", "elsewhere": "1"}, "cap_share": "1"}
    facts = org(members=120)
    inputs = weight_inputs(facts, scheme, frozenset({SANTIAGO}))
    assert inputs == weigh(scheme, facts)[1][1]
    assert json.loads(canonical_json(inputs)) == inputs


def test_scheme_is_json_serialisable_as_published() -> None:
    scheme = {
        "base": "membership_bands",
        "type_table": {"junta_vecinos": "2"},
        "bands": BANDS,
        "territorial": {"home": "2", "elsewhere": "1"},
        "cap_share": "0.1",
    }
    assert validate_scheme(scheme) == []
    assert validate_scheme(json.loads(canonical_json(scheme))) == []


# --- cap ------------------------------------------------------------------------------------


def test_cap_that_binds_hand_computed() -> None:
    # 10, 1, 1, 1, 1 with cap 0.3: T = 4 / (1 - 0.3) = 5.7142857...; 0.3 T = 1.7142857... -> 1.714285
    scheme, orgs = by_type_orgs(["10", "1", "1", "1", "1"])
    scheme["cap_share"] = "0.3"
    weights = weigh(scheme, *orgs)
    assert weights[0][0] == Decimal("1.714285")
    assert [weights[i][0] for i in range(1, 5)] == [Decimal("1.000000")] * 4
    assert weights[0][1]["capped"] is True
    assert weights[0][1]["cap_share"] == "0.3"
    assert weights[0][1]["raw_weight"] == "10.000000"
    assert all("capped" not in weights[i][1] for i in range(1, 5))
    total = sum(weight for weight, _ in weights.values())
    assert total == Decimal("5.714285")
    assert weights[0][0] <= Decimal("0.3") * total  # rounded down: the cap holds exactly


def test_cap_in_two_rounds_hand_computed() -> None:
    # 10, 4, 1, 1, 1, 1 with cap 0.3. Round 1: T = 18, 0.3 T = 5.4 -> cap 10.
    # Round 2: T = 8 / 0.7 = 11.43, 0.3 T = 3.43 -> cap 4 too. Round 3: T = 4 / 0.4 = 10, 0.3 T = 3.
    scheme, orgs = by_type_orgs(["10", "4", "1", "1", "1", "1"])
    scheme["cap_share"] = "0.3"
    weights = weigh(scheme, *orgs)
    assert [str(weights[i][0]) for i in range(6)] == ["3.000000", "3.000000"] + ["1.000000"] * 4
    assert [weights[i][1].get("capped", False) for i in range(6)] == [True, True] + [False] * 4


@pytest.mark.parametrize("cap", ["0.5", "1", "0.400001"])
def test_cap_that_does_not_bind(cap: str) -> None:
    scheme, orgs = by_type_orgs(["2", "1", "1", "1", "1"])  # 2 / 6 = 0.33
    scheme["cap_share"] = cap
    weights = weigh(scheme, *orgs)
    assert [weights[i][0] for i in range(5)] == [Decimal(2)] + [Decimal(1)] * 4
    assert not any("capped" in inputs for _, inputs in weights.values())


def test_cap_at_one_over_n_makes_everybody_equal() -> None:
    scheme, orgs = by_type_orgs(["10", "1", "1", "1", "1"])
    scheme["cap_share"] = "0.2"  # 0.2 x 5 = 1: feasible, only by equal weights
    weights = weigh(scheme, *orgs)
    assert {weight for weight, _ in weights.values()} == {Decimal("1.000000")}


@pytest.mark.parametrize(("n", "cap"), [(3, "0.3"), (1, "0.5"), (9, "0.1")])
def test_infeasible_cap(n: int, cap: str) -> None:
    orgs = [org(i) for i in range(n)]
    with pytest.raises(ValueError, match="cap_infeasible"):
        weigh({"base": "equal", "cap_share": cap}, *orgs)
    weigh({"base": "equal", "cap_share": cap}, *orgs, org(n))  # one more organisation makes it feasible


member_counts = st.lists(st.integers(min_value=1, max_value=10**7), min_size=1, max_size=25)


@settings(max_examples=100, deadline=None)
@given(raw=member_counts, data=st.data())
def test_a_cap_that_n_organisations_cannot_meet_is_refused(raw: list[int], data: st.DataObject) -> None:
    # n organisations of at most cap * total each hold at most n * cap of the total: below 1, no
    # weights can satisfy the cap.
    cap_millis = data.draw(st.integers(min_value=1, max_value=999 // len(raw)))
    scheme = {"base": "sqrt_members", "cap_share": str(Decimal(cap_millis) / 1000)}
    with pytest.raises(ValueError, match="cap_infeasible"):
        weigh(scheme, *[org(i, members=members) for i, members in enumerate(raw)])


@settings(max_examples=150, deadline=None)
@given(raw=member_counts, data=st.data())
def test_a_feasible_cap_holds_exactly_and_touches_only_the_heaviest(raw: list[int], data: st.DataObject) -> None:
    cap_millis = data.draw(st.integers(min_value=-(-1000 // len(raw)), max_value=1000))
    cap = Decimal(cap_millis) / 1000
    scheme = {"base": "sqrt_members", "cap_share": str(cap)}
    orgs = [org(i, members=members) for i, members in enumerate(raw)]
    weights = weigh(scheme, *orgs)
    total = sum(weight for weight, _ in weights.values())
    capped = [key for key, (_, inputs) in weights.items() if inputs.get("capped")]
    free = [key for key in weights if key not in capped]
    for key, (weight, inputs) in weights.items():
        assert weight.as_tuple().exponent == -6
        assert weight <= cap * total  # exactly, no rounding excess
        raw_weight = Decimal(inputs["raw_weight"])
        if key in free:
            assert weight == raw_weight
        else:
            assert weight < raw_weight
            # the capped ones sit exactly at the cap, less at most one unit of the 6th place
            assert cap * total - weight <= Decimal("0.000001")
    if capped and free:
        assert min(weights[key][0] for key in capped) >= max(weights[key][0] for key in free)


# --- errors and validation ------------------------------------------------------------------


def test_compute_weights_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="invalid_scheme: unknown_base"):
        weigh({"base": "by_wealth"}, org())
    with pytest.raises(ValueError, match="duplicate_organisation"):
        weigh({"base": "equal"}, org(1), org(1))
    with pytest.raises(ValueError, match="invalid_scheme"):
        weight_inputs(org(), {"base": "equal", "cap_share": 0.1}, frozenset())
    assert weigh({"base": "equal", "cap_share": "0.1"}) == {}


@pytest.mark.parametrize(
    ("scheme", "problems"),
    [
        ({"base": "equal"}, []),
        ({"base": "equal", "territorial": None, "cap_share": None}, []),
        ({"base": "by_type", "type_table": {}}, []),
        ({"base": "membership_bands", "bands": [[0, "1"]]}, []),
        ({"base": "sqrt_members", "cap_share": "1"}, []),
        ("equal", ["not_an_object"]),
        (None, ["not_an_object"]),
        ({}, ["unknown_base"]),
        ({"base": "by_wealth"}, ["unknown_base"]),
        ({"base": "equal", "weights": "1"}, ["unknown_key"]),
        ({"base": "by_type"}, ["missing_type_table"]),
        ({"base": "by_type", "type_table": [["junta_vecinos", "2"]]}, ["bad_type_table"]),
        ({"base": "by_type", "type_table": {"club": "2"}}, ["unknown_org_type"]),
        ({"base": "by_type", "type_table": {"junta_vecinos": 2}}, ["not_a_decimal"]),
        ({"base": "by_type", "type_table": {"junta_vecinos": 2.5}}, ["not_a_decimal"]),
        ({"base": "by_type", "type_table": {"junta_vecinos": "dos"}}, ["not_a_decimal"]),
        ({"base": "by_type", "type_table": {"junta_vecinos": "2e1"}}, ["not_a_decimal"]),
        ({"base": "by_type", "type_table": {"junta_vecinos": "NaN"}}, ["not_a_decimal"]),
        ({"base": "by_type", "type_table": {"junta_vecinos": " 2"}}, ["not_a_decimal"]),
        ({"base": "by_type", "type_table": {"junta_vecinos": "0"}}, ["non_positive_weight"]),
        ({"base": "by_type", "type_table": {"junta_vecinos": "-1"}}, ["non_positive_weight"]),
        ({"base": "by_type", "type_table": {"junta_vecinos": "1.0000001"}}, ["too_many_places"]),
        ({"base": "by_type", "type_table": {"junta_vecinos": "1000001"}}, ["weight_too_large"]),
        ({"base": "membership_bands"}, ["missing_bands"]),
        ({"base": "membership_bands", "bands": []}, ["bad_bands"]),
        ({"base": "membership_bands", "bands": {"0": "1"}}, ["bad_bands"]),
        ({"base": "membership_bands", "bands": [[0, "1"], [50]]}, ["bad_bands"]),
        ({"base": "membership_bands", "bands": [[0, "1"], ["50", "2"]]}, ["bad_bands"]),
        ({"base": "membership_bands", "bands": [[0, "1"], [-5, "2"]]}, ["bad_bands"]),
        ({"base": "membership_bands", "bands": [[0, "1"], [True, "2"]]}, ["bad_bands"]),
        ({"base": "membership_bands", "bands": [[10, "1"], [50, "2"]]}, ["bands_not_from_zero"]),
        ({"base": "membership_bands", "bands": [[0, "1"], [200, "2"], [50, "3"]]}, ["bands_not_ascending"]),
        ({"base": "membership_bands", "bands": [[0, "1"], [50, "2"], [50, "3"]]}, ["bands_not_ascending"]),
        ({"base": "membership_bands", "bands": [[0, "0"], [50, "x"]]}, ["non_positive_weight", "not_a_decimal"]),
        ({"base": "equal", "territorial": {"home": "2"}}, ["bad_territorial"]),
        ({"base": "equal", "territorial": {"home": "2", "elsewhere": "1", "x": "1"}}, ["bad_territorial"]),
        ({"base": "equal", "territorial": "2"}, ["bad_territorial"]),
        ({"base": "equal", "territorial": {"home": "2", "elsewhere": "0"}}, ["non_positive_weight"]),
        ({"base": "equal", "cap_share": "0"}, ["cap_out_of_range"]),
        ({"base": "equal", "cap_share": "1.01"}, ["cap_out_of_range"]),
        ({"base": "equal", "cap_share": "-0.1"}, ["cap_out_of_range"]),
        ({"base": "equal", "cap_share": 0.1}, ["not_a_decimal"]),
        ({"base": "equal", "cap_share": "10%"}, ["not_a_decimal"]),
        # several problems, each once, in the order found
        (
            {"base": "x", "type_table": {"a": "0", "b": "-1"}, "cap_share": "2"},
            ["unknown_base", "unknown_org_type", "non_positive_weight", "cap_out_of_range"],
        ),
    ],
)
def test_validate_scheme(scheme: Any, problems: list[str]) -> None:
    assert validate_scheme(scheme) == problems
    assert set(problems) <= set(SCHEME_PROBLEMS)
