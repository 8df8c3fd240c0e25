"""Electorate and weights of a consultation's roll (DESIGN §4, "Registry and roll" and "Weights").

Pure functions: no Flask, no database, no floats. Every weight is an exact ``Decimal`` with 6
places; square roots are taken with ``Decimal.sqrt()`` in a local context of 50 digits and then
quantized to 6 places (ROUND_HALF_EVEN).

A weight scheme is configuration, a plain JSON-serialisable dict published with the result::

    {
      "base": "equal" | "by_type" | "membership_bands" | "sqrt_members",
      "type_table": {"junta_vecinos": "2", ...},     # by_type; a type missing from it weighs "1"
      "bands": [[0, "1"], [50, "2"], [200, "3"]],     # membership_bands: lower bound (inclusive) -> weight
      "territorial": null | {"home": "2", "elsewhere": "1"},
      "cap_share": null | "0.1"
    }

Weights inside the scheme are strings in plain decimal notation ("2", "1.5"; no exponent, at most
6 places), never JSON numbers, so that no float ever touches them.

How one organisation's weight is made:

1. base weight: ``equal`` -> 1; ``by_type`` -> the table's value for its type (1 when the type is
   not in the table); ``membership_bands`` -> the weight of the last band whose lower bound is
   <= members (unknown members -> the first band); ``sqrt_members`` -> sqrt(members) (the Penrose
   rule), quantized to 6 places; **unknown (None) or 0 members count as 1 member: base weight 1**.
2. territorial factor: with ``territorial`` set, "home" for organisations of the project's
   comunas, "elsewhere" for the others; 1 without it.
3. raw weight = base weight x territorial factor, quantized to 6 places.
4. cap: with ``cap_share`` = c, no organisation holds more than c of the final total. Water-filling:
   the organisations above c x T are fixed at exactly c x T, where T is the final total, solved in
   closed form T = R / (1 - k c) for k capped organisations whose uncapped rest sums to R; repeated
   until nobody else exceeds it (exact rational arithmetic). It is feasible iff c x n >= 1
   (otherwise ``cap_infeasible``). Capped weights are rounded **down** to 6 places, so the cap
   holds exactly: every final weight is <= c x (sum of final weights), with no rounding excess.
   (A capped weight is less than 0.000001 below its exact value.)
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction
from itertools import pairwise
from typing import Any

from participa.registry.rules import OrgStatus, OrgType, board_valid_on

PLACES = Decimal("0.000001")
ONE = Decimal(1)
PRECISION = 50  # digits of the local decimal context: far above 6 places x any roll size
MAX_FACTOR = Decimal(1_000_000)  # largest weight a scheme may state (type table, band, territorial)

BASES = ("equal", "by_type", "membership_bands", "sqrt_members")
SCHEME_KEYS = frozenset({"base", "type_table", "bands", "territorial", "cap_share"})
ORG_TYPES = frozenset(t.value for t in OrgType)

# Problem codes of validate_scheme, in the order they may be reported.
SCHEME_PROBLEMS = (
    "not_an_object",  # the scheme is not a JSON object
    "unknown_key",  # a key other than base, type_table, bands, territorial, cap_share
    "unknown_base",  # base missing or not one of BASES
    "missing_type_table",  # base by_type without a type_table
    "bad_type_table",  # type_table is not an object
    "unknown_org_type",  # a type_table key that is not a registry organisation type
    "missing_bands",  # base membership_bands without bands
    "bad_bands",  # bands is not a non-empty list of [lower bound (int >= 0), weight (string)]
    "bands_not_from_zero",  # the first band does not start at 0 members
    "bands_not_ascending",  # lower bounds are not strictly ascending
    "bad_territorial",  # territorial is not null or an object with exactly "home" and "elsewhere"
    "not_a_decimal",  # a weight or the cap is not a string in plain decimal notation
    "non_positive_weight",  # a weight <= 0
    "too_many_places",  # a weight with more than 6 decimal places
    "weight_too_large",  # a weight above MAX_FACTOR
    "cap_out_of_range",  # cap_share not in (0, 1]
)

_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")


# --- electorate -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgFacts:
    """What eligibility and weight need to know about one organisation (a registry snapshot)."""

    organisation_id: int
    org_type: str
    comuna_cut: int
    members_count: int | None
    status: str
    board_term_start: date | None
    board_term_end: date | None


@dataclass(frozen=True)
class Electorate:
    """A consultation's electorate rules. An empty ``comunas`` means every comuna of the region and
    an empty ``org_types`` every organisation type."""

    comunas: frozenset[int]
    org_types: frozenset[str]
    cutoff: date


# Reason codes of eligibility(), in the order they are checked.
INELIGIBILITY_REASONS = (
    "not_verified",
    "suspended",
    "dissolved",
    "board_not_valid",
    "comuna_not_included",
    "type_not_included",
)


def eligibility(org: OrgFacts, electorate: Electorate) -> str | None:
    """None when ``org`` may be on the roll (DESIGN §4), otherwise the first reason it may not, in
    the order of INELIGIBILITY_REASONS. A status other than the four known ones is "not_verified"."""
    if org.status == OrgStatus.SUSPENDED:
        return "suspended"
    if org.status == OrgStatus.DISSOLVED:
        return "dissolved"
    if org.status != OrgStatus.VERIFIED:
        return "not_verified"
    if not board_valid_on(org.board_term_start, org.board_term_end, electorate.cutoff):
        return "board_not_valid"
    if electorate.comunas and org.comuna_cut not in electorate.comunas:
        return "comuna_not_included"
    if electorate.org_types and org.org_type not in electorate.org_types:
        return "type_not_included"
    return None


# --- scheme ---------------------------------------------------------------------------------


def _parse_decimal(value: Any) -> Decimal | None:
    """A Decimal from a string in plain decimal notation, else None (numbers, exponents, NaN...)."""
    if not isinstance(value, str) or not _PLAIN_DECIMAL.fullmatch(value):
        return None
    return Decimal(value)


def _weight_problems(value: Any) -> list[str]:
    number = _parse_decimal(value)
    if number is None:
        return ["not_a_decimal"]
    problems = []
    if number <= 0:
        problems.append("non_positive_weight")
    if int(number.as_tuple().exponent) < -6:
        problems.append("too_many_places")
    if number > MAX_FACTOR:
        problems.append("weight_too_large")
    return problems


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _type_table_problems(table: Any, base: Any) -> list[str]:
    if table is None:
        return ["missing_type_table"] if base == "by_type" else []
    if not isinstance(table, Mapping):
        return ["bad_type_table"]
    found = []
    for org_type, value in table.items():
        if org_type not in ORG_TYPES:
            found.append("unknown_org_type")
        found.extend(_weight_problems(value))
    return found


def _bands_problems(bands: Any, base: Any) -> list[str]:
    if bands is None:
        return ["missing_bands"] if base == "membership_bands" else []
    if not isinstance(bands, list | tuple) or not bands:
        return ["bad_bands"]
    found: list[str] = []
    bounds: list[int] = []
    for band in bands:
        if not isinstance(band, list | tuple) or len(band) != 2 or not _is_count(band[0]):
            found.append("bad_bands")
            continue
        bounds.append(band[0])
        found.extend(_weight_problems(band[1]))
    if bounds and len(bounds) == len(bands):
        if bounds[0] != 0:
            found.append("bands_not_from_zero")
        if any(later <= earlier for earlier, later in pairwise(bounds)):
            found.append("bands_not_ascending")
    return found


def _territorial_problems(territorial: Any) -> list[str]:
    if territorial is None:
        return []
    if not isinstance(territorial, Mapping) or set(territorial) != {"home", "elsewhere"}:
        return ["bad_territorial"]
    return [*_weight_problems(territorial["home"]), *_weight_problems(territorial["elsewhere"])]


def _cap_problems(cap: Any) -> list[str]:
    if cap is None:
        return []
    share = _parse_decimal(cap)
    if share is None:
        return ["not_a_decimal"]
    return [] if Decimal(0) < share <= ONE else ["cap_out_of_range"]


def validate_scheme(scheme: Any) -> list[str]:
    """Problem codes of a weight scheme (see SCHEME_PROBLEMS), each at most once, in the order
    found; an empty list means the scheme is valid. Parts the base does not use (a type table
    under "equal", say) are checked too, since the whole scheme is published."""
    if not isinstance(scheme, Mapping):
        return ["not_an_object"]
    base = scheme.get("base")
    codes = [
        *(["unknown_key"] if any(key not in SCHEME_KEYS for key in scheme) else []),
        *(["unknown_base"] if not isinstance(base, str) or base not in BASES else []),
        *_type_table_problems(scheme.get("type_table"), base),
        *_bands_problems(scheme.get("bands"), base),
        *_territorial_problems(scheme.get("territorial")),
        *_cap_problems(scheme.get("cap_share")),
    ]
    return list(dict.fromkeys(codes))


def _require_valid(scheme: Mapping[str, Any]) -> None:
    problems = validate_scheme(scheme)
    if problems:
        raise ValueError("invalid_scheme: " + ", ".join(problems))


# --- weights --------------------------------------------------------------------------------


def _quantize(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_EVEN)


def _inputs(org: OrgFacts, scheme: Mapping[str, Any], home_comunas: frozenset[int]) -> tuple[Decimal, dict]:
    """(raw weight, inputs) for a scheme already validated. Runs in the caller's local context."""
    base = scheme["base"]
    inputs: dict[str, Any] = {"base": base}
    if base == "equal":
        base_weight = ONE
    elif base == "by_type":
        inputs["org_type"] = org.org_type
        base_weight = Decimal(scheme["type_table"].get(org.org_type, "1"))
    elif base == "membership_bands":
        inputs["members"] = org.members_count
        lower, weight = scheme["bands"][0]
        if org.members_count is not None:
            for band_lower, band_weight in scheme["bands"]:
                if band_lower <= org.members_count:
                    lower, weight = band_lower, band_weight
        inputs["band"] = lower
        base_weight = Decimal(weight)
    else:  # sqrt_members
        inputs["members"] = org.members_count
        members = org.members_count if org.members_count and org.members_count > 0 else 1
        base_weight = _quantize(Decimal(members).sqrt())
    inputs["base_weight"] = str(base_weight)

    territorial = scheme.get("territorial")
    factor = ONE
    if territorial is not None:
        home = org.comuna_cut in home_comunas
        inputs["home"] = home
        factor = Decimal(territorial["home" if home else "elsewhere"])
    inputs["territorial_factor"] = str(factor)
    raw = _quantize(base_weight * factor)
    inputs["raw_weight"] = str(raw)
    return raw, inputs


