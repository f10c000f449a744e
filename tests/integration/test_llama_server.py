"""The ``server`` engine: a Simulacra-managed llama-server on the tiny model.

The binary comes from ``scripts/build_llama_server.sh`` (``scripts/test.sh`` builds it when it is
missing); a missing binary fails these tests instead of skipping them.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from tests._cli import run_cli

from simulacra.errors import ConfigError, ModelError, ModelNotAvailableError, TransientError
from simulacra.models import ChatMessage, EmbeddedAPI, GenerateConfig, _llama_process, record_calls
from simulacra.models._llama_server import SERVER_ENV, ServerEmbeddedAPI, find_server_binary

pytestmark = pytest.mark.embedded

GREEDY = GenerateConfig(temperature=0.0, max_tokens=12, seed=3)
#: Hang guard for a child process to exit (a loaded machine is slow, never this slow).
EXIT_GUARD_S = 120.0


@pytest.fixture(scope="module")
def server_binary() -> Path:
    try:
        return find_server_binary()
    except ModelNotAvailableError as exc:
        pytest.fail(f"{exc} (scripts/test.sh builds it)")


def _conversation(system: str, *turns: str) -> list[ChatMessage]:
    messages = [ChatMessage(role="system", content=system)]
    for i, text in enumerate(turns):
        messages.append(ChatMessage(role="user" if i % 2 == 0 else "assistant", content=text))
    return messages


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _wait_gone(pid: int) -> bool:
    deadline = time.monotonic() + EXIT_GUARD_S
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return True
        time.sleep(0.1)
    return False


def _api(tiny_gguf: str, **kwargs: object) -> ServerEmbeddedAPI:
    options: dict[str, object] = {"n_ctx": 1024, "n_threads": 1, "n_slots": 4}
    options.update(kwargs)
    return ServerEmbeddedAPI(tiny_gguf, **options)  # type: ignore[arg-type]


def test_second_turn_evaluates_only_its_new_tokens_after_another_conversation(
    tiny_gguf: str, server_binary: Path
) -> None:
    api = _api(tiny_gguf)
    try:
        a1 = _conversation("You are a travel agent in Rome.", "I want to visit in May.")
        with record_calls():
            out_a1 = api.generate_sync(a1, GREEDY)
            with record_calls():  # another conversation in between, on its own slot
                b1 = _conversation("You are a baker. Answer briefly.", "How long does bread rise?")
                out_b1 = api.generate_sync(b1, GREEDY)
            a2 = [*a1, ChatMessage(role="assistant", content=out_a1.text)]
            a2.append(ChatMessage(role="user", content="Which museums open on Mondays?"))
            out_a2 = api.generate_sync(a2, GREEDY)
        assert out_b1.usage.prompt_tokens_evaluated == out_b1.usage.prompt_tokens
        new_turn = out_a2.usage.prompt_tokens - out_a1.usage.prompt_tokens
        evaluated = out_a2.usage.prompt_tokens_evaluated
        assert evaluated is not None
        assert 0 < evaluated <= new_turn
    finally:
        asyncio.run(api.aclose())


def test_text_does_not_depend_on_the_batch_and_matches_the_single_engine_unpenalised(
    tiny_gguf: str, server_binary: Path
) -> None:
    prompts = [
        _conversation("You are a travel agent in Rome.", "I want to visit in May."),
        _conversation("You are a baker. Answer briefly.", "How long does bread rise?"),
        _conversation("You are a librarian.", "Recommend a novel about the sea."),
        _conversation("You are a mechanic.", "My car makes a clicking noise."),
    ]
    api = _api(tiny_gguf)
    try:
        alone = api.generate_sync(prompts[0], GREEDY).text
        with ThreadPoolExecutor(4) as pool:
            batched = list(pool.map(lambda m: api.generate_sync(m, GREEDY).text, prompts))
        seeded = GenerateConfig(temperature=0.9, max_tokens=12, seed=11)
        hot_alone = api.generate_sync(prompts[1], seeded).text
        with ThreadPoolExecutor(4) as pool:
            hot = list(pool.map(lambda m: api.generate_sync(m, seeded).text, prompts))
    finally:
        asyncio.run(api.aclose())
    assert alone and batched[0] == alone
    assert hot[1] == hot_alone
    # Across engines at temperature 0 without a repeat penalty: llama-cpp-python counts the
    # prompt's last tokens in the penalty window, llama-server only the generated ones.
    plain = GenerateConfig(temperature=0.0, max_tokens=12, seed=3, repeat_penalty=1.0)
    server = _api(tiny_gguf)
    try:
        served = server.generate_sync(prompts[0], plain).text
    finally:
        asyncio.run(server.aclose())
    single = EmbeddedAPI(tiny_gguf, n_ctx=1024, n_threads=1)
    try:
        reference = asyncio.run(single.generate(prompts[0], plain)).text
    finally:
        asyncio.run(single.aclose())
    assert served == reference


def test_a_draft_model_drafts_and_leaves_the_greedy_text_unchanged(
    tiny_gguf: str, server_binary: Path
) -> None:
    messages = _conversation("You are a travel agent in Rome.", "I want to visit in May.")
    config = GenerateConfig(temperature=0.0, max_tokens=32, seed=3)
    plain = _api(tiny_gguf, n_slots=1)
    try:
        reference = plain.generate_sync(messages, config).text
    finally:
        asyncio.run(plain.aclose())
    drafted = _api(tiny_gguf, n_slots=1, draft=tiny_gguf)  # a model is its own best draft
    try:
        text = drafted.generate_sync(messages, config).text
        assert drafted.drafted_tokens > 0
        assert 0 < drafted.accepted_tokens <= drafted.drafted_tokens
        assert drafted.describe()["draft"] == tiny_gguf
    finally:
        asyncio.run(drafted.aclose())
    assert text == reference


def test_adapters_of_one_model_share_one_server_that_stops_with_the_last(
    tiny_gguf: str, server_binary: Path
) -> None:
    first = _api(tiny_gguf)
    second = _api(tiny_gguf)
    pid = first.server.pid
    assert second.server is first.server
    assert first.preferred_concurrency == 2  # 4 slots shared by two roles
    asyncio.run(first.aclose())
    assert _pid_alive(pid)
    asyncio.run(second.aclose())
    assert _wait_gone(pid)


def test_a_server_crash_mid_call_is_retryable_and_the_next_call_runs_on_a_fresh_server(
    tiny_gguf: str, server_binary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_llama_process, "_RESTARTS", {})
    api = _api(tiny_gguf)
    pid = api.server.pid
    messages = _conversation("You are a travel agent.", "Hello.")
    try:

        async def crash_mid_call() -> None:
            # Frozen, the server accepts the connection but cannot answer: the call is in
            # flight for certain when the server dies.
            os.kill(pid, signal.SIGSTOP)
            call = asyncio.create_task(api.generate(messages, GREEDY))
            await asyncio.sleep(0.5)
            assert not call.done()
            os.kill(pid, signal.SIGKILL)
            await asyncio.wait_for(call, EXIT_GUARD_S)

        with pytest.raises(TransientError, match="llama-server exited with status -9"):
            asyncio.run(crash_mid_call())
        assert api.server.pid != pid and api.server.alive
        assert asyncio.run(api.generate(messages, GREEDY)).text
        # Killed between calls: the next call starts a fresh server and just works.
        second = api.server.pid
        os.kill(second, signal.SIGKILL)
        api.server.proc.wait(timeout=EXIT_GUARD_S)  # its threads gone too, not just a zombie
        assert asyncio.run(api.generate(messages, GREEDY)).text
        assert api.server.pid not in (pid, second)
    finally:
        asyncio.run(api.aclose())
    assert not _pid_alive(pid)


def test_a_crash_loop_stops_after_the_restart_budget(
    tiny_gguf: str, server_binary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_llama_process, "_RESTARTS", {})
    api = _api(tiny_gguf, n_slots=1)
    messages = _conversation("You are a travel agent.", "Hello.")
    try:
        for _ in range(_llama_process.MAX_RESTARTS):
            os.kill(api.server.pid, signal.SIGKILL)
            api.server.proc.wait(timeout=EXIT_GUARD_S)
            assert api.generate_sync(messages, GREEDY).text
        os.kill(api.server.pid, signal.SIGKILL)
        api.server.proc.wait(timeout=EXIT_GUARD_S)
        with pytest.raises(ModelError, match=r"not restarted \(3 restarts already\)"):
            api.generate_sync(messages, GREEDY)
    finally:
        asyncio.run(api.aclose())


def test_a_run_survives_a_server_killed_mid_run(
    tiny_gguf: str, server_binary: Path, tmp_path: Path
) -> None:
    config = _config(tmp_path, tiny_gguf, ", n_slots: 4")
    text = (
        config.read_text().replace("epochs: 2", "epochs: 6").replace("max_turns: 2", "max_turns: 4")
    )
    config.write_text(text)
    run = subprocess.Popen(
        [sys.executable, "-m", "simulacra", "run", str(config), "-o", str(tmp_path / "out")],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + EXIT_GUARD_S
        server = None
        while server is None and run.poll() is None and time.monotonic() < deadline:
            server = _child_named(run.pid, "llama-server")
            time.sleep(0.05)
        assert server is not None, "no llama-server child appeared"
        time.sleep(1.0)  # a few calls in
        os.kill(server, signal.SIGKILL)
        _out, err = run.communicate(timeout=EXIT_GUARD_S * 3)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode == 0, err
    (directory,) = (tmp_path / "out").iterdir()
    records = [
        json.loads(line)
        for line in (directory / "conversations.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert len(records) == 6
    assert all(not r.get("error") for r in records), [r.get("error") for r in records]
    assert _wait_gone(server)


def _child_named(parent: int, name: str) -> int | None:
    for task in Path(f"/proc/{parent}/task").iterdir():
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            try:
                comm = Path(f"/proc/{child}/comm").read_text().strip()
            except OSError:
                continue
            if comm == name:
                return int(child)
    return None


_CHILD = textwrap.dedent(
    """
    import asyncio, sys, time
    from simulacra.models._llama_server import ServerEmbeddedAPI
    api = ServerEmbeddedAPI(sys.argv[1], n_ctx=512, n_threads=1, n_slots=1)
    print(api.server.pid, flush=True)
    if sys.argv[2] == "raise":
        raise RuntimeError("boom")
    time.sleep(600)  # Ctrl-C or kill -9 arrives here
    """
)


@pytest.mark.parametrize("how", ["raise", "sigint", "sigkill"])
def test_no_orphan_server_after_an_exception_ctrl_c_or_kill(
    tiny_gguf: str, server_binary: Path, how: str
) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, tiny_gguf, how],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip().isdigit(), child.stderr.read() if child.stderr else ""
        server_pid = int(line)
        assert _pid_alive(server_pid)
        if how == "sigint":
            child.send_signal(signal.SIGINT)
        elif how == "sigkill":
            child.kill()
        child.wait(timeout=EXIT_GUARD_S)
        assert _wait_gone(server_pid), f"llama-server {server_pid} outlived its parent ({how})"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_a_port_in_use_is_a_one_line_config_error(tiny_gguf: str, server_binary: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(ConfigError, match=rf"port: 127.0.0.1:{port} is in use"):
            _api(tiny_gguf, port=port)


def test_a_missing_binary_names_the_build_script(
    tiny_gguf: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(SERVER_ENV, str(tmp_path / "nope"))
    with pytest.raises(ModelNotAvailableError, match="nope is not an executable file"):
        _api(tiny_gguf)
    monkeypatch.delenv(SERVER_ENV)
    monkeypatch.setenv("SIMULACRA_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ModelNotAvailableError, match=r"build_llama_server\.sh"):
        _api(tiny_gguf)


def test_too_many_slots_is_a_config_error_before_any_process_starts(
    tiny_gguf: str, server_binary: Path
) -> None:
    with pytest.raises(ConfigError, match="n_slots: 256 slots of 1000000 tokens"):
        _api(tiny_gguf, n_slots=256, n_ctx=1_000_000)


def test_a_gguf_the_server_cannot_load_is_one_line(
    tiny_gguf: str, server_binary: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(Path(tiny_gguf).read_bytes()[:4096])  # a header, no tensors
    with pytest.raises(ModelNotAvailableError) as info:
        _api(str(broken))
    assert "broken.gguf" in str(info.value)
    assert "\n" not in str(info.value)


def _config(tmp_path: Path, tiny_gguf: str, options: str) -> Path:
    model = f"model: 'gguf:{tiny_gguf}', engine: server, n_threads: 1, n_ctx: 1024{options}"
    config = tmp_path / "run.yaml"
    config.write_text(
        "name: server-engine\n"
        "seed: 3\n"
        "epochs: 2\n"
        "models:\n"
        f"  user: {{{model}, max_tokens: 24}}\n"
        f"  target: {{{model}, max_tokens: 24}}\n"
        "user: {type: prompted}\n"
        "target: {type: model, system_prompt: 'You are a helpful assistant.'}\n"
        "scenarios:\n  - {id: s, goal: Book a table for two tonight.}\n"
        "stop: {max_turns: 2}\n"
    )
    return config


def test_a_run_on_the_server_engine_completes_and_logs_it(
    tiny_gguf: str, server_binary: Path, tmp_path: Path
) -> None:
    config = _config(tmp_path, tiny_gguf, ", n_slots: 4")
    result = run_cli(["run", str(config), "-o", str(tmp_path / "out")], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (out,) = (tmp_path / "out").iterdir()
    run_json = (out / "run.json").read_text(encoding="utf-8")
    assert '"engine": "server"' in run_json
    lines = (out / "conversations.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    records = [json.loads(line) for line in lines]
    assert all(not r.get("error") for r in records), records


def test_a_bad_port_in_a_run_config_exits_2_and_writes_nothing(
    tiny_gguf: str, server_binary: Path, tmp_path: Path
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        config = _config(tmp_path, tiny_gguf, f", port: {port}")
        result = run_cli(["run", str(config), "-o", str(tmp_path / "out")], cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert f"127.0.0.1:{port} is in use" in lines[0]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
