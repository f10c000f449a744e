from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from simulacra import Conversation, ParticipantInfo, ParticipantKind, Turn
from simulacra.evaluation import (
    ConsistencyReport,
    Flag,
    TurnCheck,
    check_consistency,
    judge_consistency,
    knowledge_probes,
    run_probes,
    wilson,
)
from simulacra.evaluation._consistency import anachronism_families, consistency_flags
from simulacra.evaluation._consistency_judge import JUDGE_SCHEMA
from simulacra.models import ChatMessage, GenerateConfig
from simulacra.profiles import Profile, RolePlay
from simulacra.testing import function_model
from tests._cli import run_cli

ADA = RolePlay(
    handle="Ada Lovelace in 1843",
    card={"catchphrases": ["poetical science"]},
    boundary={
        "cutoff": 1843,
        "unknown_topics": ["the internet", "steam turbines"],
        "known_topics": ["computer"],
    },
)
CAPTAIN = RolePlay(
    handle="Captain Hollis in 1924",
    boundary={"cutoff": 1924, "on_unknown": "deflect"},
)


def rules(text: str, profile: RolePlay = ADA, previous: str | None = None) -> set[str]:
    return {f.rule for f in consistency_flags(text, profile, previous=previous)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Good day, sir. The Engine occupies my every thought.", set()),
        ("As an AI language model, I cannot have opinions.", {"fourth_wall", "anachronism"}),
        ("I am just a character in this story, you know.", {"fourth_wall"}),
        ("I was trained by a large team of engineers.", {"fourth_wall"}),
        ("Let me stay in character: the Engine is grand.", {"fourth_wall"}),
        ("I shall send Mr Babbage an email this evening.", {"anachronism"}),
        ("We took an aeroplane to Paris.", {"anachronism"}),
        ("Steam turbines would power the Engine.", {"anachronism"}),
        ("In 1905 a clerk in Bern changed physics.", {"year_after_cutoff"}),
        ("The music of the 1990s is dreadful.", {"year_after_cutoff"}),
        ("In the twentieth century, machines will think.", {"year_after_cutoff"}),
        ("In 1835 I married; the 1840s have been busy; I own 2000 cards.", set()),
        ("A computer, madam, is a person who computes tables.", set()),
        ("How can I help you today?", {"assistant_voice"}),
        ("I'm sorry, but I can't assist with that.", {"assistant_voice"}),
        ("As Ada Lovelace, I find the Engine delightful.", {"fourth_wall"}),
        ("As Lovelace, I must object.", {"fourth_wall"}),
        ("As I said, the Engine is delightful.", set()),
        ("I am Ada Lovelace. It is 2023.", {"year_after_cutoff"}),
        ("", {"assistant_voice"}),
    ],
)
def test_lexical_rules(text: str, expected: set[str]) -> None:
    assert rules(text) == expected


def test_anachronisms_depend_on_the_cutoff() -> None:
    line = "I drove my motor car to the docks and listened to the radio."
    assert rules(line, ADA) == {"anachronism"}  # cars 1886, radio 1895: after 1843
    assert rules(line, CAPTAIN) == set()  # both before 1924
    assert rules("We watched it on television.", CAPTAIN) == {"anachronism"}  # 1927
    flag = consistency_flags("I like the telly.", CAPTAIN)[0]
    assert flag.rule == "anachronism" and "1927" in flag.reason and "1924" in flag.reason


def test_families_cover_the_common_anachronisms_with_years() -> None:
    families = {f.name: f for f in anachronism_families()}
    for name in [
        "computers",
        "internet",
        "telephones",
        "cars",
        "aeroplanes",
        "television",
        "electric light",
    ]:
        assert name in families and families[name].terms
    assert families["computers"].year == 1946 and families["internet"].year < 2000
    years = [f.year for f in anachronism_families()]
    assert years == sorted(years)


def test_probe_answered_versus_declined() -> None:
    probe = "What do you think of computers and laptops?"
    assert rules("Laptops are portable machines with a screen and keyboard.", previous=probe) == {
        "answered_probe"
    }
    assert rules("I confess I know nothing of laptops, sir.", previous=probe) == set()
    assert rules("Laptops? I have never heard the word.", previous=probe) == set()
    assert rules("What is a laptop? Pray, explain.", previous=probe) == set()
    # Declining the probed thing does not excuse a new anachronism.
    assert rules(
        "I know nothing of laptops, but I read about it on the internet.", previous=probe
    ) == {"anachronism"}
    deflect_probe = "Tell me about television."
    assert (
        rules("Never mind such fancies; let us talk of the voyage.", CAPTAIN, deflect_probe)
        == set()
    )
    assert rules("Television shows moving pictures at home.", CAPTAIN, deflect_probe) == {
        "answered_probe"
    }
    # A year the question named is an echo, not the character's knowledge.
    assert (
        rules("1905? I cannot say what happens then.", previous="What happened in 1905?") == set()
    )