def weight_inputs(org: OrgFacts, scheme: Mapping[str, Any], home_comunas: frozenset[int]) -> dict:
    """The inputs that produce ``org``'s raw (uncapped) weight, JSON-serialisable (strings and
    ints), e.g. {"base": "sqrt_members", "members": 120, "base_weight": "10.954451",
    "home": true, "territorial_factor": "2", "raw_weight": "21.908902"}.

    Keys: "base"; "org_type" (by_type); "members" (membership_bands, sqrt_members; may be null);
    "band" (membership_bands: lower bound of the band used); "base_weight"; "home" (only with a
    territorial factor); "territorial_factor" ("1" without one); "raw_weight". The cap, which
    depends on the whole roll, is applied by compute_weights. Raises ValueError on an invalid
    scheme."""
    _require_valid(scheme)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        ctx.rounding = ROUND_HALF_EVEN
        return _inputs(org, scheme, home_comunas)[1]


def _cap(raw: dict[int, Decimal], share: Decimal) -> dict[int, Decimal]:
    """Capped weights of the organisations the cap binds (water-filling, closed form per round).
    Exact rational arithmetic; the common capped weight is rounded down to 6 places."""
    cap = Fraction(share)
    exact = {key: Fraction(value) for key, value in raw.items()}
    order = sorted(exact, key=lambda key: exact[key], reverse=True)
    capped: set[int] = set()
    rest = sum(exact.values(), Fraction(0))
    while True:
        limit = cap * rest / (1 - len(capped) * cap)  # c x T, with T = R / (1 - k c)
        above = [key for key in order if key not in capped and exact[key] > limit]
        if not above:
            floored = Decimal(math.floor(limit * 10**6)).scaleb(-6)
            return {key: floored.quantize(PLACES) for key in capped}
        capped.update(above)
        rest -= sum((exact[key] for key in above), Fraction(0))


