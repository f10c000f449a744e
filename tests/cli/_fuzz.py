"""A seeded generator of malformed inputs for every reader of the CLI (issue #21 item 6).

Each :class:`Case` is one command line over files written into its own folder: a run config, a
profiles file, a population spec, persona files, annotation tasks, a filled annotation CSV,
ratings for ``eval meta`` (CSV and JSONL), MultiWOZ / Topical-Chat / generic corpora for ``data
import``, run directories for ``show`` / ``data stats`` / ``data export``, and chat logs for
``personas import-history``. Each base file is valid; the case breaks it at the byte level (empty,
binary, not UTF-8, UTF-16, NUL, truncated, a 100 KB line), at the syntax level (deep nesting,
duplicate keys, an alias bomb, base-60 numbers, 5,000-digit integers, unclosed brackets), at the
structure level (a field replaced by a value of the wrong type, an absurd number, removed, or an
unknown field added) or at the path level (missing, a folder, a FIFO).
"""

from __future__ import annotations

import copy
import json
import os
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["READERS", "Case", "cases"]


@dataclass(frozen=True)
class Case:
    reader: str
    mutation: str
    args: list[str]
    out: Path
    """The output location: must not exist, or be empty, after a failed command."""
    path: Path
    """The malformed input file (or its missing path): an error line must name it."""


RUN_CONFIG: dict[str, Any] = {
    "name": "fuzz",
    "models": {
        "user": {"model": "openai:x", "base_url": "http://127.0.0.1:9/v1", "max_retries": 0},
        "target": {"model": "openai:x", "base_url": "http://127.0.0.1:9/v1", "max_retries": 0},
    },
    "scenarios": [{"id": "s1", "goal": "book a room"}, {"id": "s2", "goal": "cancel"}],
    "profiles": [{"kind": "persona", "id": "p", "name": "Pat", "attributes": {"age": 30}}],
    "stop": {"max_turns": 4},
    "epochs": 2,
    "cache": {"enabled": False},
}
PROFILES = [
    {"kind": "persona", "id": "a", "name": "Ana", "attributes": {"age": 31}},
    {"kind": "general", "id": "b"},
]
POPULATION: dict[str, Any] = {
    "n": 5,
    "seed": 4,
    "attributes": {
        "demographics.age": {"uniform": [18, 80], "integer": True},
        "demographics.gender": {"categorical": {"female": 0.5, "male": 0.5}},
        "big_five.openness": {"normal": {"mean": 3.5, "sd": 0.6}, "clip": [1, 5]},
    },
    "stratify": "demographics.gender",
}
PERSONAS = [
    {
        "name": "Maya",
        "demographics": {"age": 34, "occupation": "nurse"},
        "big_five": {"openness": 4},
    },
    {"name": "Li", "demographics": {"age": 51}, "behaviour": {"verbosity": 0.2}},
]
RATINGS = [
    {"id": f"i{i}", "context": "hi ||| hello", "response": f"reply {i}", "score": i % 5 + 1}
    for i in range(6)
]
MULTIWOZ = {
    "SNG01.json": {
        "goal": {"hotel": {"info": {"area": "north"}}, "message": ["find a hotel"]},
        "log": [
            {"text": "I need a hotel in the north.", "metadata": {}, "dialog_act": {}},
            {"text": "Sure, which price range?", "metadata": {"hotel": {}}, "dialog_act": {}},
        ],
    }
}
TOPICAL = {
    "t1": {
        "article_url": "x",
        "config": "A",
        "content": [
            {"agent": "agent_1", "message": "hi", "sentiment": "Happy"},
            {"agent": "agent_2", "message": "hello", "sentiment": "Neutral"},
        ],
    }
}
MAPPING: dict[str, Any] = {
    "format": "jsonl",
    "fields": {"conversation": "id", "messages": "turns", "speaker": "role", "text": "text"},
    "roles": {"user": "user", "bot": "system"},
    "name": "fuzz",
}
GENERIC = [{"id": "c1", "turns": [{"role": "user", "text": "hi"}, {"role": "bot", "text": "yo"}]}]
CONVERSATION = {
    "schema_version": 1,
    "id": "c1",
    "participants": [
        {"id": "user", "name": "U", "kind": "simulated_human"},
        {"id": "assistant", "name": "A", "kind": "ai_system"},
    ],
    "turns": [{"speaker": "user", "utterance": "hi"}, {"speaker": "assistant", "utterance": "yo"}],
    "scenario_id": "s1",
    "termination": "user_stop",
}
CHAT_LOG = [
    {"speaker": "sam", "text": "I live in Porto and I like chess."},
    {"speaker": "bob", "text": "Nice!"},
    {"speaker": "sam", "text": "My job is nursing."},
]

