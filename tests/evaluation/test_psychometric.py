from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import pytest

from simulacra.errors import ConfigError
from simulacra.evaluation._correlation import bootstrap_correlation, pearson, ranks, spearman
from simulacra.evaluation._psychometric import (
    QuestionnaireInterviewer,
    administer,
    administer_population,
    first_person,
    psychometric_report,
)
from simulacra.models import ChatMessage, GenerateConfig
from simulacra.profiles import Persona
from simulacra.profiles._inventory import (
    INVENTORIES,
    TRAITS,
    load_inventory,
    parse_answer,
    score_answers,
)
from simulacra.testing import FakeOpenAIServer, FakeResponse, function_model
from tests._cli import run_cli

MINI = load_inventory("mini-ipip")
BY_TEXT = {first_person(item.text): item for item in MINI.items}
QUOTED = re.compile(r'"([^"]+)"')


def test_shipped_inventories_are_balanced_and_attributed() -> None:
    assert set(INVENTORIES) == {"mini-ipip", "ipip-50"}
    for name, per_trait in (("mini-ipip", 4), ("ipip-50", 10)):
        inv = load_inventory(name)
        assert inv.traits() == list(TRAITS)
        assert "public domain" in inv.source and "ipip.ori.org" in inv.source
        for trait in TRAITS:
            assert sum(i.trait == trait for i in inv.items) == per_trait
    assert MINI.items[0].text == "Am the life of the party." and MINI.items[0].key == "+"
    assert [i.key for i in MINI.items if i.trait == "openness"] == ["+", "-", "-", "-"]
    with pytest.raises(ConfigError, match="unknown inventory 'big5'"):
        load_inventory("big5")


def test_scoring_reverse_keys_hand_computed() -> None:
    # Extraversion: e1(+)=5, e2(-)=2 → 4, e3(+)=4, e4(-)=1 → 5: mean (5 + 4 + 4 + 5) / 4 = 4.5.
    # Openness: o1(+)=3, o2(-)=5 → 1, o3(-) missing, o4(-)=4 → 2: mean (3 + 1 + 2) / 3 = 2.0.
    answers = {"e1": 5, "e2": 2, "e3": 4, "e4": 1, "o1": 3, "o2": 5, "o3": None, "o4": 4}
    scores = score_answers(MINI, answers)
    assert scores["extraversion"] == 4.5
    assert scores["openness"] == 2.0
    assert scores["neuroticism"] is None  # no item answered
    assert score_answers(MINI, {"n1": 1, "n2": 1, "n3": 1, "n4": 1})["neuroticism"] == 3.0
    with pytest.raises(ValueError, match=r"outside 1\.\.5"):
        score_answers(MINI, {"e1": 6})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4", 4),
        ("  2.", 2),
        ("I'd say 5, definitely", 5),
        ("On a scale from 1 to 5, I'd give it a 3", 3),
        ("From 1 (very inaccurate) to 5 (very accurate): 2", 2),
        ("4/5", 4),
        ("3.5", 4),
        ("Very accurate!", 5),
        ("moderately inaccurate", 2),
        ("Not very accurate for me", 2),
        ("neither accurate nor inaccurate", 3),
        ("I strongly disagree", 1),
        ("I agree", 4),
        ("Four.", 4),
        ("I like cats", None),
        ("7", None),
        ("", None),
        ("###STOP###", None),
    ],
)
def test_parse_answer(text: str, expected: int | None) -> None:
    assert parse_answer(text) == expected


def test_correlation_helpers() -> None:
    assert ranks([10, 20, 20, 5]) == [2.0, 3.5, 3.5, 1.0]
    assert pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert pearson([1, 1, 1], [1, 2, 3]) is None
    assert spearman([1, 2, 3, 4], [1, 4, 9, 100]) == pytest.approx(1.0)
    est = bootstrap_correlation([1, 2, 3, 4, 5, 6], [1, 3, 2, 5, 4, 6], seed=1)
    assert est is not None and est.low <= est.value <= est.high and est.n == 6


def _question(last: str) -> str:
    """The latest question: the last message itself (chat), or its last interviewer line
    (transcript)."""
    lines = re.findall(r"(?m)^Interviewer: (.*)$", last)
    return lines[-1] if lines else last


def _item_of(last: str) -> tuple[str, str]:
    item = BY_TEXT[QUOTED.findall(_question(last))[-1]]
    return item.trait, item.key


