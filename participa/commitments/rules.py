"""The commitment record's rules as plain functions (DESIGN §4, "Commitment record"): statuses
and criteria, compliance = fulfilled / (total − deprioritised), each version's canonical record
and fingerprint, what changed between two versions, where a commitment stood at a date, and
the lines staff type for milestones and links."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from participa.core.canonical import canonical_json, sha256_hex

NOT_STARTED, IN_PROGRESS, FULFILLED, DEPRIORITISED = "not_started", "in_progress", "fulfilled", "deprioritised"
STATUSES = (NOT_STARTED, IN_PROGRESS, FULFILLED, DEPRIORITISED)
# How compliance is measured (the 2021-2024 report: "la inversión aprobada y/o la acción realizada").
CRITERIA = ("investment", "action")
CURRENT_PROGRAMME = "2025-2029"


# --- compliance ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Compliance:
    """Compliance of a set of commitments: fulfilled over the base (total − deprioritised), as an
    exact fraction; ``percent`` rounded half up to a whole number, None when the base is empty."""

    total: int
    deprioritised: int
    fulfilled: int

    @property
    def base(self) -> int:
        return self.total - self.deprioritised

    @property
    def fraction(self) -> Fraction | None:
        return Fraction(self.fulfilled, self.base) if self.base else None

    @property
    def percent(self) -> int | None:
        if self.fraction is None:
            return None
        value = Decimal(self.fraction.numerator * 100) / Decimal(self.fraction.denominator)
        return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def as_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "deprioritised": self.deprioritised,
            "base": self.base,
            "fulfilled": self.fulfilled,
            "fraction": f"{self.fulfilled}/{self.base}" if self.base else None,
            "percent": self.percent,
        }


def compliance(statuses: Iterable[str]) -> Compliance:
    """Compliance of commitments in these statuses: fulfilled / (total − deprioritised)."""
    listed = list(statuses)
    return Compliance(len(listed), listed.count(DEPRIORITISED), listed.count(FULFILLED))


@dataclass(frozen=True)
class ClosedProgramme:
    """A programme whose account is closed: only its published figures are kept."""

    code: str
    figures: Compliance
    source: str


# The 2021-2024 programme as its final report gives it (seed 000_53d7eeea3319417e): 167
# commitments, 15 deprioritised, effective base 152, compliance 88 % (134/152).
PREVIOUS_PROGRAMME = ClosedProgramme(
    "2021-2024",
    Compliance(total=167, deprioritised=15, fulfilled=134),
    "Cuenta pública del programa de gobierno 2021-2024, Gobierno de Santiago",
)


def grouped_compliance(rows: Iterable[tuple[str, str]]) -> dict[str, Compliance]:
    """Compliance per group from (group, status) pairs, groups in their first order."""
    groups: dict[str, list[str]] = {}
    for group, status in rows:
        groups.setdefault(group, []).append(status)
    return {group: compliance(statuses) for group, statuses in groups.items()}


# --- the record, its versions and fingerprints -----------------------------------------------------

# The fields of a commitment's record that staff edit, in the order a ficha shows them.
EDITABLE = (
    "description",
    "criterion",
    "division",
    "status",
    "milestones",
    "approved_investment_clp",
    "beneficiaries",
    "comunas",
    "links",
)


def fingerprint(record: Mapping[str, Any]) -> str:
    """The huella digital of a version: SHA-256 (hex) of its canonical JSON."""
    return sha256_hex(canonical_json(dict(record)))


def changes_between(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Field by field, what changed: {field: [before, after]}, fields in the record's order."""
    keys = list(dict.fromkeys([*before, *after]))
    return {key: [before.get(key), after.get(key)] for key in keys if before.get(key) != after.get(key)}


@dataclass(frozen=True)
class VersionFacts:
    """What a version says for the compliance at a date."""

    commitment_id: int
    recorded_at: datetime
    status: str
    comunas: Sequence[int]


def standing_at(versions: Iterable[VersionFacts], moment: datetime) -> dict[int, VersionFacts]:
    """Per commitment, its latest version recorded at or before ``moment`` (commitments with no
    version by then are absent: they did not exist in the record yet)."""
    found: dict[int, VersionFacts] = {}
    for version in sorted(versions, key=lambda v: v.recorded_at):  # already sorted: linear
        if version.recorded_at > moment:
            break
        found[version.commitment_id] = version
    return found


# --- what staff type ---------------------------------------------------------------------------------

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class LineError(ValueError):
    """A typed line that cannot be read: ``line`` counts from 1, ``code`` says why."""

    def __init__(self, line: int, code: str) -> None:
        super().__init__(f"{line}: {code}")
        self.line, self.code = line, code


def parse_milestones(text: str) -> list[dict[str, Any]]:
    """Milestones, one per line: ``2026-03-31 | what | hecho`` (the last part optional:
    "hecho" or "pendiente"). Returned sorted by date."""
    found = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) not in (2, 3) or not _DATE.match(parts[0]) or not parts[1]:
            raise LineError(number, "milestone_format")
        try:
            when = date.fromisoformat(parts[0])
        except ValueError:
            raise LineError(number, "milestone_date") from None
        state = (parts[2] if len(parts) == 3 else "pendiente").lower()
        if state not in ("hecho", "pendiente"):
            raise LineError(number, "milestone_state")
        found.append({"date": when.isoformat(), "text": parts[1][:300], "done": state == "hecho"})
    return sorted(found, key=lambda m: (m["date"], m["text"]))


def milestones_text(milestones: Iterable[Mapping[str, Any]]) -> str:
    return "\n".join(f"{m['date']} | {m['text']} | {'hecho' if m['done'] else 'pendiente'}" for m in milestones)


def parse_links(text: str) -> list[dict[str, str]]:
    """Links, one per line: ``title | https://...`` (https only)."""
    found = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 2 or not parts[0] or not re.fullmatch(r"https://[^\s<>\"']{3,500}", parts[1]):
            raise LineError(number, "link_format")
        found.append({"title": parts[0][:200], "url": parts[1]})
    return found


def links_text(links: Iterable[Mapping[str, str]]) -> str:
    return "\n".join(f"{link['title']} | {link['url']}" for link in links)
