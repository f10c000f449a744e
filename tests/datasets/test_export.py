"""Exports from the simulated user's side: role flip, loss targets, DPO pairs, HF round trip,
dataset card."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from simulacra.conversation import Conversation, ParticipantInfo, ParticipantKind, Turn
from simulacra.datasets._adapters import import_corpus
from simulacra.datasets._card import corpus_stats, dataset_card
from simulacra.datasets._export import chat_examples, save_hf_dataset, write_jsonl
from simulacra.datasets._pairs import Scores, read_judgments, segment_pairs, turn_pairs
from simulacra.datasets._source import load_source, user_participant
from simulacra.errors import ConfigError
from simulacra.evaluation._judge import Verdict, judge_run
from simulacra.profiles import Persona
from simulacra.runs import RunWriter


def _conv(cid: str, turns: list[tuple[str, str]], *, scenario: str = "s1") -> Conversation:
    c = Conversation(
        id=cid,
        scenario_id=scenario,
        participants=[
            ParticipantInfo(
                id="user",
                name="Ada",
                kind=ParticipantKind.SIMULATED_HUMAN,
                profile=Persona(name="Ada", description="A retired engineer."),
            ),
            ParticipantInfo(id="assistant", name="Assistant", kind=ParticipantKind.AI_SYSTEM),
        ],
    )
    for speaker, text in turns:
        c.append(Turn(speaker=speaker, utterance=text, time=0.0))
    return c


SCENARIOS = {"s1": {"id": "s1", "goal": "book a table for two", "instructions": "Be brief."}}
MANIFEST = {"name": "demo", "models": {"user": {"name": "embedded:tiny"}}}


def test_roles_are_flipped_and_the_user_turns_are_the_targets() -> None:
    c = _conv(
        "c1",
        [
            ("assistant", "How can I help?"),
            ("user", "A table."),
            ("user", "For two."),
            ("assistant", "Done."),
            ("user", "Thanks!"),
            ("assistant", "Bye."),
        ],
    )
    (row,) = chat_examples([c], scenarios=SCENARIOS, manifest=MANIFEST)
    roles = [m["role"] for m in row["messages"]]
    assert roles == ["system", "user", "assistant", "user", "assistant"]
    contents = [m["content"] for m in row["messages"][1:]]
    # the system's turns are `user`, the user's (merged) are `assistant`; the trailing system
    # turn is dropped: nothing after the user's last turn is learned
    assert contents == ["How can I help?", "A table.\nFor two.", "Done.", "Thanks!"]
    system = row["messages"][0]["content"]
    assert "A retired engineer." in system and "book a table for two" in system
    assert "Be brief." in system
    meta = row["meta"]
    assert meta["templates"] == ["profile/persona@3", "user/chat_system@3"]
    assert meta["real"] is False and meta["model"] == "embedded:tiny"
    assert meta["source"] == "simulacra run demo" and meta["turn_index"] is None
    unmerged = next(chat_examples([c], merge=False))["messages"]
    assert [m["role"] for m in unmerged[1:4]] == ["user", "assistant", "assistant"]


def test_user_speaking_first_gets_the_kickoff_cue_of_the_chat_prompted_user() -> None:
    c = _conv("c1", [("user", "Hi."), ("assistant", "Hello.")])
    (row,) = chat_examples([c])
    assert row["messages"][1] == {
        "role": "user",
        "content": "The conversation starts now. Write your first message to the assistant.",
    }
    assert row["messages"][2] == {"role": "assistant", "content": "Hi."}
    assert row["meta"]["templates"][-1] == "user/chat_kickoff@1"
    # a default goal when the scenario is unknown
    assert "have a natural conversation" in row["messages"][0]["content"]


def test_per_turn_rows_have_one_completion_each() -> None:
    c = _conv("c1", [("user", "Hi."), ("assistant", "Hello."), ("user", "Bye.")])
    rows = list(chat_examples([c], per_turn=True))
    assert [r["completion"] for r in rows] == [
        [{"role": "assistant", "content": "Hi."}],
        [{"role": "assistant", "content": "Bye."}],
    ]
    assert [r["meta"]["turn_index"] for r in rows] == [0, 2]
    assert rows[1]["prompt"][-1] == {"role": "user", "content": "Hello."}
    assert rows[1]["prompt"][-2] == {"role": "assistant", "content": "Hi."}
    assert set(rows[0]["meta"]) == set(next(chat_examples([c]))["meta"])


def test_the_user_must_be_identifiable() -> None:
    c = Conversation(
        participants=[
            ParticipantInfo(id="a", name="A", kind=ParticipantKind.HUMAN),
            ParticipantInfo(id="b", name="B", kind=ParticipantKind.HUMAN),
        ]
    )
    with pytest.raises(ConfigError, match="cannot tell which participant is the user"):
        user_participant(c)
    assert user_participant(c, "b") == "b"
    with pytest.raises(ConfigError, match="no participant 'z'"):
        user_participant(c, "z")


def test_real_corpus_export_keeps_its_provenance(shared_data: Path) -> None:
    convs = list(import_corpus("casino", shared_data / "casino/data/split/casino_valid.json"))
    rows = list(chat_examples(convs))
    assert len(rows) == 30
    first, conv = rows[0], convs[0]
    assert first["meta"]["real"] is True and first["meta"]["licence"] == "CC BY 4.0"
    assert "Chawla" in first["meta"]["citation"]
    user_turns = [t.utterance for t in conv.turns if t.speaker == "user"]
    targets = [m["content"] for m in first["messages"] if m["role"] == "assistant"]
    assert "\n".join(targets) == "\n".join(user_turns)  # merged runs keep every user word
    system = first["messages"][0]["content"]
    assert "Negotiate for the camping supplies" in system
    assert "satisf" not in system.lower()  # the outcome never reaches the prompt


def _verdict(cid: str, turn: int | None, score: float, judge: str = "j") -> Verdict:
    return Verdict(
        item_id=f"{cid}:{turn}",
        judge=judge,
        rubric="rubric/realism@1",
        scores={"realism": score, "fluency": score},
        conversation_id=cid,
        turn_index=turn,
    )


def test_turn_pairs_need_an_identical_prompt_and_the_margin(tmp_path: Path) -> None:
    a = _conv("a", [("user", "I want a table for two tonight."), ("assistant", "OK.")])
    b = _conv("b", [("user", "table"), ("assistant", "OK.")])
    c = _conv("c", [("user", "Hello, a table please."), ("assistant", "OK.")])
    other = _conv("d", [("user", "Different scenario."), ("assistant", "OK.")], scenario="s2")
    judge_run(
        tmp_path,
        [_verdict("a", 0, 5), _verdict("b", 0, 1), _verdict("c", 0, 4.5), _verdict("d", 0, 0)],
    )
    scores = read_judgments(tmp_path / "judgments.jsonl")
    rows = turn_pairs([a, b, c, other], scores, margin=2.0, scenarios=SCENARIOS)
    # d's prompt differs only by scenario s2 having no config: the default goal; it pairs with nobody
    assert len(rows) == 1
    (row,) = rows
    assert row["chosen"] == [{"role": "assistant", "content": "I want a table for two tonight."}]
    assert row["rejected"] == [{"role": "assistant", "content": "table"}]
    assert row["prompt"][0]["role"] == "system" and row["prompt"][-1]["role"] == "user"
    assert row["meta"]["margin"] == 4.0 and row["meta"]["level"] == "turn"
    assert row["meta"]["chosen_id"] == "a:0" and row["meta"]["judge"] == "j"
    assert turn_pairs([a, b, c], scores, margin=4.5, scenarios=SCENARIOS) == []
    everything = turn_pairs([a, b, c], scores, margin=0.4, pairing="all", scenarios=SCENARIOS)
    assert {(r["meta"]["chosen_id"], r["meta"]["rejected_id"]) for r in everything} == {
        ("a:0", "c:0"),
        ("a:0", "b:0"),
        ("c:0", "b:0"),
    }


def test_segment_pairs_take_the_first_differing_segment() -> None:
    shared = [("assistant", "Hi, how can I help?"), ("user", "A table for two.")]
    good = _conv(
        "g",
        [
            *shared,
            ("assistant", "When?"),
            ("user", "At 8pm tonight."),
            ("assistant", "Booked."),
            ("user", "Thanks."),
        ],
    )
    bad = _conv(
        "b",
        [
            *shared,
            ("assistant", "When?"),
            ("user", "idk"),
            ("assistant", "Please say when."),
            ("user", "whenever"),
        ],
    )
    system_differs = _conv("s", [*shared, ("assistant", "Where?"), ("user", "Here.")])
    scores = Scores(dialogues={"g": 4.0, "b": 1.0, "s": 0.0})
    rows = segment_pairs([good, bad, system_differs], scores, margin=1.0)
    pairs = {(r["meta"]["chosen_id"], r["meta"]["rejected_id"]) for r in rows}
    # s first differs on the system's side: not the user's doing, no pair with it
    assert pairs == {("g:3", "b:3")}
    (row,) = rows
    assert [m["content"] for m in row["prompt"][1:]] == [
        "Hi, how can I help?",
        "A table for two.",
        "When?",
    ]
    assert row["chosen"] == [{"role": "assistant", "content": "At 8pm tonight."}]
    assert row["rejected"] == [{"role": "assistant", "content": "idk"}]
    longer = segment_pairs([good, bad], scores, margin=1.0, segment_turns=2)[0]
    assert [m["role"] for m in longer["chosen"]] == ["assistant", "user", "assistant"]
    assert longer["rejected"][-1] == {"role": "assistant", "content": "whenever"}
    assert segment_pairs([good, bad], scores, margin=3.5) == []


def test_read_judgments_picks_one_judge(tmp_path: Path) -> None:
    judge_run(tmp_path, [_verdict("a", 0, 5, judge="j1")])
    judge_run(tmp_path, [_verdict("a", 0, 1, judge="j2")])
    path = tmp_path / "judgments.jsonl"
    with pytest.raises(ConfigError, match="several judges/rubrics"):
        read_judgments(path)
    assert read_judgments(path, judge="j2").turns == {("a", 0): 1.0}
    with pytest.raises(ConfigError, match="no dimension 'x'"):
        read_judgments(path, judge="j1", dimension="x")
    path.write_text("not json\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"judgments\.jsonl:1: not a verdict"):
        read_judgments(path)


def test_hf_round_trip(tmp_path: Path) -> None:
    import datasets  # the train extra: scripts/test.sh installs it, so a missing one fails

    convs = [
        _conv("a", [("user", "Hi."), ("assistant", "Hello."), ("user", "Bye.")]),
        _conv("b", [("assistant", "Welcome."), ("user", "Thanks.")]),
    ]
    rows = list(chat_examples(convs, scenarios=SCENARIOS, manifest=MANIFEST))
    out = tmp_path / "hf"
    assert save_hf_dataset(rows, out, card="# card\n") == 2
    loaded = datasets.load_from_disk(str(out))
    assert loaded.num_rows == 2
    assert loaded[0]["messages"] == rows[0]["messages"]
    assert loaded[1]["meta"]["templates"] == rows[1]["meta"]["templates"]
    assert (out / "README.md").read_text() == "# card\n"
    assert not (tmp_path / ".hf.tmp").exists()
    with pytest.raises(ConfigError, match="nothing to write"):
        save_hf_dataset([], tmp_path / "empty")
    assert not (tmp_path / "empty").exists()


def test_write_jsonl_is_atomic(tmp_path: Path) -> None:
    out = tmp_path / "x.jsonl"
    with pytest.raises(ConfigError, match="nothing to write"):
        write_jsonl([], out)
    assert list(tmp_path.iterdir()) == []
    assert write_jsonl([{"a": 1}], out) == 1
    assert json.loads(out.read_text()) == {"a": 1}


def _run_dir(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    writer = RunWriter(
        run,
        {
            "name": "demo",
            "seed": 7,
            "config_sha256": "abc",
            "config": {"scenarios": [SCENARIOS["s1"]]},
            "models": {
                "user": {"name": "embedded:tiny", "sha256": "f00d"},
                "target": {"name": "embedded:tiny", "sha256": "f00d"},
            },
            "templates": ["profile/persona@3", "user/chat_system@3"],
            "versions": {"simulacra": "0.2.0"},
        },
    )
    writer.write(_conv("a", [("user", "Hi there."), ("assistant", "Hello.")]))
    writer.write(_conv("b", [("user", "Hello!"), ("assistant", "Hi.")]))
    writer.close()
    return run


def test_stats_and_card_disclose_synthetic_and_real(tmp_path: Path, shared_data: Path) -> None:
    run = load_source(_run_dir(tmp_path))
    stats = corpus_stats(run.conversations, manifest=run.manifest)
    assert stats["dialogues"] == 2 and stats["user_turns"] == 2
    assert stats["user_turn_words"]["value"] == 1.5  # (2 + 1) / 2
    assert stats["provenance"][0]["real"] is False
    real_convs = list(
        import_corpus(
            "moviebot",
            shared_data / "moviebot-usersimcrs/data/datasets/moviebot/annotated_dialogues.json",
        )
    )
    (tmp_path / "real.jsonl").write_text(
        "".join(c.model_dump_json() + "\n" for c in real_convs), encoding="utf-8"
    )
    real = load_source(tmp_path / "real.jsonl")
    card = dataset_card([run, real], title="mixed", export={"format": "chat", "rows": 10})
    _, header, body = card.split("---", 2)
    meta = yaml.safe_load(header)
    assert meta["pretty_name"] == "mixed" and "synthetic" in meta["tags"]
    assert meta["license"] == "other" and "Apache-2.0" in meta["license_details"]
    assert "**8 real**" in body and "**2 synthetic**" in body
    assert "Synthetic data." in body
    assert "model `user`: embedded:tiny (sha256 f00d)" in body
    assert "prompt templates: profile/persona@3, user/chat_system@3" in body
    assert "seed: 7" in body and "Habib et al." in body
    only_real = dataset_card([real], title="real")
    assert yaml.safe_load(only_real.split("---")[1])["license"] == "apache-2.0"
    assert "Synthetic data." not in only_real


def test_hf_export_without_datasets_names_the_train_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from simulacra.errors import MissingExtraError

    monkeypatch.setitem(sys.modules, "datasets", None)  # import datasets -> ImportError
    with pytest.raises(MissingExtraError, match=r"pip install 'simulacra\[train\]'"):
        save_hf_dataset([{"a": 1}], tmp_path / "hf")
    assert list(tmp_path.iterdir()) == []