def trait_answerer(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
    """Answers every item from the persona's assigned trait (read from the rendered prompt)."""
    trait, key = _item_of(messages[-1].content)
    score = float(re.search(rf"- {trait}: ([\d.]+)", messages[0].content).group(1))  # type: ignore[union-attr]
    value = round(score)
    return f"I'd say {value if key == '+' else 6 - value}."


def _population(n: int, seed: int) -> list[Persona]:
    rng = random.Random(seed)
    return [
        Persona(id=f"p{i}", name=f"P{i}", big_five={t: round(rng.uniform(1, 5), 1) for t in TRAITS})
        for i in range(n)
    ]


@pytest.mark.parametrize(
    ("prompting", "fresh_context"), [("chat", False), ("transcript", False), ("chat", True)]
)
async def test_trait_driven_model_correlates_near_one_through_run_conversation(
    prompting: Literal["chat", "transcript"], fresh_context: bool
) -> None:
    model = function_model(trait_answerer, role="user")
    people = _population(40, seed=2)
    adms = await administer_population(
        people, model, MINI, concurrency=5, prompting=prompting, fresh_context=fresh_context
    )
    assert [a.persona_id for a in adms] == [p.id for p in people]  # input order kept
    conversations = 20 if fresh_context else 1
    assert adms[0].terminations == ["target_stop"] * conversations
    assert adms[0].conversations == conversations
    report = psychometric_report(adms, MINI, model="fn")
    assert report.response_rate == 1.0 and set(report.item_missing.values()) == {0}
    for t in report.traits:
        assert t.n == 40 and t.pearson is not None and t.pearson > 0.9
        assert t.pearson_ci is not None and t.pearson_ci[0] > 0.8
        assert t.mae is not None and t.mae < 0.5
    assert report.mean_pearson is not None and report.mean_pearson > 0.9
    # One conversation per persona: the last prompt carries the whole interview (20 questions).
    last = model.api.requests[-1][0]  # type: ignore[attr-defined]
    if fresh_context:
        assert len(last) == 2
    elif prompting == "chat":
        assert len(last) == 1 + 20 + 19 and last[-1].role == "user"
    else:
        assert last[-1].content.count("Interviewer:") == 20


async def test_random_answers_correlate_near_zero_with_ci_covering_zero() -> None:
    rng = random.Random(7)
    model = function_model(lambda m, c: str(rng.randint(1, 5)), role="user")
    adms = await administer_population(
        _population(60, seed=3), model, MINI, instructions="Answer with a digit, Zorblax."
    )
    assert adms[0].conversations == 20  # default: a fresh context per item
    system = model.api.requests[0][0][0].content  # type: ignore[attr-defined]
    assert "Answer with a digit, Zorblax." in system
    report = psychometric_report(adms, MINI, model="random")
    for t in report.traits:
        assert t.pearson is not None and abs(t.pearson) < 0.35
        assert t.pearson_ci is not None and t.pearson_ci[0] < 0 < t.pearson_ci[1]
    assert report.mean_pearson is not None and abs(report.mean_pearson) < 0.2


async def test_garbage_is_missing_reasked_once_and_fresh_context_splits() -> None:
    calls: list[list[ChatMessage]] = []

    def fn(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        last = messages[-1].content
        calls.append(list(messages))
        trait, _ = _item_of(last)
        if trait == "neuroticism":
            return "I don't like this question"
        if trait == "openness" and "Please answer with just one number" not in _question(last):
            return "hmm"  # answered only when re-asked
        return "3"

    persona = Persona(id="x", big_five={"openness": 2.0}, behaviour={"dropout": 1.0})
    adm = await administer(persona, function_model(fn), MINI, fresh_context=True)
    assert adm.conversations == 20 and len(calls) == 20 + 4 + 4  # neuroticism, openness re-asked
    by_item = {a.item: a for a in adm.answers}
    assert by_item["n1"].value is None and len(by_item["n1"].raw) == 2
    assert by_item["o1"].raw == ["hmm", "3"] and by_item["o1"].value == 3
    assert adm.measured["neuroticism"] is None and adm.measured["extraversion"] == 3.0
    assert adm.assigned["openness"] == 2.0 and adm.assigned["extraversion"] is None
    # fresh context: no prompt ever shows an earlier item
    assert all(len(c) <= 4 for c in calls) and max(len(c) for c in calls) == 4
    no_reask = await administer(persona, function_model(fn), MINI, reask=False, fresh_context=False)
    assert no_reask.conversations == 1
    assert len(no_reask.answers) == 20 and no_reask.answered == 12
    report = psychometric_report([adm], MINI, model="fn")
    assert report.item_missing["n1"] == 1 and report.item_missing["e1"] == 0
    assert report.response_rate == pytest.approx(16 / 20)


async def test_model_errors_are_data_not_crashes() -> None:
    def boom(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        raise RuntimeError("model fell over")

    adm = await administer(Persona(id="e", big_five={"openness": 3}), function_model(boom), MINI)
    assert adm.answered == 0 and adm.terminations == ["simulator_error"] * 20
    assert len(adm.errors) == 20 and "model fell over" in adm.errors[0]
    assert all(a.raw == [] and a.value is None for a in adm.answers)


async def test_interviewer_asks_in_order_and_stops_after_last_item() -> None:
    from simulacra import run_conversation
    from simulacra.evaluation._psychometric import read_answers
    from simulacra.testing import ScriptedParticipant

    user = ScriptedParticipant(["5", "what?", "2"], id="user")
    c = await run_conversation([QuestionnaireInterviewer(MINI.items[:2]), user])
    assert c.termination == "target_stop" and len(c.turns) == 6
    assert [t.metadata.get("item") for t in c.turns[::2]] == ["e1", "a1", "a1"]
    assert c.turns[4].metadata["attempt"] == 2 and "just one number" in c.turns[4].utterance
    assert read_answers(c) == {"e1": ["5"], "a1": ["what?", "2"]}


def _write_personas(path: Path, people: Sequence[Persona]) -> None:
    path.write_text("".join(p.model_dump_json(exclude_defaults=True) + "\n" for p in people))


def test_cli_psychometric_with_server_and_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_personas(tmp_path / "people.jsonl", _population(5, seed=1))
    with FakeOpenAIServer(lambda req: FakeResponse.completion("3")) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        args = ["personas", "psychometric", "people.jsonl", "--model", "openai:fake"]
        result = run_cli([*args, "-n", "4", "-o", "report.json"], tmp_path)
        assert result.returncode == 0, result.stderr
    assert "extraversion" in result.stdout and "95% CI" in result.stdout
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["personas"] == 4 and report["response_rate"] == 1.0
    assert report["inventory"] == "mini-ipip@1" and len(report["administrations"]) == 4
    # constant answers: measured scores are constant, so r is undefined, MAE is not
    assert all(t["pearson"] is None and t["mae"] is not None for t in report["traits"])
    assert not list(tmp_path.glob(".*.tmp"))

    missing = run_cli(["personas", "psychometric", "nope.jsonl", "-o", "r2.json"], tmp_path)
    assert missing.returncode == 2 and "nope.jsonl: file not found" in missing.stderr
    lines = (tmp_path / "people.jsonl").read_text().splitlines()
    lines[2] = '{"kind": "persona", "big_five": {"openness": 9}}'
    (tmp_path / "bad.jsonl").write_text("\n".join(lines) + "\n")
    bad = run_cli(["personas", "psychometric", "bad.jsonl", "-o", "r3.json"], tmp_path)
    assert bad.returncode == 2
    (line,) = bad.stderr.strip().splitlines()
    assert re.fullmatch(
        r"simulacra: error: bad\.jsonl:3: (persona\.)?big_five\.openness: "
        r"Input should be less than or equal to 5",
        line,
    ), line
    unknown = run_cli(
        ["personas", "psychometric", "people.jsonl", "--inventory", "big5", "-o", "r4.json"],
        tmp_path,
    )
    assert unknown.returncode == 2 and "unknown inventory 'big5'" in unknown.stderr
    assert not any((tmp_path / f).exists() for f in ("r2.json", "r3.json", "r4.json"))


@pytest.mark.embedded
async def test_embedded_tiny_administers_well_formed(tiny_gguf: str) -> None:
    from simulacra.models import get_model

    model = get_model(
        {"model": f"gguf:{tiny_gguf}", "max_tokens": 6, "temperature": 0, "n_ctx": 2048},
        role="user",
    )
    inventory = MINI.model_copy(update={"items": MINI.items[:5]})
    try:
        adms = await administer_population(_population(2, seed=5), model, inventory)
    finally:
        await model.aclose()
    report = psychometric_report(adms, inventory, model="tiny")
    assert report.personas == 2 and len(report.traits) == 5
    for adm in adms:
        assert len(adm.answers) == 5 and all(a.raw for a in adm.answers)
        assert all(a.value is None or 1 <= a.value <= 5 for a in adm.answers)
    assert 0.0 <= report.response_rate <= 1.0
