"""The user-voice scorer: shipped weights, real MultiWOZ test turns, training, files and CLI."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from simulacra.conversation import Conversation, ParticipantInfo, ParticipantKind, Turn
from simulacra.errors import ConfigError
from simulacra.participants import UserVoiceScorer, VoiceExample, train_user_voice
from simulacra.participants._voice import VOICE_FILE_KIND, voice_features
from simulacra.participants._voice_data import run_voice_examples, voice_examples
from tests._cli import run_cli

ASSISTANT_STYLE = [
    "Sure! I'd be happy to help you book a room. What dates?",
    "Is there anything else I can help you with?",
]
USER_STYLE = ["hi, i need a cheap hotel in the north", "yes please book it for 2 people"]


@pytest.fixture(scope="module")
def scorer() -> UserVoiceScorer:
    return UserVoiceScorer.default()


@pytest.fixture(scope="module")
def held_out_sample(shared_data: Path, scorer: UserVoiceScorer) -> list[VoiceExample]:
    """The fixed seeded sample of MultiWOZ 2.1 *test* turns recorded in the card."""
    recorded = scorer.card["multiwoz21_test_sample"]
    return voice_examples(
        [("multiwoz21", shared_data / recorded["file"])],
        limit_per_corpus=recorded["limit_per_corpus"],
        seed=recorded["seed"],
    )


def test_shipped_scorer_loads_offline_in_pure_python() -> None:
    # A fresh interpreter where numpy, scikit-learn and the network are unavailable.
    code = (
        "import sys\n"
        "for m in ('numpy', 'sklearn', 'scipy'):\n"
        "    sys.modules[m] = None\n"
        "def _no_net(event, args):\n"
        "    if event in ('socket.connect', 'socket.getaddrinfo', 'urllib.Request'):\n"
        "        raise OSError('network used: ' + event)\n"
        "sys.addaudithook(_no_net)\n"
        "from simulacra.participants import UserVoiceScorer\n"
        "s = UserVoiceScorer.default()\n"
        "print(round(s.score('hi, i need a cheap hotel in the north'), 6))\n"
        "print(round(s.score('Is there anything else I can help you with?'), 6))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    user, assistant = (float(v) for v in result.stdout.split())
    assert user > 0.5 > assistant


def test_card_describes_the_shipped_weights(scorer: UserVoiceScorer) -> None:
    card = scorer.card
    assert card["version"] == 1
    assert scorer.threshold == card["threshold"] == 0.5
    assert set(card["leave_one_corpus_out"]) == {
        "multiwoz21",
        "taskmaster",
        "abcd",
        "moviebot",
        "persuasionforgood",
    }
    # MultiWOZ test never trains the model: only val is listed among the training files.
    files = [f for c in card["corpora"].values() if c["use"] == "train" for f in c["files"]]
    assert "multiwoz21/val.json.zip" in files
    assert not any("test" in f for f in files)
    assert card["train"]["corpora"].keys() == card["leave_one_corpus_out"].keys()
    assert 1_000 < len(scorer.weights) <= 20_000


def test_multiwoz_test_sample_accuracy_is_the_one_recorded(
    scorer: UserVoiceScorer, held_out_sample: list[VoiceExample]
) -> None:
    recorded = scorer.card["multiwoz21_test_sample"]
    correct = sum(scorer.is_user(e.text) == e.user for e in held_out_sample)
    assert len(held_out_sample) == recorded["n"] == 2000
    assert correct == recorded["correct"]
    assert round(correct / len(held_out_sample), 4) == recorded["accuracy"]
    assert recorded["accuracy"] > 0.85


def test_sample_is_labelled_by_side(held_out_sample: list[VoiceExample]) -> None:
    users = [e for e in held_out_sample if e.user]
    assert 0.4 < len(users) / len(held_out_sample) < 0.6
    assert {e.corpus for e in held_out_sample} == {"multiwoz21"}
    assert all(e.conversation and e.conversation.startswith("multiwoz21:") for e in held_out_sample)


def test_real_user_turns_sound_more_like_users_than_assistant_style(
    scorer: UserVoiceScorer, held_out_sample: list[VoiceExample]
) -> None:
    real_user = statistics.fmean(scorer.scores([e.text for e in held_out_sample if e.user]))
    real_system = statistics.fmean(scorer.scores([e.text for e in held_out_sample if not e.user]))
    assistant = scorer.scores(ASSISTANT_STYLE)
    user = scorer.scores(USER_STYLE)
    assert real_user > max(assistant)
    assert real_user > real_system + 0.4
    assert min(user) > 0.5 > max(assistant)


def test_features_agree_on_tokenised_and_raw_text() -> None:
    # MultiWOZ splits clitics and punctuation; other corpora do not.
    assert voice_features("I do n't need a taxi .") == voice_features("I don't need a taxi.")
    feats = voice_features("Booking reference 8XK2P1 at 17:30?")
    assert "w:<num>" in feats and "s:question" in feats
    assert abs(sum(v * v for v in feats.values()) - 1.0) < 1e-9


def _training_examples() -> list[VoiceExample]:
    user = ["i need a train to cambridge", "yes please", "book it for 3 people", "no thanks"]
    system = [
        "What time would you like to leave?",
        "Your booking is confirmed. Anything else?",
        "I can help you with that.",
        "There are 5 trains available today.",
    ]
    return [
        VoiceExample(t, u, "toy")
        for _ in range(3)
        for u, texts in ((True, user), (False, system))
        for t in texts
    ]


def test_train_save_load_round_trip(tmp_path: Path) -> None:
    trained = train_user_voice(_training_examples(), C=2.0, max_features=30)
    assert len(trained.weights) <= 30
    path = trained.save(tmp_path / "voice.json")
    loaded = UserVoiceScorer.load(path)
    texts = [*ASSISTANT_STYLE, *USER_STYLE, "", "What time would you like?"]
    assert loaded.scores(texts) == trained.scores(texts)
    assert loaded.weights == trained.weights and loaded.card == trained.card
    assert loaded.score("yes please book it") > 0.5 > loaded.score("I can help you with that.")
    assert json.loads(path.read_text())["kind"] == VOICE_FILE_KIND


def test_training_needs_both_labels() -> None:
    only_users = [VoiceExample(f"i want {n}", True, "toy") for n in range(5)]
    with pytest.raises(ConfigError, match="2 user and 2 other"):
        train_user_voice(only_users)


def test_bad_scorer_files_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        UserVoiceScorer.load(tmp_path / "missing.json")
    wrong = tmp_path / "gate.json"
    wrong.write_text(json.dumps({"kind": "simulacra.retrieval_gate"}))
    with pytest.raises(ConfigError, match="not a user-voice scorer file") as info:
        UserVoiceScorer.load(wrong)
    assert "\n" not in str(info.value)


def _write_run(folder: Path, conversations: int) -> Path:
    folder.mkdir(parents=True)
    rows = []
    for n in range(conversations):
        conv = Conversation(
            id=f"c{n}",
            participants=[
                ParticipantInfo(id="user", name="U", kind=ParticipantKind.SIMULATED_HUMAN),
                ParticipantInfo(id="bot", name="B", kind=ParticipantKind.AI_SYSTEM),
            ],
            turns=[
                Turn(speaker="user", utterance=f"hi i need a table for {n + 2} tonight"),
                Turn(speaker="bot", utterance="Sure! Which restaurant would you like?"),
                Turn(speaker="user", utterance="the cheap italian one please"),
                Turn(speaker="bot", utterance="I have booked it. Is there anything else?"),
                Turn(speaker="user", utterance="  "),
            ],
        )
        rows.append(conv.model_dump_json())
    (folder / "conversations.jsonl").write_text("\n".join(rows) + "\n")
    return folder


def test_run_directory_turns_are_labelled_by_participant(tmp_path: Path) -> None:
    examples = run_voice_examples(_write_run(tmp_path / "mine", 3))
    assert len(examples) == 12  # the blank turns are skipped
    assert [e.user for e in examples[:4]] == [True, False, True, False]
    assert {e.corpus for e in examples} == {"run:mine"}
    assert examples[0].conversation == "c0"


def test_voice_examples_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown corpus kind 'multiwozz'.*multiwoz21"):
        voice_examples([("multiwozz", tmp_path / "x.json")])
    with pytest.raises(ConfigError, match=r"missing\.json: file not found"):
        voice_examples([("abcd", tmp_path / "missing.json")])
    (tmp_path / "empty.json").write_text("[]")
    with pytest.raises(ConfigError, match=r"empty\.json: no turns found"):
        voice_examples([("taskmaster", tmp_path / "empty.json")])


def test_cli_voice_train_and_score(tmp_path: Path, shared_data: Path) -> None:
    _write_run(tmp_path / "logs", 6)
    moviebot = shared_data / "moviebot-usersimcrs/data/datasets/moviebot/annotated_dialogues.json"
    result = run_cli(
        [
            "gate",
            "voice-train",
            "--run",
            "logs",
            "--corpus",
            f"moviebot:{moviebot}",
            "-o",
            "v.json",
        ],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "234 turns" in result.stdout and "held-out accuracy" in result.stdout
    trained = UserVoiceScorer.load(tmp_path / "v.json")
    held = trained.card["held_out"]
    assert held["split"] == "seeded (0) 80/20 by conversation"
    assert 0.0 <= held["accuracy"] <= 1.0 and set(held["per_corpus"]) <= {"run:logs", "moviebot"}
    assert trained.card["train"]["turns"] == 234

    scored = run_cli(
        [
            "gate",
            "voice-score",
            "--model",
            "v.json",
            "the cheap italian one please",
            "I have booked it.",
        ],
        tmp_path,
    )
    assert scored.returncode == 0, scored.stderr
    lines = scored.stdout.strip().splitlines()
    assert [line.split("\t")[2] for line in lines] == [
        "the cheap italian one please",
        "I have booked it.",
    ]
    assert float(lines[0].split("\t")[0]) > float(lines[1].split("\t")[0])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--corpus", "nosuch:data.json"], "data.json: unknown corpus kind 'nosuch'"),
        (["--corpus", "abcd:missing.json"], "missing.json: file not found"),
        (["--run", "norun"], "norun: file not found"),
        (["--run", "empty"], "empty: no turns found"),
        (["--corpus", "abcd"], "expected KIND:PATH"),
        ([], "give at least one --corpus KIND:PATH or --run DIR"),
    ],
)
def test_cli_voice_train_bad_input_exits_2(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "conversations.jsonl").write_text("")
    result = run_cli(["gate", "voice-train", *args, "-o", "v.json"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("simulacra: error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "v.json").exists()
