"""What a reader sees first of a published question: the share in favour and the participation."""

from __future__ import annotations

from decimal import Decimal

from participa.tally.rules import reading


def question(approve: str, reject: str, abstain: str, denominator: str) -> dict:
    participating = str(Decimal(approve) + Decimal(reject) + Decimal(abstain))
    return {
        "approve": {"weight": approve},
        "reject": {"weight": reject},
        "abstain": {"weight": abstain},
        "participating": {"weight": participating},
        "majority_denominator_weight": denominator,
    }


def test_favour_is_over_the_majoritys_denominator_and_participation_over_the_roll() -> None:
    shares = reading(question("2.000000", "1.000000", "1.000000", "3.000000"), "10.000000")
    assert shares == {"favour": Decimal("66.7"), "participation": Decimal("40.0")}


def test_abstentions_count_in_favours_denominator_only_when_the_rules_say_so() -> None:
    counted = reading(question("2.000000", "1.000000", "1.000000", "4.000000"), "4.000000")
    assert counted == {"favour": Decimal("50.0"), "participation": Decimal("100.0")}


def test_nothing_to_divide_by_is_no_figure_not_an_error() -> None:
    assert reading(question("0", "0", "0", "0"), "0") == {"favour": None, "participation": None}


def test_halves_round_up_at_one_decimal() -> None:
    # 1/8 = 12.5 %: one decimal shows it whole; 1/16 = 6.25 % rounds half up to 6.3 %.
    assert reading(question("1", "7", "0", "8"), "16")["favour"] == Decimal("12.5")
    assert reading(question("1", "0", "0", "16"), "16")["favour"] == Decimal("6.3")
