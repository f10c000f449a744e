"""A real OpenAI-compatible server (llama.cpp's own, serving the tiny model) on 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from simulacra import ModelTarget, PromptedUser, StopConditions, TerminationReason, run_conversation
from simulacra.models import get_model

pytestmark = pytest.mark.embedded


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(tiny_gguf: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    # The server logs every request: send it to a file, never to an unread pipe (it would block).
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            tiny_gguf,
            "--model_alias",
            "tiny",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            raise RuntimeError("llama_cpp.server did not start in 300 s")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=300)
        log.close()


async def test_conversation_against_real_server(llama_server: str) -> None:
    spec = {"model": "openai:tiny", "base_url": llama_server, "max_tokens": 20, "temperature": 0}
    user = PromptedUser(get_model(spec, role="user"), goal="ask for a cake recipe")
    target = ModelTarget(get_model(spec, role="target"), system_prompt="You are a baker.")
    c = await run_conversation([user, target], stop=StopConditions(max_turns=3))
    assert c.termination in (TerminationReason.MAX_TURNS, TerminationReason.USER_STOP), c.error
    assert c.model_calls and all(call["model"].startswith("openai:tiny@") for call in c.model_calls)
    assert all(call["usage"]["completion_tokens"] > 0 for call in c.model_calls)
    await user.model.aclose()
    await target.model.aclose()
