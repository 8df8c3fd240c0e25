"""Proposal rules as plain functions: text limits and cleaning, and proposal admissibility."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import nh3

from participa.admissibility.rules import Verdict
from participa.core.text import fold

TITLE_MAX = 150
BODY_MIN = 20
BODY_MAX = 4000
KINDS = ("proposal", "observation")


def clean_text(text: str) -> str:
    """Plain text, sanitised and stored as sanitised: every HTML tag removed and the rest
    HTML-escaped by nh3 (a maintained sanitiser), spaces trimmed. What is stored can go into any
    page, e-mail or export without harm; pages show it with the ``sanitised`` filter, which
    does not escape it a second time."""
    return nh3.clean(text or "", tags=set(), attributes={}, strip_comments=True).strip()


def text_problem(title: str, body: str) -> str | None:
    if not title.strip():
        return "title_missing"
    if len(title) > TITLE_MAX:
        return "title_too_long"
    if len(body.strip()) < BODY_MIN:
        return "body_too_short"
    if len(body) > BODY_MAX:
        return "body_too_long"
    return None


def fingerprint(title: str, body: str) -> str:
    """What two proposals share when one repeats the other (case, accents and spacing aside)."""
    return fold(title) + "|" + fold(body)


@dataclass(frozen=True)
class ProposalFacts:
    created_at: datetime
    proposals_at: datetime
    voting_at: datetime
    eligibility_problem: str | None  # None when the organisation is eligible
    duplicate_of: int | None  # an earlier admissible proposal with the same text, same question


def proposal_verdicts(facts: ProposalFacts) -> list[Verdict]:
    in_phase = facts.proposals_at <= facts.created_at < facts.voting_at
    return [
        Verdict("within_proposals_phase", in_phase, None if in_phase else "outside_phase"),
        Verdict("organisation_eligible", facts.eligibility_problem is None, facts.eligibility_problem),
        Verdict(
            "not_duplicate",
            facts.duplicate_of is None,
            None if facts.duplicate_of is None else "duplicate",
            None if facts.duplicate_of is None else str(facts.duplicate_of),
        ),
    ]
