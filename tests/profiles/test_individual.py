"""Individuals from their own history: import, PII redaction, extraction, consolidation, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulacra.errors import ConfigError
from simulacra.profiles import (
    FieldMapping,
    Individual,
    Memory,
    MemoryCandidate,
    Redactor,
    consolidate,
    extract_candidates,
    import_history,
    parse_field_mapping,
)
from tests._cli import run_cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "individual"
CSV_FIELDS = "speaker=from,text=message,timestamp=sent_at,session=conversation"


# --- import ---------------------------------------------------------------------------------


def test_import_jsonl_keeps_only_the_persons_messages_redacted() -> None:
    result = import_history([FIXTURES / "alice.jsonl"], person="alice")
    ind = result.individual
    assert ind.name == "alice" and result.messages == 7
    # bob's own lines (with his e-mail) never reach the profile
    dumped = ind.model_dump_json()
    assert "bob.m@example.com" not in dumped and "Marley" not in dumped
    assert (
        ind.history[0] == "Hi [NAME_1]! I live in Porto and I work as a nurse at the city hospital."
    )
    assert "alice.n@example.com" not in dumped and "[EMAIL]" in dumped
    assert "4111" not in dumped and "912 345" not in dumped and "Green Street" not in dumped
    # facts come from the person's own statements, the latest value of each key
    assert "Big news: I moved to Lisbon in March!" in ind.facts
    assert "I work as a nurse" in ind.facts
    assert not any("cat" in f for f in ind.facts)  # forgotten in session 2


def test_import_csv_with_field_mapping_and_notes() -> None:
    result = import_history(
        [FIXTURES / "alice.csv", FIXTURES / "notes.md"],
        person="alice",
        fields=parse_field_mapping(CSV_FIELDS),
    )
    ind = result.individual
    assert result.messages == 2 and result.notes == 2
    assert ind.history == [
        "I work as a nurse, mostly night shifts.",
        "I hate early mornings. Thanks [NAME_1]!",
    ]
    notes = [m for m in ind.memories if m.kind == "note"]
    assert [m.source for m in notes] == [f"{FIXTURES / 'notes.md'}:3", f"{FIXTURES / 'notes.md'}:5"]
    assert notes[0].text.startswith("Sunday lunch at my mother's house")
    dislike = next(m for m in ind.memories if m.key == "likes:early_mornings")
    assert (dislike.kind, dislike.value, dislike.session) == ("preference", "dislikes", "c1")
    assert dislike.timestamp == "2024-02-01 10:02"


def test_profile_json_round_trips() -> None:
    ind = import_history([FIXTURES / "alice.jsonl"], person="alice", memory_k=2).individual
    again = Individual.model_validate_json(ind.model_dump_json())
    assert again == ind and again.memory_k == 2 and again.memories
    with pytest.raises(ValueError, match="duplicate id 'm1'"):
        Individual(memories=[Memory(id="m1", text="a"), Memory(id="m1", text="b")])
    with pytest.raises(ValueError):
        Individual.model_validate({"retrieval": "tfidf"})


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "p.jsonl",
            '{"speaker": "a", "text": "hi"}\n{"speaker": "a", "text": \n',
            "p.jsonl:2:26: malformed JSON",
        ),
        (
            "p.jsonl",
            '{"speaker": "a", "text": "hi"}\n\n{"speaker": "a"}\n',
            "p.jsonl:3: field 'text' missing",
        ),
        ("p.jsonl", '["a", "hi"]\n', "p.jsonl:1: expected a JSON object"),
        (
            "p.jsonl",
            '{"speaker": "a", "text": {"x": 1}}\n',
            "p.jsonl:1: field 'text' (text) must be a string",
        ),
        ("p.csv", "who,text\na,hi\n", "p.csv:1: field 'speaker' missing (columns: who, text)"),
        ("p.csv", 'speaker,text\na,hi\nb,"x",extra\n', "p.csv:3: more cells than columns"),
        ("p.docx", "x", "p.docx: unknown file type '.docx'"),
        (
            "p.jsonl",
            '{"speaker": "bob", "text": "hi"}\n',
            "p.jsonl: speaker 'alice' never speaks (speakers: bob)",
        ),
    ],
)
def test_malformed_input_is_one_line_naming_file_line_field(
    tmp_path: Path, name: str, content: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        import_history([path], person="alice" if "never" in expected else None)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{tmp_path}/{expected}"), message


def test_explicitly_mapped_optional_field_is_required(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text('{"speaker": "a", "text": "hi", "ts": 1}\n{"speaker": "a", "text": "yo"}\n')
    fields = FieldMapping(timestamp="ts")
    with pytest.raises(ConfigError, match=r"p\.jsonl:2: field 'ts' missing$"):
        import_history([path], fields=fields)
    # unmapped defaults are optional; nested paths work
    path.write_text('{"from": {"name": "a"}, "body": "I live in Braga."}\n')
    result = import_history([path], fields=parse_field_mapping("speaker=from.name,text=body"))
    assert result.individual.facts == ["I live in Braga."]
    with pytest.raises(ConfigError, match=r"--field: .*known: speaker, text"):
        parse_field_mapping("sender=from")


# --- PII ------------------------------------------------------------------------------------


def test_redaction_of_realistic_strings_and_report_counts() -> None:
    r = Redactor(names=["Robert Smith"], keep=["alice"])
    r.add_speaker("bob")
    r.add_speaker("assistant")  # a role, not a name
    lines = [
        "Hi, I'm Dana Kowalski, from the assistant team. Bob has my number.",
        "Write to dana.k@mail.example.co.uk or call +44 20 7946 0958 / (555) 123-4567.",
        "Ship it to 221B Baker Street, London, or to Rua das Flores 12, Porto.",
        "Card 4111 1111 1111 1111 exp 2027-03-01; see https://shop.example.com/o?id=9.",
        "Robert said Smith will call Dana at 10:30 on 2024-03-12, order 123456.",
        "My name is Alice Jones and I am Portuguese.",
    ]
    for line in lines:
        r.learn(line)
    out = [r.redact(line, source=f"f.jsonl:{i}") for i, line in enumerate(lines, start=1)]
    assert out[0] == "Hi, I'm [NAME_1], from the assistant team. [NAME_2] has my number."
    assert out[1] == "Write to [EMAIL] or call [PHONE] / [PHONE]."
    # the city beside an address goes with it (issue #21)
    assert out[2] == "Ship it to [ADDRESS], or to [ADDRESS]."
    assert out[3] == "Card [CARD] exp 2027-03-01; see [URL]."
    assert (
        out[4] == "[NAME_3] said [NAME_3] will call [NAME_1] at 10:30 on 2024-03-12, order 123456."
    )
    assert out[5] == lines[5]  # the person's own name and a nationality are kept
    report = r.report()
    assert report.counts == {"EMAIL": 1, "URL": 1, "CARD": 1, "PHONE": 2, "ADDRESS": 2, "NAME": 5}
    assert report.distinct_names == 3 and report.total == 12
    assert [s.source for s in report.sites] == [f"f.jsonl:{i}" for i in range(1, 6)]
    assert report.sites[1].counts == {"EMAIL": 1, "PHONE": 2}
    dumped = report.model_dump_json()
    for secret in ("Dana", "Kowalski", "dana.k", "7946", "Baker", "4111", "shop.example"):
        assert secret not in dumped


def test_redaction_can_be_turned_off() -> None:
    result = import_history([FIXTURES / "alice.jsonl"], person="alice", redact=False)
    assert not result.redactions.enabled and result.redactions.counts == {}
    assert "alice.n@example.com" in result.individual.model_dump_json()


def test_user_names_are_redacted_consistently_across_files(tmp_path: Path) -> None:
    note = tmp_path / "diary.txt"
    note.write_text("Lunch with Miso's vet, Dr Okafor.\n\nOkafor says Miso is fine.\n")
    result = import_history(
        [FIXTURES / "alice.jsonl", note], person="alice", names=["Okafor", "Miso"]
    )
    texts = [m.text for m in result.individual.memories] + result.individual.history
    joined = " ".join(texts)
    assert "Okafor" not in joined and "Miso" not in joined
    notes = [m.text for m in result.individual.memories if m.kind == "note"]
    numbers = {part.split("]")[0] for t in notes for part in t.split("[NAME_")[1:]}
    assert notes[0].startswith("Lunch with [NAME_") and len(numbers) == 2


# --- extraction and consolidation -----------------------------------------------------------


def test_extraction_patterns_and_their_limits() -> None:
    got = {
        (c.op, c.kind, c.key, c.value)
        for c in extract_candidates(
            "I live in Porto and I work as a nurse. My favourite colour is blue. "
            "I'm not a student anymore. I don't like mornings. Do you live in Paris? "
            "If I lived in Rome I would be happy."
        )
    }
    assert got == {
        ("assert", "fact", "lives_in", "Porto"),
        ("assert", "fact", "occupation", "nurse"),
        ("assert", "fact", "my:favourite_colour", "blue"),
        ("forget", "fact", "is:student", None),
        ("assert", "preference", "likes:mornings", "dislikes"),
    }
    # a compound sentence yields one memory per clause, each with its own text
    texts = [c.text for c in extract_candidates("I live in Porto and I work as a nurse.")]
    assert texts == ["I live in Porto", "I work as a nurse"]


def _c(text: str, session: str, **kw: object) -> MemoryCandidate:
    return MemoryCandidate.model_validate({"text": text, "session": session, **kw})


def test_consolidation_add_update_noop_delete_across_two_sessions() -> None:
    s1 = [
        *extract_candidates("I live in Porto.", session="s1"),
        *extract_candidates("I have a cat.", session="s1"),
        _c("Went to the jazz festival by the river", "s1", kind="event"),
    ]
    s2 = [
        *extract_candidates("I live in Lisbon now.", session="s2"),
        *extract_candidates("I no longer have a cat.", session="s2"),
        _c("Went to the jazz festival by the river again", "s2", kind="event"),
        *extract_candidates("I live in Lisbon.", session="s2"),
    ]
    memories, log = consolidate([*s1, *s2])
    assert [(op.op, op.memory_id, op.session) for op in log] == [
        ("ADD", "m1", "s1"),
        ("ADD", "m2", "s1"),
        ("ADD", "m3", "s1"),
        ("UPDATE", "m1", "s2"),
        ("DELETE", "m2", "s2"),
        ("NOOP", "m3", "s2"),
        ("NOOP", "m1", "s2"),
    ]
    lives = next(m for m in memories if m.id == "m1")
    assert (lives.value, lives.superseded, lives.session) == ("Lisbon", ["Porto"], "s2")
    assert {m.id for m in memories} == {"m1", "m3"}
    # a lower threshold is needed for looser paraphrases; a forget with nothing to forget is NOOP
    _, log2 = consolidate([_c("a b c d", "s"), _c("a b c e", "s")], threshold=0.5)
    assert [op.op for op in log2] == ["ADD", "NOOP"]
    _, log3 = consolidate(extract_candidates("I'm not a student anymore."))
    assert [(op.op, op.memory_id) for op in log3] == [("NOOP", None)]


def test_capacity_forgets_least_important_oldest_first() -> None:
    cands = [
        _c("note one", "s", kind="note", importance=0.3),
        _c("fact two", "s", key="k2", value="x", importance=0.8),
        _c("note three", "s", kind="note", importance=0.3),
        _c("fact four", "s", key="k4", value="y", importance=0.8),
    ]
    memories, log = consolidate(cands, capacity=2)
    assert [m.id for m in memories] == ["m2", "m4"]
    deletes = [(op.memory_id, op.reason) for op in log if op.op == "DELETE"]
    assert [d[0] for d in deletes] == ["m1", "m3"] and "capacity" in deletes[0][1]
    with pytest.raises(ValueError):
        consolidate(cands, capacity=0)


# --- CLI ------------------------------------------------------------------------------------


def test_cli_import_history_writes_profile_and_report(tmp_path: Path) -> None:
    out, report, log = tmp_path / "alice.json", tmp_path / "red.json", tmp_path / "log.jsonl"
    names = tmp_path / "names.txt"
    names.write_text("# names to hide\nMiso\n")
    result = run_cli(
        [
            "personas", "import-history", str(FIXTURES / "alice.csv"), str(FIXTURES / "notes.md"),
            "--person", "alice", "--field", CSV_FIELDS, "--names-file", str(names),
            "-o", str(out), "--report", str(report), "--memory-log", str(log), "--retrieval", "none",
        ],
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (
        "2 messages, 2 note paragraphs" in result.stdout and "redactions: NAME 1" in result.stdout
    )
    text = out.read_text()
    assert text.count("\n") == 1  # one line: a JSON file and a one-record JSONL at once
    ind = Individual.model_validate_json(text)
    assert ind.retrieval == "none" and ind.facts
    assert json.loads(report.read_text())["counts"] == {"NAME": 1}
    ops = [json.loads(line)["op"] for line in log.read_text().splitlines()]
    assert ops == ["ADD"] * 4
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["alice.json", "red.json", "log.jsonl", "names.txt"]
    )


@pytest.mark.parametrize(
    ("args", "content", "expected"),
    [
        (
            [],
            '{"speaker": "alice", "text": "hi"}\n{"speaker": "alice"}\n',
            "in.jsonl:2: field 'text' missing",
        ),
        ([], '{"speaker": "alice", "text": "hi"}\n{oops}\n', "in.jsonl:2:2: malformed JSON"),
        (
            ["--person", "zoe"],
            '{"speaker": "alice", "text": "hi"}\n',
            "in.jsonl: speaker 'zoe' never speaks",
        ),
        (
            ["--field", "speaker"],
            '{"speaker": "alice", "text": "hi"}\n',
            "--field: expected NAME=FIELD",
        ),
        (
            ["--format", "csv"],
            '{"speaker": "alice", "text": "hi"}\n',
            "in.jsonl:1: field 'speaker' missing",
        ),
    ],
)
def test_cli_bad_input_exits_2_with_one_line_and_writes_nothing(
    tmp_path: Path, args: list[str], content: str, expected: str
) -> None:
    (tmp_path / "in.jsonl").write_text(content)
    result = run_cli(
        ["personas", "import-history", "in.jsonl", "-o", "out.json", "--report", "r.json", *args],
        cwd=tmp_path,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_cli_unknown_file_type(tmp_path: Path) -> None:
    (tmp_path / "chat.xml").write_text("<x/>")
    result = run_cli(["personas", "import-history", "chat.xml", "-o", "o.json"], cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "simulacra: error: chat.xml: unknown file type '.xml' "
        "(expected .jsonl, .csv, .txt or .md; or pass --format)"
    )
    assert not (tmp_path / "o.json").exists()


def test_the_persons_own_display_name_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text('{"speaker": "u1", "text": "Hello, my name is Alice Jones and I met Dora."}\n')
    kept = import_history([path], name="Alice", names=["Dora"]).individual.history
    assert kept == ["Hello, my name is Alice Jones and I met [NAME_1]."]
    hidden = import_history([path], names=["Dora"]).individual.history
    assert hidden == ["Hello, my name is [NAME_1] and I met [NAME_2]."]