# Values a field is replaced by: wrong types, absurd numbers, huge strings, deep nesting.
BAD_VALUES: list[Any] = [
    None,
    [],
    {},
    "",
    "x" * 100_000,
    -1,
    0,
    10**30,
    1e308,
    float("nan"),
    True,
    "1:30",
    [[[[["deep"]]]]],
    {"unexpected": {"nested": [1, 2]}},
    "\x00\x01",
    "../../../../etc/passwd",
]


def _dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10**9)


def _dump_json(data: Any) -> str:
    return json.dumps(data)


def _dump_jsonl(rows: Any) -> str:
    if not isinstance(rows, list):
        return json.dumps(rows) + "\n"
    return "".join(json.dumps(r) + "\n" for r in rows)


def _dump_csv(rows: Any) -> str:
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        return json.dumps(rows)
    keys = list(dict.fromkeys(k for r in rows for k in r))
    lines = [",".join(keys)]
    for r in rows:
        lines.append(
            ",".join(
                json.dumps(r.get(k))
                if not isinstance(r.get(k), str)
                else '"' + str(r.get(k)).replace('"', '""') + '"'
                for k in keys
            )
        )
    return "\n".join(lines) + "\n"


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key/index path inside ``data`` (not the root)."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield (*prefix, index)
            yield from _paths(value, (*prefix, index))


def _set(data: Any, path: tuple[Any, ...], value: Any, *, delete: bool = False) -> Any:
    out = copy.deepcopy(data)
    node = out
    for step in path[:-1]:
        node = node[step]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


