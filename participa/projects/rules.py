"""Project rules as plain functions: states, and project admissibility (DESIGN §3, §5)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from participa.admissibility.rules import Verdict


class ProjectState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ADMISSIBLE = "admissible"
    INADMISSIBLE = "inadmissible"
    IN_CONSULTATION = "in_consultation"
    CONSULTED = "consulted"
    APPROVED = "approved"  # certified: approved by the binding result
    REJECTED = "rejected"  # certified: rejected by the binding result
    WITHDRAWN = "withdrawn"


EDITABLE_STATES = frozenset({ProjectState.DRAFT, ProjectState.INADMISSIBLE, ProjectState.ADMISSIBLE})
SUBMITTABLE_STATES = frozenset({ProjectState.DRAFT, ProjectState.INADMISSIBLE})
PUBLIC_STATES = frozenset(
    {ProjectState.IN_CONSULTATION, ProjectState.CONSULTED, ProjectState.APPROVED, ProjectState.REJECTED}
)


class RateStatus(StrEnum):
    """The technical evaluation of the national investment system (RATE)."""

    RS = "RS"  # recomendado satisfactoriamente
    FI = "FI"  # falta información
    OT = "OT"  # objetado técnicamente
    NV = "NV"  # no vigente
    IN = "IN"  # incumplimiento de normativa
    NONE = "none"


BIP_CODE = re.compile(r"^\d{8}-\d$")


@dataclass(frozen=True)
class ProjectFacts:
    title: str
    summary: str
    description: str
    axis: str
    comuna_cut: int
    submitter_comuna_cut: int | None
    bip_code: str
    amount_clp: int | None
    rate_status: str
    rate_date: date | None
    commitment_ids: tuple[int, ...]
    known_commitments: frozenset[int]


@dataclass(frozen=True)
class ProjectPolicy:
    min_amount_clp: int
    max_amount_clp: int
    rs_validity_days: int
    today: date


def project_verdicts(facts: ProjectFacts, policy: ProjectPolicy) -> list[Verdict]:
    """Every project admissibility rule, in order, each with its verdict and reason."""
    missing = [
        name
        for name in ("title", "summary", "description", "axis", "bip_code")
        if not str(getattr(facts, name) or "").strip()
    ]
    if facts.amount_clp is None:
        missing.append("amount_clp")
    verdicts = [Verdict("required_fields", not missing, "missing" if missing else None, ", ".join(missing) or None)]

    bip_ok = bool(BIP_CODE.match(facts.bip_code or ""))
    verdicts.append(Verdict("bip_format", bip_ok, None if bip_ok else "bad_format", facts.bip_code or None))

    amount = facts.amount_clp
    in_bounds = amount is not None and policy.min_amount_clp <= amount <= policy.max_amount_clp
    verdicts.append(
        Verdict(
            "amount_bounds",
            in_bounds,
            None if in_bounds else "out_of_bounds",
            f"{policy.min_amount_clp}..{policy.max_amount_clp}",
        )
    )

    if facts.rate_status != RateStatus.RS:
        verdicts.append(Verdict("technical_status", False, "not_rs", facts.rate_status))
    elif facts.rate_date is None or facts.rate_date > policy.today:
        verdicts.append(Verdict("technical_status", False, "rs_date_invalid", None))
    elif facts.rate_date < policy.today - timedelta(days=policy.rs_validity_days):
        verdicts.append(Verdict("technical_status", False, "rs_expired", facts.rate_date.isoformat()))
    else:
        verdicts.append(Verdict("technical_status", True))

    same = facts.submitter_comuna_cut is not None and facts.submitter_comuna_cut == facts.comuna_cut
    verdicts.append(Verdict("comuna_matches_submitter", same, None if same else "other_comuna"))

    unknown = [n for n in facts.commitment_ids if n not in facts.known_commitments]
    if not facts.commitment_ids:
        verdicts.append(Verdict("commitment_linked", False, "none_linked"))
    elif unknown:
        verdicts.append(Verdict("commitment_linked", False, "unknown", ", ".join(map(str, unknown))))
    else:
        verdicts.append(Verdict("commitment_linked", True))
    return verdicts