def compute_weights(
    orgs: Sequence[OrgFacts], scheme: Mapping[str, Any], home_comunas: frozenset[int]
) -> dict[int, tuple[Decimal, dict]]:
    """Final weight (Decimal, 6 places) and inputs of each organisation, by organisation id.

    The inputs are weight_inputs' plus, for the organisations the cap binds, {"capped": true,
    "cap_share": "<c>"}. Raises ValueError("invalid_scheme: ...") on an invalid scheme,
    ValueError("duplicate_organisation") when an id repeats and ValueError("cap_infeasible") when
    cap_share x (number of organisations) < 1 (nobody could stay under the cap)."""
    _require_valid(scheme)
    ids = [org.organisation_id for org in orgs]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate_organisation")
    if not orgs:
        return {}
    with localcontext() as ctx:
        ctx.prec = PRECISION
        ctx.rounding = ROUND_HALF_EVEN
        raw: dict[int, Decimal] = {}
        inputs: dict[int, dict] = {}
        for org in orgs:
            raw[org.organisation_id], inputs[org.organisation_id] = _inputs(org, scheme, home_comunas)
        final = dict(raw)
        cap = scheme.get("cap_share")
        if cap is not None:
            share = Decimal(cap)
            if share * len(orgs) < ONE:
                raise ValueError("cap_infeasible")
            for key, weight in _cap(raw, share).items():
                final[key] = weight
                inputs[key]["capped"] = True
                inputs[key]["cap_share"] = cap
    return {key: (final[key], inputs[key]) for key in ids}
