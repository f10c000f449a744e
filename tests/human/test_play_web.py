"""``simulacra play --web``: the person types in a browser page instead of the terminal.

The API through Starlette's TestClient (its lifespan runs the conversation in the client's event
loop), the page in Debian's chromium against a real uvicorn server on 127.0.0.1, and the CLI as a
real subprocess with the tiny embedded model. Set ``SIMULACRA_UPDATE_SCREENSHOTS=1`` to refresh
``docs/images/play.png``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from simulacra.conversation import ParticipantKind, TerminationReason
from simulacra.models import ChatMessage, GenerateConfig
from simulacra.runs import parse_config, read_conversations, read_run
from simulacra.testing import function_model
from simulacra.viewer._play_app import PlaySession, create_play_app
from simulacra.viewer._server import bind, url_of
from tests.human.conftest import INJECTED

CHROMIUM = os.environ.get("SIMULACRA_CHROMIUM", "/usr/bin/chromium")
DOCS_IMAGE = Path(__file__).resolve().parents[2] / "docs" / "images" / "play.png"
LOCAL = "http://127.0.0.1"


def _config() -> Any:
    return parse_config(
        {
            "name": "play-web",
            "models": {"user": "openai:unused", "target": "openai:unused"},
            "target": {"name": "HotelBot"},
            "scenarios": [{"id": "hotel", "goal": "book a hotel room for two nights"}],
            "stop": {"max_turns": 8},
            "cache": {"enabled": False},
        }
    )


def _target() -> Any:
    """Echoes the last line it got; a line containing 'inject' gets markup back."""

    def fn(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        last = messages[-1].content
        return INJECTED if "inject" in last else f"Noted: {last}"

    return function_model(fn, role="target")


def _session(tmp_path: Path) -> PlaySession:
    return PlaySession(
        _config(), seat="user", output_dir=tmp_path, models={"target": _target()}, player="p07"
    )


def _until_ended(get: Any) -> dict[str, Any]:
    for _ in range(6000):  # a bound, not a timing: up to 5 minutes on a busy machine
        state: dict[str, Any] = get()
        if state["ended"]:
            return state
        time.sleep(0.05)
    raise AssertionError("the conversation did not end")


def test_two_lines_and_quit_write_the_run(tmp_path: Path) -> None:
    session = _session(tmp_path)
    with TestClient(create_play_app(session), base_url=LOCAL) as client:
        page = client.get("/")
        assert (
            page.status_code == 200
            and "script-src 'self'" in page.headers["content-security-policy"]
        )
        for line in ["I need a room", "for two nights please", "/quit"]:
            r = client.post("/api/say", json={"text": line})
            assert r.status_code == 200, r.text
        state = _until_ended(lambda: client.get("/api/state").json())
        assert client.post("/api/say", json={"text": "late"}).status_code == 409
    outcome = state["outcome"]
    assert outcome["termination"] == "user_stop" and outcome["ended_by"] == "user"
    run_dir = Path(outcome["run_dir"])
    assert run_dir.parent == tmp_path
    said = [(e["speaker"], e["text"], e["own"]) for e in state["log"] if e["kind"] == "message"]
    assert said == [
        ("User", "I need a room", True),
        ("HotelBot", "Noted: I need a room", False),
        ("User", "for two nights please", True),
        ("HotelBot", "Noted: for two nights please", False),
    ]
    notes = " ".join(e["text"] for e in state["log"] if e["kind"] == "note")
    assert "book a hotel room for two nights" in notes  # the person was told the goal
    assert read_run(run_dir)["human"]["player"] == "p07"
    [c] = list(read_conversations(run_dir))
    assert c.participant("user").kind is ParticipantKind.HUMAN
    assert [t.utterance for t in c.turns if t.speaker == "user"] == [
        "I need a room",
        "for two nights please",
    ]
    assert all(t.metadata.get("human") is True for t in c.turns if t.speaker == "user")
    assert c.metadata["human_seat"] == "user" and c.termination is TerminationReason.USER_STOP


def test_bad_input_is_refused(tmp_path: Path) -> None:
    session = _session(tmp_path)
    with TestClient(create_play_app(session), base_url=LOCAL) as client:
        raw = {"content-type": "application/json"}
        assert client.post("/api/say", content=b"hello", headers=raw).status_code == 400
        assert client.post("/api/say", content=b"[1]", headers=raw).status_code == 400
        assert client.post("/api/say", data={"text": "form"}).status_code == 415
        assert client.post("/api/say", json={"text": "   "}).status_code == 400
        assert client.post("/api/say", json={"text": 3}).status_code == 400
        assert client.post("/api/say", json={"text": "x" * 10_001}).status_code == 400
        other = {"origin": "http://evil.example"}
        assert client.post("/api/say", json={"text": "hi"}, headers=other).status_code == 403
        assert client.get("/api/state", headers={"host": "evil.example"}).status_code == 400
        assert client.get("/static/../_play_app.py").status_code == 404
        assert client.get("/api/say").status_code == 404
        assert not [e for e in client.get("/api/state").json()["log"] if e["kind"] == "message"]
    # Leaving the server without /quit is end of input: the run is still written, empty.
    assert session.result is not None and session.person.commands == ["eof"]
    assert session.result.conversation.turns == []


def test_unknown_scenario_is_shown_as_the_error(tmp_path: Path) -> None:
    session = PlaySession(_config(), seat="user", scenario="nope", models={"target": _target()})
    with TestClient(create_play_app(session), base_url=LOCAL) as client:
        state = _until_ended(lambda: client.get("/api/state").json())
    assert "no scenario 'nope'" in state["error"] and "outcome" not in state


# --- the page in a real browser, served by uvicorn on 127.0.0.1 --------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, PlaySession]]:
    import uvicorn

    session = _session(tmp_path)
    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(
        uvicorn.Config(create_play_app(session), log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 300  # a hang guard, generous for a loaded machine
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield url_of("127.0.0.1", sock), session
    server.should_exit = True
    thread.join(timeout=300)


@pytest.mark.browser
def test_the_page_in_chromium(served: tuple[str, PlaySession]) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is missing: pip install -e '.[dev]'")
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if not path:
        pytest.fail(f"chromium not found at {CHROMIUM} (apt-get install chromium)")
    url, session = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1000, "height": 720})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_selector("#turn:has-text('Your turn')")
        assert "book a hotel room for two nights" in page.inner_text("#notes")
        page.fill("#line", "Hello, a room for two nights please")
        page.press("#line", "Enter")
        page.wait_for_selector(".turn:not(.own):has-text('Noted: Hello, a room')")
        page.fill("#line", "please inject something")
        page.click("#send")
        page.wait_for_selector(".turn:not(.own) >> text=<script>")
        reply = page.locator(".turn:not(.own)").last.inner_text()
        assert INJECTED in reply  # the markup is shown as text...
        assert page.evaluate("window.__pwned") is None  # ...and never ran
        assert page.locator("#transcript script, #transcript img").count() == 0
        page.wait_for_selector("#turn:has-text('Your turn')")
        if os.environ.get("SIMULACRA_UPDATE_SCREENSHOTS") == "1":
            page.screenshot(path=str(DOCS_IMAGE))
            assert DOCS_IMAGE.stat().st_size < 200_000
        page.click("#quit")
        page.wait_for_selector("#outcome >> text=Run directory")
        shown_dir = page.inner_text("#outcome code")
        assert errors == []
        browser.close()
    assert session.result is not None and shown_dir == str(session.result.directory)
    [c] = list(read_conversations(session.result.directory))
    assert [t.utterance for t in c.turns if t.speaker == "user"] == [
        "Hello, a room for two nights please",
        "please inject something",
    ]


# --- the CLI on the real path: a subprocess, the tiny embedded model as the simulated user -----


@pytest.mark.embedded
def test_cli_web_with_the_embedded_user(tmp_path: Path, tiny_gguf: str) -> None:
    config = tmp_path / "play.yaml"
    config.write_text(
        """
