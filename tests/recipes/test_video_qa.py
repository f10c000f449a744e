"""Recipe 7: the video QA arena — the captions parsers (and their one-line errors), the
pipeline with function models (a judge that prefers the answers grounded in the full captions
must rank that system first, clearly), and the CLI on the tiny model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulacra.errors import ConfigError
from simulacra.models import ChatMessage, GenerateConfig
from simulacra.recipes import (
    load_video_qa,
    parse_srt,
    parse_vtt,
    read_captions,
    run_video_qa,
    video_qa_table,
)
from simulacra.testing import function_model
from tests._cli import run_cli
from tests.recipes._helpers import RECIPES, TINY, invoke

pytestmark = pytest.mark.embedded

VIDEO = RECIPES / "video"

SRT = """1
00:00:01,000 --> 00:00:04,500
<i>Hello</i> and
welcome.

2
00:01:02,250 --> 00:01:05,000
Second cue.
"""


def test_the_example_captions_and_both_formats() -> None:
    cues = read_captions(VIDEO / "flat_tyre.vtt")
    assert len(cues) == 25
    assert cues[0].start == 0.0 and cues[-1].end == 156.0
    assert cues[16].text.startswith("Spread a thin layer of glue and wait about three minutes")
    assert [c.index for c in cues] == list(range(1, 26))
    srt = parse_srt(SRT, "x.srt")
    assert [(c.start, c.end, c.text) for c in srt] == [
        (1.0, 4.5, "Hello and welcome."),
        (62.25, 65.0, "Second cue."),
    ]
    assert srt[1].stamp == "1:02"
    vtt = parse_vtt(
        "WEBVTT\n\nNOTE a comment\n\nintro\n01:02.500 --> 01:03.000 align:start\n<v Jo>Hi</v>\n"
    )
    assert [(c.start, c.end, c.text) for c in vtt] == [(62.5, 63.0, "Hi")]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("a.vtt", "1\n00:00:01.000 --> 00:00:02.000\nHi\n", r"a.vtt: line 1: .*'WEBVTT'"),
        (
            "a.vtt",
            "WEBVTT\n\n00:00:01.000 -> 00:00:02.000\nHi\n",
            r"a.vtt: cue 1 \(line 3\): no timing",
        ),
        (
            "a.vtt",
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nok\n\n00:00:0x.000 --> 00:00:03.000\nHi\n",
            r"a.vtt: cue 2 \(line 6\): bad timestamp '00:00:0x.000'",
        ),
        ("a.vtt", "WEBVTT\n\n00:00:05.000 --> 00:00:02.000\nHi\n", r"cue 1 .*ends .* before"),
        ("a.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<b></b>\n", r"cue 1 .*: no text"),
        ("a.vtt", "WEBVTT\n\nNOTE only a note\n", r"a.vtt: no cues"),
        (
            "b.srt",
            "1\n00:00:01,000 --> 00:00:02,000\nok\n\nTwo\n00:00:03,000 --> 00:00:04,000\nx\n",
            r"b.srt: cue 2 \(line 5\): expected the cue number",
        ),
        ("b.srt", "1\n00:00:01,000 --> 00:01:72,000\nok\n", r"b.srt: cue 1 .*over 59"),
        ("c.txt", "whatever", r"c.txt: captions must be a .vtt or .srt"),
    ],
)
def test_malformed_captions_are_one_line_errors(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as err:
        read_captions(path)
    assert "\n" not in str(err.value)


def test_the_systems_file_and_bad_input(tmp_path: Path) -> None:
    spec = load_video_qa(VIDEO / "flat_tyre.yaml")
    assert [(s.name, s.sees) for s in spec.systems] == [
        ("full-captions", "full"),
        ("first-half", "first_half"),
        ("no-video", "none"),
    ]
    bad = tmp_path / "s.yaml"
    bad.write_text("title: t\nsummary: s\nquestions: [q]\nsystems:\n  - {name: a, sees: half}\n")
    with pytest.raises(ConfigError, match=r"s.yaml: systems") as err:
        load_video_qa(bad)
    assert "\n" not in str(err.value)
    bad.write_text("title: t\nsummary: s\nquestions: [q]\nsystems: [{name: a}, {name: a}]\n")
    with pytest.raises(ConfigError, match="duplicate name"):
        load_video_qa(bad)


def _responses(prompt: str) -> tuple[str, str]:
    a = prompt.split("\nResponse A: ", 1)[1]
    a, b = a.split("\nResponse B: ", 1)
    return a, b.split("\n\nAnswer in JSON", 1)[0]


async def test_a_grounded_judge_ranks_the_full_captions_system_first() -> None:
    cues = read_captions(VIDEO / "flat_tyre.vtt")
    spec = load_video_qa(VIDEO / "flat_tyre.yaml")
    seen: list[str] = []
    seeds: dict[str, set[int | None]] = {}

    def user(messages: list[ChatMessage], config: GenerateConfig) -> str:
        seen.append(messages[0].content)
        seeds.setdefault(messages[0].content, set()).add(config.seed)
        # a different question each turn: a repeated one would fail the validity gate
        later = any("after the glue" in m.content for m in messages[1:])
        return "And then I just pump it up?" if later else "How long do I wait after the glue?"

    def target(messages: list[ChatMessage], config: GenerateConfig) -> str:
        system = messages[0].content
        if "three minutes" in system:  # only the full captions say it
            return "About three minutes, until the glue is dry to the touch."
        return "Wait a while." if "captions" in system else "I have not seen the video."

    def judge(messages: list[ChatMessage], config: GenerateConfig) -> str:
        a, b = _responses(messages[-1].content)
        better = "tie"
        if ("three minutes" in a) != ("three minutes" in b):
            better = "A" if "three minutes" in a else "B"
        assert "Captions:\n[0:00] Hi, I'm Jo" in messages[-1].content  # ground truth shown
        return json.dumps({"explanation": "checked the captions", "better": better})

    conversations, report = await run_video_qa(
        cues,
        spec,
        user_model=function_model(user, role="user"),
        target_model=function_model(target, role="target"),
        judge=function_model(judge, role="judge"),
        users=4,
        turns=2,
        resamples=300,
    )
    assert len(conversations) == 12 and all(len(c.turns) == 4 for c in conversations)
    assert any("Find out: Which tools are needed" in s for s in seen)  # the goal per user
    # each user samples with one seed of its own against every system
    assert all(len(s) == 1 and None not in s for s in seeds.values())
    assert len({next(iter(s)) for s in seeds.values()}) == len(seeds) == 4
    assert report["n_keys"] == 4 and report["n_battles"] == 12 and report["unanswered"] == 0
    bt = report["bradley_terry"]["ratings"]
    assert bt[0]["system"] == "full-captions" and bt[0]["wins"] == 8 and bt[0]["losses"] == 0
    assert all(bt[0]["rating"]["low"] > r["rating"]["high"] for r in bt[1:])
    assert {r["system"] for r in bt[1:]} == {"first-half", "no-video"}
    assert report["elo"]["ratings"][0]["system"] == "full-captions"
    assert report["ties"] == 4  # first-half vs no-video: neither grounded
    systems = {s["name"]: s for s in report["systems"]}
    assert systems["first-half"]["cues_seen"] == 13 and systems["no-video"]["cues_seen"] == 0
    assert systems["full-captions"]["answers"] == 8
    table = video_qa_table(report).splitlines()
    assert table[2].startswith("| 1 | full-captions | full | ") and table[2].endswith("| 8-0-0 |")


def test_the_cli_on_the_tiny_model(tiny_gguf: str, tmp_path: Path) -> None:
    spec = tmp_path / "systems.yaml"
    spec.write_text(
        "title: Fixing a flat bike tyre\nsummary: How to patch an inner tube.\n"
        "questions: [How long to wait after spreading the glue.]\n"
        "systems:\n  - {name: full, sees: full}\n  - {name: blind, sees: none}\n"
    )
    model = json.dumps({**TINY, "max_tokens": 24})
    out = invoke(
        "recipe", "video-qa", str(VIDEO / "flat_tyre.vtt"), "--systems", str(spec),
        "--model", model, "-n", "1", "--turns", "2", "--max-tokens", "16",
        "--resamples", "50", "-o", str(tmp_path / "out"),
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["recipe"] == "video-qa" and report["users"] == 1
    if report["simulator_invalid_users"] == [0]:
        # the tiny user failed the validity gate: the simulator's fault, judged against no one
        assert report["n_battles"] == report["unanswered"] == 0
        assert out.output.startswith("no ranking: every simulated user (1) failed the validity")
        return
    # A 24-token tiny judge rarely finishes its JSON: an unanswered pair is data, not a crash.
    assert report["n_battles"] + report["unanswered"] == 1
    if report["n_battles"]:
        assert out.output.startswith("| rank | system | sees | Bradley–Terry")
        assert {r["system"] for r in report["bradley_terry"]["ratings"]} == {"full", "blind"}
    else:
        assert out.output.startswith("no ranking: the judge answered none of 1 comparisons")
        assert report["bradley_terry"] is None
    lines = (tmp_path / "out" / "conversations.jsonl").read_text().splitlines()
    conversations = [json.loads(x) for x in lines]
    assert sorted(c["metadata"]["system"] for c in conversations) == ["blind", "full"]
    for c in conversations:
        assert c["turns"] and c["turns"][0]["speaker"] == "user"
        assert len(c["turns"]) <= 4


def test_the_cli_reports_bad_captions_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.srt"
    bad.write_text("1\n00:00:01,000 --> 00:00:02,000\n\n")
    args = ["recipe", "video-qa", str(bad), "--systems", str(VIDEO / "flat_tyre.yaml")]
    out = run_cli([*args, "-o", str(tmp_path / "out")], cwd=tmp_path)
    assert out.returncode == 2
    [line] = out.stderr.strip().splitlines()
    assert line.startswith("simulacra: error: ") and line.endswith(
        "bad.srt: cue 1 (line 2): no text"
    )
    assert not (tmp_path / "out").exists()