def conversation(lines: Sequence[tuple[str, str]], profile: Profile = ADA) -> Conversation:
    c = Conversation(
        id="c1",
        participants=[
            ParticipantInfo(id="host", name="Host", kind=ParticipantKind.HUMAN),
            ParticipantInfo(
                id="ada", name="Ada", kind=ParticipantKind.SIMULATED_HUMAN, profile=profile
            ),
        ],
    )
    for speaker, text in lines:
        c.append(Turn(speaker=speaker, utterance=text))
    return c


DIALOGUE = [
    ("host", "Good evening, Lady Lovelace."),
    ("ada", "Good evening. My poetical science keeps me busy."),
    ("host", "What do you think of the internet?"),
    ("ada", "The internet is a global network of computers."),
    ("host", "Are you real?"),
    ("ada", "As an AI, I am not a real person."),
    ("host", "And the Engine?"),
    ("ada", "The Analytical Engine weaves algebraical patterns."),
]


def test_report_per_turn_with_wilson_interval() -> None:
    report = check_consistency(conversation(DIALOGUE))
    assert [t.turn_index for t in report.turns] == [1, 3, 5, 7]  # only the character's turns
    assert [t.in_character for t in report.turns] == [True, False, False, True]
    assert report.n == 4 and report.in_character == 2 and report.unscored == 0
    share = report.share
    assert share.value == 0.5 and share.n == 4
    assert (round(share.low, 3), round(share.high, 3)) == (0.15, 0.85)
    assert report.by_rule() == {"answered_probe": 1, "fourth_wall": 1, "anachronism": 1}
    assert report.turns[0].catchphrases == ("poetical science",)
    assert report.catchphrase_share() == 0.25
    data = report.to_dict()
    assert json.loads(json.dumps(data))["ci95"] == [0.15, 0.85]
    assert data["turns"][1]["flags"][0]["rule"] == "answered_probe"  # type: ignore[index]


def test_turns_are_found_by_profile_or_named_speaker() -> None:
    plain = conversation(DIALOGUE)
    plain.participants[1].profile = None
    assert check_consistency(plain).n == 0  # no role-play participant
    named = check_consistency(plain, profile=ADA, speaker="ada")
    assert named.n == 4 and named.in_character == 2
    with pytest.raises(ValueError, match="no role-play profile"):
        check_consistency(plain, speaker="ada")


def test_wilson_matches_role_adherence_and_handles_empty() -> None:
    est = wilson(2, 4)
    assert est.level == 0.95 and est.value == 0.5
    empty = ConsistencyReport(checker="x")
    assert empty.n == 0 and empty.share.n == 0 and empty.to_dict()["share"] is None
    with pytest.raises(ValueError):
        wilson(5, 4)


# --- the judge -------------------------------------------------------------------------------