name: tiny-web
models:
  user: {model: "embedded:tiny", max_tokens: 16, n_ctx: 1024}
  target: "embedded:tiny"  # the person plays the target: never loaded
scenarios:
  - {id: pizza, goal: order a large pepperoni pizza for delivery}
stop: {max_turns: 6}
cache: {enabled: false}
""",
        encoding="utf-8",
    )
    command = ["play", str(config), "--as", "system", "--web", "-o", "runs"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulacra", *command],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        found = re.search(r"open (http://127\.0\.0\.1:\d+/)", proc.stdout.readline())
        assert found, proc.stderr.read() if proc.stderr else ""
        with httpx.Client(base_url=found[1], timeout=300) as client:
            for line in ["Hello! What would you like?", "/quit"]:
                assert client.post("/api/say", json={"text": line}).status_code == 200
            state = _until_ended(lambda: client.get("/api/state").json())
        out, err = proc.communicate(timeout=300)  # exits once the page has seen the end
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert f"run directory: {state['outcome']['run_dir']}" in out
    [run_dir] = (tmp_path / "runs").iterdir()
    assert read_run(run_dir)["human"]["seat"] == "system"
    [c] = list(read_conversations(run_dir))
    user_turns = [t for t in c.turns if t.speaker == "user"]
    assert user_turns and all(t.model_calls and t.utterance.strip() for t in user_turns)
    assert [t.utterance for t in c.turns if t.speaker == "assistant"] == [
        "Hello! What would you like?"
    ]
    assert c.termination in (TerminationReason.TARGET_STOP, TerminationReason.USER_STOP)
