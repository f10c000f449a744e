"""Each corpus adapter on the original files in ../shared/data: counts, fields and roles checked
against the raw files, read here independently with plain json/csv."""

from __future__ import annotations

import csv
import json
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from simulacra.conversation import Conversation, ParticipantKind, TerminationReason
from simulacra.datasets._adapters import ADAPTERS, import_corpus
from simulacra.datasets._casino import DEAL_MOVES
from simulacra.errors import ConfigError
from simulacra.profiles import Persona
from simulacra.scenarios import parse_acts

DEAL = DEAL_MOVES


def _load(kind: str, path: Path, **options: object) -> list[Conversation]:
    return list(import_corpus(kind, path, **options))


def _check_conventions(convs: list[Conversation], licence: str) -> None:
    for c in convs:
        assert [p.id for p in c.participants] == ["user", "system"]
        assert c.participant("user").kind is ParticipantKind.HUMAN
        assert c.metadata["user_participant"] == "user"
        assert c.metadata["provenance.real"] is True
        assert c.metadata["provenance.licence"] == licence
        assert c.metadata["provenance.citation"]
        assert {t.speaker for t in c.turns} <= {"user", "system"}
        last = c.turns[-1].speaker if c.turns else None
        expected = TerminationReason.USER_STOP if last == "user" else TerminationReason.TARGET_STOP
        assert c.termination is expected
        # a record round-trips through the run-log format
        assert Conversation.model_validate_json(c.model_dump_json()) == c


def test_multiwoz(shared_data: Path) -> None:
    path = shared_data / "multiwoz21" / "val.json.zip"
    raw = json.loads(zipfile.ZipFile(path).read("val.json"))
    convs = _load("multiwoz21", path)
    assert len(convs) == len(raw) == 999
    assert sum(len(c.turns) for c in convs) == sum(len(d["log"]) for d in raw.values()) == 14730
    first = convs[0]
    assert first.id == "multiwoz21:PMUL1635" and first.scenario_id == "multiwoz:PMUL1635"
    assert first.turns[0].utterance == raw["PMUL1635"]["log"][0]["text"].strip()
    # even turns are the user's, odd the wizard's
    assert [t.speaker for t in first.turns[:4]] == ["user", "system", "user", "system"]
    assert first.participant("system").kind is ParticipantKind.AI_SYSTEM
    assert str(first.metadata["goal"]).startswith("You are looking for information in Cambridge")
    constraints = json.loads(str(first.metadata["constraints"]))
    assert [d["domain"] for d in constraints["domains"]] == ["hotel", "train"]
    assert constraints["domains"][0]["inform"]["area"] == "east"
    acts = parse_acts(str(first.turns[0].metadata["acts"]))
    assert any(a.intent == "inform" and a.domain == "hotel" for a in acts)
    _check_conventions(convs[:50], str(first.metadata["provenance.licence"]))
    hotel = _load("multiwoz21", path, domains=["hotel"], limit=3)
    assert len(hotel) == 3 and all(c.metadata["domains"] == "hotel" for c in hotel)


def test_multiwoz_unified_packaging(shared_data: Path) -> None:
    path = shared_data / "multiwoz21" / "convlab3-unified-multiwoz21-dummy_data.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    convs = _load("multiwoz21", path)
    assert len(convs) == len(raw)
    assert [len(c.turns) for c in convs] == [len(d["turns"]) for d in raw]
    assert convs[0].metadata["corpus.packaging"] == "unified"


def test_taskmaster(shared_data: Path) -> None:
    path = shared_data / "taskmaster" / "TM-4-2024" / "data" / "data_07.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    convs = _load("taskmaster", path)
    assert len(convs) == len(raw) == 210
    speakers = Counter(u["speaker"] for d in raw for u in d["utterances"])
    got = Counter(t.speaker for c in convs for t in c.turns)
    assert (
        got
        == {"user": speakers["user"], "system": speakers["assistant"]}
        == {
            "user": 394,
            "system": 392,
        }
    )
    c = convs[0]
    assert c.id == f"taskmaster:{raw[0]['conversation_id']}"
    assert c.metadata["instructions"] == raw[0]["instructions"]
    assert c.metadata["goal"] == raw[0]["scenario"]
    assert c.turns[0].utterance == raw[0]["utterances"][0]["text"]
    assert c.turns[0].metadata["api_calls"] == sum(
        a["name"] == "api_call" for a in raw[0]["utterances"][0]["annotations"]
    )
    _check_conventions(convs, "CC BY 4.0")
    sample = _load("taskmaster", shared_data / "taskmaster" / "TM-1-2019" / "sample.json")
    assert len(sample) == 1 and len(sample[0].turns) == 20
    assert sample[0].metadata["goal"] == "restaurant-table-2"


def test_taskmaster_reward_file_is_refused(shared_data: Path) -> None:
    path = shared_data / "taskmaster" / "TM-4-2024" / "reward" / "reward_06.json"
    with pytest.raises(ConfigError, match=r"reward_06\.json: dialogue 0: a reward row"):
        _load("taskmaster", path)


