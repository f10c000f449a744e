from __future__ import annotations

import pytest

from simulacra.evaluation import role_adherence, role_violation


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("I need a double room for 12-14 March.", None),
        ("my laptop wont turn on, what do i do", None),
        ("Sure! Here is a list of hotels.", "speaks_as_assistant"),
        ("How can I help you today?", "speaks_as_assistant"),
        ("I'd be happy to help with that.", "speaks_as_assistant"),
        ("The conversation has not started yet.", "instruction_leak"),
        ("Hi, any rooms?\nAssistant: yes we do", "writes_dialogue"),
        ("   ", "empty"),
    ],
)
def test_rules(text: str, kind: str | None) -> None:
    assert role_violation(text) == kind


def test_echo_of_the_other_side() -> None:
    bot = ["Hello! I can help with bookings. Which dates are you looking at?"]
    assert role_violation("Which dates are you looking at?", others=bot) == "echoes_other"
    assert role_violation("I can help with bookings. Which dates?", others=bot) == "echoes_other"
    assert role_violation("12 to 14 March, two nights.", others=bot) is None


def test_adherence_rate_and_interval() -> None:
    score = role_adherence(
        [
            "fine",
            "Sure! Here is it",
            ("Which dates are you looking at?", ["Which dates are you looking at?"]),
            "ok then",
        ]
    )
    assert score.turns == 4 and score.adherent == 2 and score.rate == 0.5
    assert score.violations["speaks_as_assistant"] == 1 and score.violations["echoes_other"] == 1
    low, high = score.wilson_interval()
    assert 0.1 < low < 0.5 < high < 0.9


def test_bootstrap_intervals() -> None:
    from simulacra.evaluation import bootstrap_mean, bootstrap_mean_difference

    est = bootstrap_mean([1.0, 2.0, 3.0, 4.0, 5.0])
    assert est.value == 3.0 and 1.5 < est.low < 3.0 < est.high < 4.5
    diff = bootstrap_mean_difference([10.0, 12.0, 11.0, 13.0], [1.0, 2.0, 1.5, 2.5])
    assert diff.low > 5 and abs(diff.value - 9.75) < 1e-9
    same = bootstrap_mean_difference([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert same.low < 0 < same.high
