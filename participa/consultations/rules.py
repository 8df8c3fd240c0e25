"""Consultation rules as plain functions: phases and their order, what the schedule says,
and which hand-made changes are allowed (DESIGN §3, consultations)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from fractions import Fraction
from typing import Any

from participa.core import logic


class Phase(StrEnum):
    DRAFT = "draft"
    INFORMATION = "information"
    PROPOSALS = "proposals"
    VOTING = "voting"
    COUNTING = "counting"
    CERTIFICATION = "certification"
    PUBLISHED = "published"


ORDER = list(Phase)
# The phases the clock drives once a consultation is open; later ones follow the count and
# the certification, never the clock.
CLOCK_PHASES = (Phase.INFORMATION, Phase.PROPOSALS, Phase.VOTING, Phase.COUNTING)


@dataclass(frozen=True)
class Schedule:
    information_at: datetime
    proposals_at: datetime
    voting_at: datetime
    voting_ends_at: datetime

    def start_of(self, phase: Phase) -> datetime | None:
        return {
            Phase.INFORMATION: self.information_at,
            Phase.PROPOSALS: self.proposals_at,
            Phase.VOTING: self.voting_at,
            Phase.COUNTING: self.voting_ends_at,
        }.get(phase)

    def problems(self) -> list[str]:
        if not (self.information_at <= self.proposals_at <= self.voting_at < self.voting_ends_at):
            return ["schedule_order"]
        return []


@dataclass(frozen=True)
class Step:
    """One phase of a consultation's timeline: when it starts and ends (None when no date sets
    it: counting ends and certification starts when the work is done) and whether it is past,
    the current one or still to come."""

    phase: Phase
    starts_at: datetime | None
    ends_at: datetime | None
    state: str  # "done", "current" or "upcoming"


def timeline(current: Phase, schedule: Schedule, certified_at: datetime | None) -> list[Step]:
    """The public phases in order with their dates (DESIGN §4, consultation phases)."""
    bounds = {
        Phase.INFORMATION: (schedule.information_at, schedule.proposals_at),
        Phase.PROPOSALS: (schedule.proposals_at, schedule.voting_at),
        Phase.VOTING: (schedule.voting_at, schedule.voting_ends_at),
        Phase.COUNTING: (schedule.voting_ends_at, None),
        Phase.CERTIFICATION: (None, certified_at),
        Phase.PUBLISHED: (certified_at, None),
    }
    position = ORDER.index(current)
    steps = []
    for phase, (starts, ends) in bounds.items():
        place = ORDER.index(phase)
        state = "done" if place < position else "current" if place == position else "upcoming"
        steps.append(Step(phase, starts, ends, state))
    return steps


def next_phase(current: Phase) -> Phase | None:
    index = ORDER.index(current)
    return ORDER[index + 1] if index + 1 < len(ORDER) else None


def scheduled_phase(current: Phase, schedule: Schedule, now: datetime) -> Phase | None:
    """The next phase the schedule has reached, or ``None``. One step at a time, so that each
    change has its own event and side effects (the roll freezes on entering voting)."""
    if current == Phase.DRAFT:
        return None  # a manager opens a consultation; the clock never does
    following = next_phase(current)
    if following not in CLOCK_PHASES:
        return None
    start = schedule.start_of(following)
    return following if start is not None and now >= start else None


SCHEDULE_FIELDS = {
    Phase.INFORMATION: "information_at",
    Phase.PROPOSALS: "proposals_at",
    Phase.VOTING: "voting_at",
    Phase.COUNTING: "voting_ends_at",
}


def early_start(target: Phase, schedule: Schedule, now: datetime) -> tuple[str, datetime] | None:
    """A manager starting ``target`` before its published date moves that date to now, so that
    the published schedule says what happened (a vote opened early is open on every page, one
    closed early is closed). Returns the schedule field and its published date, or None."""
    field = SCHEDULE_FIELDS.get(target)
    start = schedule.start_of(target)
    if field is None or start is None or start <= now:
        return None
    return field, start


def manual_change_allowed(current: Phase, target: Phase) -> bool:
    """A manager moves a consultation one phase forward, up to counting; certification and
    publication follow the tally and the certifiers."""
    return next_phase(current) == target and target in (Phase.INFORMATION, *CLOCK_PHASES)


def voting_window(
    phase: Any, roll_frozen_at: Any, opens: Any, closes: Any, at: Any, ops: logic.Ops = logic.PYTHON
) -> Any:
    """Votes are taken in the voting phase, once the roll is frozen, from the opening instant
    up to (not including) the closing one. Written once (:mod:`participa.core.logic`): the
    pages and the Python path ask it with values, the database function that casts online
    ballots is generated from it (:mod:`participa.voting.sql`)."""
    return ops.all_of(
        ops.equal(phase, Phase.VOTING.value), ops.present(roll_frozen_at), ops.at_most(opens, at), ops.less(at, closes)
    )


def voting_open(phase: str, schedule: Schedule, now: datetime, roll_frozen: bool) -> bool:
    """Whether a ballot cast ``now`` is inside the voting window (:func:`voting_window`)."""
    return bool(voting_window(phase, True if roll_frozen else None, schedule.voting_at, schedule.voting_ends_at, now))


MAJORITIES = {
    "simple": (Fraction(1, 2), True),  # more than half: yes / (yes + no) > 1/2
    "two_thirds": (Fraction(2, 3), False),  # at least two thirds: >= 2/3
    "three_fifths": (Fraction(3, 5), False),
}