def test_abcd(shared_data: Path) -> None:
    path = shared_data / "abcd" / "data" / "abcd_sample.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    convs = _load("abcd", path)
    assert len(convs) == 3
    for c, d in zip(convs, raw, strict=True):
        speakers = Counter(s for s, _ in d["original"])
        assert Counter(t.speaker for t in c.turns) == {
            "user": speakers["customer"],
            "system": speakers["agent"],
        }
        # button clicks are events, not utterances, and keep their position
        assert [e["text"] for e in c.events] == [t for s, t in d["original"] if s == "action"]
        assert c.metadata["subflow"] == d["scenario"]["subflow"]
        assert json.loads(str(c.metadata["constraints"]))["personal"] == d["scenario"]["personal"]
    assert sum(len(c.turns) for c in convs) == 63
    assert convs[0].turns[0].utterance == "Hi!" and convs[0].turns[0].speaker == "system"
    _check_conventions(convs, "MIT")


def test_casino(shared_data: Path) -> None:
    folder = shared_data / "casino" / "data" / "split"
    raw = [
        d
        for name in ("test", "train", "valid")
        for d in json.loads((folder / f"casino_{name}.json").read_text(encoding="utf-8"))
    ]
    convs = _load("casino", folder)
    assert len(convs) == len(raw) == 1030
    moves = sum(t["text"] in DEAL for d in raw for t in d["chat_logs"])
    logs = sum(len(d["chat_logs"]) for d in raw)
    assert (logs, moves) == (14297, 2378)
    assert sum(len(c.turns) for c in convs) == logs - moves
    assert sum(len(c.events) for c in convs) == moves
    c, d = convs[0], raw[0]
    assert c.metadata["corpus.user_role"] == "mturk_agent_1"
    assert [t.speaker for t in c.turns] == [
        "user" if t["id"] == "mturk_agent_1" else "system"
        for t in d["chat_logs"]
        if t["text"] not in DEAL
    ]
    profile = c.participant("user").profile
    assert isinstance(profile, Persona)
    assert profile.demographics.age == d["participant_info"]["mturk_agent_1"]["demographics"]["age"]
    outcome = d["participant_info"]["mturk_agent_1"]["outcomes"]["points_scored"]
    assert c.metadata["outcome.points_scored"] == outcome
    assert "points" not in str(c.metadata["goal"])  # outcomes never reach the prompt
    assert c.participant("system").kind is ParticipantKind.HUMAN
    _check_conventions(convs[:100], "CC BY 4.0")
    swapped = _load("casino", folder, user_agent="mturk_agent_2", limit=1)[0]
    assert [t.speaker for t in swapped.turns] == [
        "system" if s == "user" else "user" for s in (t.speaker for t in c.turns)
    ]


def test_persuasionforgood(shared_data: Path) -> None:
    path = shared_data / "persuasionforgood" / "data" / "FullData" / "full_dialog.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    convs = _load("persuasionforgood", path)
    assert len(convs) == len({r["B2"] for r in rows}) == 1017
    assert sum(len(c.turns) for c in convs) == len(rows) == 20932
    persuadee = sum(r["B4"] == "1" for r in rows)
    assert sum(t.speaker == "user" for c in convs for t in c.turns) == persuadee == 10332
    c = convs[0]
    assert c.metadata["corpus.dialogue_id"] == rows[0]["B2"]
    assert c.turns[1].utterance == rows[1]["Unit"].strip() and c.turns[1].speaker == "user"
    assert isinstance(c.participant("user").profile, Persona)
    with (path.parent / "full_info.csv").open(encoding="utf-8", newline="") as f:
        info = {(r["B2"], r["B4"]): r for r in csv.DictReader(f)}
    assert c.metadata["outcome.donation"] == float(info[(rows[0]["B2"], "1")]["B6"])
    _check_conventions(convs[:100], "Apache-2.0")
    other = _load("persuasionforgood", path, user_role="persuader", limit=1)[0]
    assert other.turns[0].speaker == "user" and other.metadata["corpus.user_role"] == "persuader"


def test_topical_chat(shared_data: Path) -> None:
    folder = shared_data / "topical-chat" / "conversations"
    raw = {}
    for name in ("test_freq.json", "test_rare.json"):
        raw.update(json.loads((folder / name).read_text(encoding="utf-8")))
    convs = _load("topical-chat", folder)
    assert len(convs) == len(raw) == 1078
    agents = Counter(t["agent"] for c in raw.values() for t in c["content"])
    got = Counter(t.speaker for c in convs for t in c.turns)
    assert got == {"user": agents["agent_1"], "system": agents["agent_2"]}
    c = convs[0]
    r = raw[str(c.metadata["corpus.dialogue_id"])]
    assert c.turns[0].utterance == r["content"][0]["message"]
    assert c.turns[0].metadata["turn_rating"] == r["content"][0]["turn_rating"]
    assert c.metadata["outcome.rating.user"] == r["conversation_rating"]["agent_1"]
    _check_conventions(convs[:100], "CDLA-Sharing-1.0")


