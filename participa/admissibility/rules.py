"""What every admissibility rule returns, whatever it judges."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Verdict:
    rule: str
    ok: bool
    reason: str | None = None  # a code the page explains; None when the rule holds
    detail: str | None = None  # what the reason refers to (a value, a limit)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def admissible(verdicts: Sequence[Verdict]) -> bool:
    return all(v.ok for v in verdicts)


def first_reason(verdicts: Sequence[Verdict]) -> str | None:
    """The reason of the first rule that does not hold, in the order the rules are applied."""
    return next((v.reason or v.rule for v in verdicts if not v.ok), None)