async def test_judge_verdicts_and_malformed_answers_are_recorded() -> None:
    def judge(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        assert config.json_schema == JUDGE_SCHEMA
        prompt = messages[-1].content
        reply = prompt.split("The character replied:")[1]
        if "global network" in reply:
            return '{"explanation": "Explains the internet in 1843.", "in_character": false}'
        if "As an AI" in reply:
            return "I think this is out of character"  # not JSON
        if "Analytical" in reply:
            return '{"explanation": "fine"}'  # no verdict
        return '{"explanation": "Speaks as Ada.", "in_character": true}'

    model = function_model(judge, role="judge")
    report = await judge_consistency(conversation(DIALOGUE), model=model)
    assert report.checker.startswith("judge/roleplay_consistency@1")
    assert [t.scored for t in report.turns] == [True, True, False, False]
    assert report.n == 2 and report.in_character == 1 and report.unscored == 2
    assert report.turns[1].flags == (Flag("judge", "Explains the internet in 1843."),)
    assert "unparseable judge answer: not JSON" in (report.turns[2].error or "")
    assert "in_character" in (report.turns[3].error or "")
    first_prompt = model.api.requests[0][0][-1].content  # type: ignore[attr-defined]
    assert "Ada Lovelace in 1843" in first_prompt and "knows nothing after 1843" in first_prompt
    assert list(JUDGE_SCHEMA["properties"]) == ["explanation", "in_character"]  # type: ignore[call-overload]


# --- probes ----------------------------------------------------------------------------------


def test_probes_cover_unknown_topics_and_families_after_the_cutoff() -> None:
    probes = knowledge_probes(ADA, limit=6)
    assert len(probes) == 6 and probes[-1].kind == "identity"
    assert [p.topic for p in probes[:2]] == ["the internet", "steam turbines"]
    families = {f.name: f.year for f in anachronism_families()}
    assert all(families[p.topic] > 1843 for p in probes[2:-1])
    assert not any(p.topic == "computers" for p in knowledge_probes(ADA, limit=None))  # known word
    assert len(knowledge_probes(ADA, limit=None)) > len(probes)
    assert knowledge_probes(RolePlay(handle="Nobody"), limit=None) == [probes[-1]]


async def test_probes_run_through_the_loop_and_are_scored() -> None:
    seen: list[str] = []

    def character(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        prompt = messages[-1].content
        seen.append(messages[0].content)
        if "internet" in prompt:
            return "The internet connects computers across the world."  # answered
        if "steam turbines" in prompt:
            return "Ada Lovelace: I have never heard of such a machine, sir."
        return "I know nothing of that; it is 1843 and the Engine is my concern."

    probes = knowledge_probes(ADA, limit=4)
    result = await run_probes(ADA, model=function_model(character, role="user"), limit=4)
    assert len(result.conversations) == 4 and result.errors == ()
    c = result.conversations[0]
    assert [t.speaker for t in c.turns] == ["interviewer", "character"]
    assert c.turns[0].utterance == probes[0].question and c.metadata["probe"] == "the internet"
    assert result.report.n == 4 and result.report.in_character == 3
    assert result.report.turns[0].flags[0].rule == "answered_probe"
    assert result.report.turns[1].utterance.startswith("I have never heard")  # label cleaned
    assert "You are Ada Lovelace in 1843" in seen[0]

    chat = await run_probes(ADA, model=function_model(character), limit=2, framing="chat")
    assert chat.report.n == 2 and chat.conversations[0].participants[1].kind == "ai_system"


# --- CLI ------------------------------------------------------------------------------------


def write_run(path: Path, conversations: Sequence[Conversation]) -> Path:
    path.mkdir()
    with (path / "conversations.jsonl").open("w") as f:
        for c in conversations:
            f.write(c.model_dump_json() + "\n")
    return path


def test_cli_check_prints_a_table_and_writes_json(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", [conversation(DIALOGUE)])
    out = tmp_path / "report.json"
    result = run_cli(["roleplay", "check", str(run), "-o", str(out)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Ada Lovelace" in result.stdout and "50.0%" in result.stdout
    assert "answered_probe" in result.stdout
    data = json.loads(out.read_text())
    report = data["characters"]["Ada Lovelace"]
    assert report["n"] == 4 and report["in_character"] == 2 and report["ci95"] == [0.15, 0.85]


def test_cli_bad_input_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    plain = conversation(DIALOGUE)
    plain.participants[1].profile = None
    run = write_run(tmp_path / "plain", [plain])
    cases: list[tuple[list[str], str]] = [
        (["roleplay", "check", str(run), "-o", str(out)], "no role-play participants"),
        (["roleplay", "check", str(tmp_path / "nowhere"), "-o", str(out)], "not a run directory"),
        (
            ["roleplay", "probe", str(tmp_path / "missing.yaml"), "-o", str(out)],
            "missing.yaml: file not found",
        ),
    ]
    bad = tmp_path / "bad.yaml"
    bad.write_text("handle: Ada\ncard: {biography: [\n")
    cases.append((["roleplay", "probe", str(bad), "-o", str(out)], "bad.yaml:3:1: malformed YAML"))
    typo = tmp_path / "typo.yaml"
    typo.write_text("handle: Ada\nboundry: {cutoff: 1843}\n")
    cases.append(
        (
            ["roleplay", "probe", str(typo), "-o", str(out)],
            "typo.yaml: boundry: unknown key (did you mean 'boundary'?)",
        )
    )
    for args, message in cases:
        result = run_cli(args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (args, result.stderr)
        assert not out.exists()


def test_turn_check_in_character_requires_a_verdict() -> None:
    t = TurnCheck(conversation_id="c", turn_index=0, speaker="s", utterance="x", error="boom")
    assert not t.scored and not t.in_character


def test_a_decline_must_come_first() -> None:
    probe = "What do you think of the internet?"
    late = "The internet is a very important part of our society. It connects us. I'm not sure what will happen next."
    assert rules(late, previous=probe) == {"answered_probe"}
    early = "Good sir, a curious question. I'm not sure what you mean by the internet."
    assert rules(early, previous=probe) == set()


def test_a_hybrid_with_a_roleplay_part_is_checked() -> None:
    from simulacra.profiles import Hybrid, Persona

    hybrid = Hybrid(name="Ada", parts=[Persona(name="Ada"), ADA])
    c = conversation(DIALOGUE, profile=hybrid)
    report = check_consistency(c)
    assert report.n == 4 and report.in_character == 2


def test_cli_check_with_a_judge_spec_that_does_not_exist_is_a_config_error(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", [conversation(DIALOGUE)])
    out = tmp_path / "report.json"
    result = run_cli(
        ["roleplay", "check", str(run), "--judge", "nonsense:x", "-o", str(out)], cwd=tmp_path
    )
    assert result.returncode == 2 and "nonsense" in result.stderr and not out.exists()


def test_an_unknown_topic_brings_its_family_only_when_the_family_is_unknown() -> None:
    captain = RolePlay(
        handle="Captain Hollis in 1924",
        boundary={"cutoff": 1924, "unknown_topics": ["jet engines"]},
    )
    assert rules("The aircraft flew over the harbour.", captain) == set()  # aeroplanes: 1903
    assert rules("A jet engine would speed us up.", captain) == {"anachronism"}
    flag = consistency_flags(
        "Jet engines are loud.", captain, previous="Tell me about jet engines."
    )
    assert flag[0].rule == "answered_probe" and "jet engines" in flag[0].reason