def _byte_variants(text: str, rng: random.Random) -> list[tuple[str, bytes]]:
    raw = text.encode()
    cut = rng.randint(1, max(1, len(raw) - 1))
    return [
        ("empty", b""),
        ("whitespace", b"  \n\t\n"),
        ("binary", bytes(rng.randrange(256) for _ in range(512))),
        ("latin1", text.replace("a", "\u00e9", 1).encode("latin-1", "replace")),
        ("utf16", text.encode("utf-16")),
        ("nul", raw[:cut] + b"\x00" + raw[cut:]),
        ("truncated", raw[:cut]),
        ("truncated-third", raw[: max(1, len(raw) // 3)]),
        ("long-line", raw + b"\n" + b"z" * 100_000 + b"\n"),
        ("crlf-garbage", raw.replace(b"\n", b"\r\n") + b"\r\n}{][\r\n"),
    ]


def _syntax_variants(text: str, kind: str) -> list[tuple[str, bytes]]:
    first = text.splitlines()[0] if text.strip() else "a: 1"
    yaml_like = [
        ("deep-list", ("[" * 20_000 + "]" * 20_000).encode()),
        ("deep-map", ("{a: " * 2_000 + "1" + "}" * 2_000).encode()),
        ("duplicate-key", f"{first}\n{text}".encode()),
        ("tab-indent", text.replace("  ", "\t").encode() + b"\nx:\n\t- 1\n"),
        (
            "alias-bomb",
            (
                "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
                + "".join(
                    f"{c}: &{c} [{','.join(['*' + p] * 10)}]\n"
                    for p, c in zip("abcdefgh", "bcdefghi", strict=True)
                )
            ).encode(),
        ),
        ("sexagesimal", text.replace(": 4", ": 1:30").replace(": 2\n", ": 1:30\n").encode()),
        ("huge-int", f"{first}\nhuge: {'9' * 5000}\n".encode()),
        ("unclosed", (text + '\nbad: "unclosed\n').encode()),
        ("python-tag", b"!!python/object/apply:os.system ['true']\n"),
        ("top-level-list", b"- 1\n- 2\n"),
        ("top-level-scalar", b"just a string\n"),
        ("multi-doc", (text + "\n---\n" + text).encode()),
    ]
    json_like = [
        ("deep-list", ("[" * 100_000 + "]" * 100_000).encode()),
        ("deep-map", ('{"a":' * 50_000 + "1" + "}" * 50_000).encode()),
        ("unclosed", text.rstrip().encode()[:-1]),
        ("huge-int", ('{"n": ' + "9" * 5000 + "}\n").encode()),
        ("top-level-number", b"42\n"),
        ("top-level-string", b'"hello"\n'),
        ("nan", b'{"score": NaN, "x": Infinity}\n'),
        ("row-list", b"[1, 2, 3]\n" + text.encode()),
        ("row-null", b"null\n" + text.encode()),
        ("trailing-comma", text.replace("}", ",}", 1).encode()),
    ]
    csv_like = [
        ("header-only", (text.splitlines()[0] + "\n").encode()),
        ("ragged", (text + "1,2,3,4,5,6,7,8,9\n").encode()),
        ("quote-unclosed", (text + '"unclosed,1\n').encode()),
        ("no-header", b"\n\n1,2\n"),
        ("huge-cell", (text.splitlines()[0] + "\n" + "y" * 200_000 + "\n").encode()),
        ("deep-json-cell", (text + '"' + "[" * 5000 + '",1\n').encode()),
    ]
    return {"yaml": yaml_like, "json": json_like, "jsonl": json_like, "csv": csv_like}[kind]


@dataclass(frozen=True)
class Reader:
    name: str
    kind: str  # yaml | json | jsonl | csv
    base: Any
    filename: str
    command: Callable[[Path, Path], list[str]]
    """(input path, output folder) → arguments."""
    setup: Callable[[Path], None] | None = None
    """Writes the other (valid) files the command needs into the case folder."""


def _dump(kind: str, data: Any) -> str:
    return {"yaml": _dump_yaml, "json": _dump_json, "jsonl": _dump_jsonl, "csv": _dump_csv}[kind](
        data
    )


def _profiles_setup(folder: Path) -> None:
    config = {k: v for k, v in RUN_CONFIG.items() if k != "profiles"}
    config["profiles_file"] = "profiles.jsonl"
    (folder / "run.yaml").write_text(_dump_yaml(config))


def _generic_setup(folder: Path) -> None:
    (folder / "corpus.jsonl").write_text(_dump_jsonl(GENERIC))


def _run_dir_setup(folder: Path) -> None:
    (folder / "rundir").mkdir(exist_ok=True)
    (folder / "rundir" / "run.json").write_text(json.dumps({"schema_version": 1, "name": "r"}))


def _tasks_setup(folder: Path) -> None:
    (folder / "tasks.jsonl").write_text(_dump_jsonl(TASKS))


TASKS: list[dict[str, Any]] = [
    {
        "type": "study",
        "format": 1,
        "kind": "likert",
        "level": "turn",
        "rubric": "rubric/engagement@1",
        "instructions": "Rate the response.",
        "scale": {"min": 1, "max": 5},
        "dimensions": [{"name": "engagement", "description": "Engaging?"}],
        "annotators": ["ann1"],
        "seed": 0,
        "n_tasks": 2,
        "study": "12bb34036d18",
    },
    {"type": "task", "task_id": "t1", "context": ["User: Hi."], "response": "Sure.", "goal": "ask"},
    {"type": "task", "task_id": "t2", "context": ["User: Bye."], "response": "Bye.", "goal": "ask"},
]
FILLED_CSV = [
    {"task_id": "t1", "annotator": "ann1", "engagement": 4},
    {"task_id": "t2", "annotator": "ann1", "engagement": 2},
]

READERS: list[Reader] = [
    Reader(
        "run-config", "yaml", RUN_CONFIG, "run.yaml", lambda p, o: ["run", str(p), "-o", str(o)]
    ),
    Reader(
        "profiles-file",
        "jsonl",
        PROFILES,
        "profiles.jsonl",
        lambda p, o: ["run", str(p.parent / "run.yaml"), "-o", str(o)],
        _profiles_setup,
    ),
    Reader(
        "population",
        "yaml",
        POPULATION,
        "pop.yaml",
        lambda p, o: ["personas", "sample", str(p), "-o", str(o / "people.jsonl")],
    ),
    Reader(
        "persona-stats",
        "jsonl",
        PERSONAS,
        "people.jsonl",
        lambda p, o: ["personas", "stats", str(p)],
    ),
    Reader(
        "annotation-tasks",
        "jsonl",
        TASKS,
        "tasks.jsonl",
        lambda p, o: ["annotate", "export", str(p), "-o", str(o / "tasks.csv")],
    ),
    Reader(
        "annotation-csv",
        "csv",
        FILLED_CSV,
        "filled.csv",
        lambda p, o: [
            "annotate",
            "import",
            str(p),
            "--tasks",
            str(p.parent / "tasks.jsonl"),
            "-o",
            str(o / "ratings.jsonl"),
        ],
        _tasks_setup,
    ),
    Reader(
        "eval-meta-jsonl",
        "jsonl",
        RATINGS,
        "ratings.jsonl",
        lambda p, o: [
            "eval",
            "meta",
            str(p),
            "--judge",
            "baseline:lexical",
            "-o",
            str(o / "meta.json"),
        ],
    ),
    Reader(
        "eval-meta-csv",
        "csv",
        RATINGS,
        "ratings.csv",
        lambda p, o: [
            "eval",
            "meta",
            str(p),
            "--judge",
            "baseline:lexical",
            "-o",
            str(o / "meta.json"),
        ],
    ),
    Reader(
        "multiwoz-import",
        "json",
        MULTIWOZ,
        "data.json",
        lambda p, o: ["data", "import", "multiwoz21", str(p), "-o", str(o / "mw.jsonl")],
    ),
    Reader(
        "topical-chat-import",
        "json",
        TOPICAL,
        "test_freq.json",
        lambda p, o: ["data", "import", "topical-chat", str(p), "-o", str(o / "tc.jsonl")],
    ),
    Reader(
        "generic-mapping",
        "yaml",
        MAPPING,
        "mapping.yaml",
        lambda p, o: [
            "data",
            "import",
            "generic",
            str(p.parent / "corpus.jsonl"),
            "--mapping",
            str(p),
            "-o",
            str(o / "g.jsonl"),
        ],
        _generic_setup,
    ),
    Reader(
        "run-directory",
        "jsonl",
        [CONVERSATION],
        "rundir/conversations.jsonl",
        lambda p, o: [
            "data",
            "export",
            str(p.parent),
            "--format",
            "chat",
            "-o",
            str(o / "c.jsonl"),
        ],
        _run_dir_setup,
    ),
    Reader(
        "chat-log",
        "jsonl",
        CHAT_LOG,
        "chats.jsonl",
        lambda p, o: [
            "personas",
            "import-history",
            str(p),
            "--person",
            "sam",
            "-o",
            str(o / "sam.json"),
        ],
    ),
]


def _structure_variants(
    base: Any, kind: str, rng: random.Random, count: int
) -> list[tuple[str, bytes]]:
    paths = list(_paths(base))
    out: list[tuple[str, bytes]] = []
    for i in range(count):
        path = rng.choice(paths)
        where = "/".join(map(str, path))
        if i % 7 == 0 and not isinstance(path[-1], int):
            data, label = _set(base, path, None, delete=True), f"remove {where}"
        elif i % 7 == 1 and isinstance(base, dict | list):
            target = base if isinstance(base, dict) else base[0]
            if isinstance(target, dict):
                data = copy.deepcopy(base)
                (data if isinstance(data, dict) else data[0])["unknown_fieldz"] = 1
                label = "unknown field"
            else:
                data, label = _set(base, path, None), f"{where}=None"
        else:
            value = rng.choice(BAD_VALUES)
            data, label = _set(base, path, value), f"{where}={str(value)[:20]!r}"
        try:
            text = _dump(kind, data)
        except (ValueError, TypeError):
            text = json.dumps(data, default=str)
        out.append((label, text.encode("utf-8", "surrogatepass")))
    return out


def cases(root: Path, *, per_reader: int = 80, seed: int = 21) -> Iterator[Case]:
    """``per_reader`` structure cases per reader plus all byte, syntax and path cases, each in
    its own folder under ``root``."""
    rng = random.Random(seed)
    number = 0
    for reader in READERS:
        text = _dump(reader.kind, reader.base)
        variants = _byte_variants(text, rng) + _syntax_variants(text, reader.kind)
        variants += _structure_variants(reader.base, reader.kind, rng, per_reader)
        variants += [("missing", b""), ("folder", b""), ("fifo", b"")]
        for mutation, payload in variants:
            number += 1
            folder = root / f"{number:05d}-{reader.name}"
            folder.mkdir(parents=True)
            if reader.setup is not None:
                reader.setup(folder)
            path = folder / reader.filename
            path.parent.mkdir(parents=True, exist_ok=True)
            if mutation == "folder":
                path.mkdir()
            elif mutation == "fifo":
                os.mkfifo(path)
            elif mutation != "missing":
                path.write_bytes(payload)
            out = folder / "out"
            yield Case(reader.name, mutation, reader.command(path, out), out, path)