def test_moviebot(shared_data: Path) -> None:
    path = shared_data / "moviebot-usersimcrs" / "data" / "datasets" / "moviebot"
    path = path / "annotated_dialogues.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    convs = _load("moviebot", path)
    assert len(convs) == 8
    assert [len(c.turns) for c in convs] == [len(d["conversation"]) for d in raw]
    assert sum(t.speaker == "user" for c in convs for t in c.turns) == 101
    assert convs[0].turns[0].speaker == "system"
    assert convs[0].turns[0].metadata["acts"] == "DISCLOSE.NON-DISCLOSE()"
    assert convs[0].participant("system").kind is ParticipantKind.AI_SYSTEM
    _check_conventions(convs, "Apache-2.0")


def test_generic_turn_rows_and_message_rows(tmp_path: Path) -> None:
    rows = tmp_path / "chats.csv"
    rows.write_text(
        "dialog,who,text,n\nd1,agent,Hello,0\nd2,customer,Hi there,0\n"
        "d1,customer,I need help,1\nd2,agent,Yes?,1\n",
        encoding="utf-8",
    )
    mapping = {
        "fields": {"conversation": "dialog", "speaker": "who", "text": "text", "order": "n"},
        "roles": {"customer": "user", "agent": "system"},
        "licence": "CC0",
    }
    convs = _load("generic", rows, mapping=mapping)
    assert [c.id for c in convs] == ["corpus:d1", "corpus:d2"]
    assert [(t.speaker, t.utterance) for t in convs[0].turns] == [
        ("system", "Hello"),
        ("user", "I need help"),
    ]
    assert convs[0].metadata["provenance.licence"] == "CC0"
    chats = tmp_path / "chats.jsonl"
    chats.write_text(
        json.dumps(
            {
                "id": "a",
                "messages": [
                    {"role": "user", "content": "hi"},
                    {"role": "assistant", "content": "hello"},
                ],
            }
        )
        + "\n",
        encoding="utf-8",
    )
    convs = _load(
        "generic",
        chats,
        mapping={
            "fields": {
                "conversation": "id",
                "messages": "messages",
                "speaker": "role",
                "text": "content",
            }
        },
    )
    assert [t.speaker for t in convs[0].turns] == ["user", "system"]


@pytest.mark.parametrize(
    ("kind", "content", "message"),
    [
        ("multiwoz21", "not json", r"bad\.json:1:1: malformed JSON"),
        (
            "taskmaster",
            '{"conversation_id": "x"}',
            r"bad\.json: dialogue 0: missing field 'utterances'",
        ),
        ("abcd", '{"x": 1}', r"bad\.json: expected ABCD conversations"),
        ("casino", "[{}]", r"bad\.json: dialogue 0: missing field 'dialogue_id'"),
        ("topical-chat", "[]", r"bad\.json: top level: expected a Topical-Chat mapping"),
        ("moviebot", '{"a": 1}', r"bad\.json: expected a JSON list of MovieBot dialogues"),
    ],
)
def test_wrong_format_is_one_line_naming_the_file(
    tmp_path: Path, kind: str, content: str, message: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as info:
        _load(kind, bad)
    assert "\n" not in str(info.value)


def test_bad_options_and_mappings(tmp_path: Path, shared_data: Path) -> None:
    with pytest.raises(ConfigError, match="did you mean 'casino'"):
        import_corpus("casio", tmp_path)
    with pytest.raises(ConfigError, match="unknown option 'speaker'"):
        import_corpus("moviebot", tmp_path, speaker="x")
    csv_file = tmp_path / "c.csv"
    csv_file.write_text("dialog,who,text\nd1,agent,Hello\n", encoding="utf-8")
    mapping = {"fields": {"conversation": "dialog", "speaker": "speaker", "text": "text"}}
    with pytest.raises(
        ConfigError, match=r"mapping: fields\.speaker: no field 'speaker' in .*c\.csv:2"
    ):
        _load("generic", csv_file, mapping=mapping)
    mapping = {
        "fields": {"conversation": "dialog", "speaker": "who", "text": "text"},
        "roles": {"customer": "user"},
    }
    with pytest.raises(
        ConfigError, match=r"mapping: roles: speaker 'agent' of .*c\.csv:2 is not mapped"
    ):
        _load("generic", csv_file, mapping=mapping)
    with pytest.raises(ConfigError, match=r"mapping: fields\.txt: unknown key"):
        _load("generic", csv_file, mapping={"fields": {"speaker": "a", "text": "b", "txt": "c"}})
    with pytest.raises(ConfigError, match="user_agent: must be one of"):
        _load("casino", shared_data / "casino" / "data" / "split", user_agent="bob")


def test_every_adapter_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "datasets.md").read_text()
    for kind, adapter in ADAPTERS.items():
        assert f"`{kind}`" in doc, kind
        assert adapter.info is None or adapter.info.licence.split(" (")[0] in doc
