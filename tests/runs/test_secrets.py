"""Secrets planted in every place a config allows stay out of every file and page Simulacra writes
or shows (issue #21 item 4): run directories, the call cache, exports, report.html, the viewer
API and the terminal. Real runs against servers on 127.0.0.1 that check the secrets arrived."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from simulacra.testing import FakeOpenAIServer, FakeResponse
from simulacra.viewer import load_runs
from simulacra.viewer._app import create_app

SECRETS = {
    "url_user_model": "urlpassModelS3cret",
    "url_user_target": "urlpassTargetS3cret",
    "header_env_model": "hdrEnvModelS3cret",
    "header_env_target": "hdrEnvTargetS3cret",
    "inline_header": "inlineHeaderS3cret",
    "api_key_env": "apiKeyEnvS3cret",
    "query_key": "queryKeyS3cret",
}


class _Target:
    """An HTTP chatbot on 127.0.0.1 that records the headers it gets."""

    def __init__(self) -> None:
        self.headers: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_OPTIONS(self) -> None:
                self.send_response(204)
                self.end_headers()

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.headers.append(dict(self.headers))
                raw = json.dumps({"reply": "We have a double room for 90 EUR."}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)


@pytest.fixture
def servers() -> Iterator[tuple[FakeOpenAIServer, _Target]]:
    model = FakeOpenAIServer(lambda req: FakeResponse.completion("I need a double room."))
    target = _Target()
    target.thread.start()
    with model:
        yield model, target
    target.httpd.shutdown()
    target.httpd.server_close()


def _cli(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulacra", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **env},
    )


def _with_userinfo(url: str, user: str, password: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{user}:{password}@{rest}"


def test_planted_secrets_reach_the_servers_and_no_output(
    tmp_path: Path, servers: tuple[FakeOpenAIServer, _Target]
) -> None:
    model_server, target = servers
    env = {
        "SIM_HDR_MODEL": SECRETS["header_env_model"],
        "SIM_HDR_TARGET": SECRETS["header_env_target"],
        "SIM_API_KEY": SECRETS["api_key_env"],
    }
    model_url = _with_userinfo(model_server.base_url, "alice", SECRETS["url_user_model"])
    target_url = (
        f"http://bob:{SECRETS['url_user_target']}@127.0.0.1:{target.port}/chat"
        f"?api_key={SECRETS['query_key']}"
    )
    common = f"""
profiles: [{{kind: persona, id: maya, name: Maya}}]
scenarios: [{{id: s1, goal: book a double room}}]
stop: {{max_turns: 4}}
cache: {{enabled: true, path: "{tmp_path / "calls.sqlite"}", roles: [user, target]}}
"""
    # run 1: URL credentials and headers_env on the user model, every header kind on an HTTP target
    (tmp_path / "http.yaml").write_text(
        f"""
name: http-secrets
models:
  user: {{model: "openai:fake", base_url: "{model_url}", api_key_env: SIM_UNSET_KEY,
          headers_env: {{X-Api-Key: SIM_HDR_MODEL}}}}
target:
  type: http
  url: "{target_url}"
  headers: {{X-Api-Key: "{SECRETS["inline_header"]}", X-Trace: visible}}
  headers_env: {{X-Target-Key: SIM_HDR_TARGET}}
{common}"""
    )
    # run 2: the key from an environment variable, and URL credentials on the target model
    (tmp_path / "model.yaml").write_text(
        f"""
name: model-secrets
models:
  user: {{model: "openai:fake", base_url: "{model_server.base_url}", api_key_env: SIM_API_KEY}}
  target: {{model: "openai:fake", base_url: "{model_url}", api_key_env: SIM_UNSET_KEY}}
target: {{type: model, system_prompt: You are a hotel desk.}}
{common}"""
    )
    outputs: list[str] = []
    for name in ("http", "model"):
        run = _cli(["run", f"{name}.yaml", "-o", "runs"], tmp_path, env)
        assert run.returncode == 0, run.stderr
        outputs += [run.stdout, run.stderr]
    run_dirs = sorted((tmp_path / "runs").iterdir())
    assert len(run_dirs) == 2
    for args in (
        ["show", str(run_dirs[0])],
        ["report", *map(str, run_dirs), "-o", "report.html"],
        ["data", "export", *map(str, run_dirs), "--format", "chat", "-o", "chat.jsonl"],
        ["cache", "stats"],
    ):
        done = _cli(args, tmp_path, env)
        assert done.returncode == 0, (args, done.stderr)
        outputs += [done.stdout, done.stderr]
    # a bad config that echoes the URL: the error line masks it too
    bad = (tmp_path / "http.yaml").read_text().replace('url: "http://bob', 'url: "htp://bob')
    (tmp_path / "bad.yaml").write_text(bad)
    failed = _cli(["run", "bad.yaml", "-o", "runs"], tmp_path, env)
    assert failed.returncode == 2
    outputs += [failed.stdout, failed.stderr]

    # the secrets were really used
    model_auth = "Basic " + base64.b64encode(f"alice:{SECRETS['url_user_model']}".encode()).decode()
    assert any(h.get("Authorization") == model_auth for h in model_server.headers)
    assert any(h.get("X-Api-Key") == SECRETS["header_env_model"] for h in model_server.headers)
    bearer = f"Bearer {SECRETS['api_key_env']}"
    assert any(h.get("Authorization") == bearer for h in model_server.headers)
    assert all(h.get("X-Target-Key") == SECRETS["header_env_target"] for h in target.headers)
    assert all(h.get("X-Api-Key") == SECRETS["inline_header"] for h in target.headers)
    assert target.headers and all(h.get("X-Trace") == "visible" for h in target.headers)

    # the viewer API over both runs
    client = TestClient(create_app(load_runs(run_dirs)), base_url="http://127.0.0.1")
    for i in range(2):
        outputs.append(client.get(f"/api/runs/{i}").text)
        listed = client.get(f"/api/runs/{i}/conversations").json()
        outputs.append(json.dumps(listed))
        assert listed["rows"]
        for c in listed["rows"]:
            outputs.append(client.get(f"/api/runs/{i}/conversations/{c['id']}").text)
    outputs.append(client.get("/api/runs").text)

    files = [p for p in tmp_path.rglob("*") if p.is_file() and not p.name.endswith(".yaml")]
    assert {p.name for p in files} >= {
        "run.json",
        "conversations.jsonl",
        "report.html",
        "chat.jsonl",
        "calls.sqlite",
    }
    blobs = {str(p): p.read_bytes() for p in files}
    blobs.update({f"output {i}": text.encode() for i, text in enumerate(outputs)})
    for where, blob in blobs.items():
        for what, secret in SECRETS.items():
            assert secret.encode() not in blob, f"{what} leaked into {where}"
        assert base64.b64encode(f"alice:{SECRETS['url_user_model']}".encode()) not in blob
    # what is shown instead
    manifest = json.loads((run_dirs[0] / "run.json").read_text())
    assert manifest["config"]["target"]["url"].startswith("http://***@127.0.0.1:")
    assert manifest["config"]["target"]["headers"] == {"X-Api-Key": "***", "X-Trace": "visible"}
    assert manifest["config"]["target"]["headers_env"] == {"X-Target-Key": "SIM_HDR_TARGET"}
    assert manifest["models"]["user"]["base_url"].startswith("http://***@127.0.0.1:")
    assert "***" in failed.stderr and len(failed.stderr.strip().splitlines()) == 1


def test_an_unset_headers_env_variable_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "run.yaml").write_text(
        """
name: x
models: {user: {model: "openai:fake", base_url: "http://127.0.0.1:9/v1",
                headers_env: {X-Api-Key: SIM_SURELY_UNSET_VAR}}}
target: {type: http, url: "http://127.0.0.1:9/chat"}
scenarios: [{id: s1, goal: book a room}]
"""
    )
    env = {k: v for k, v in os.environ.items() if k != "SIM_SURELY_UNSET_VAR"}
    done = subprocess.run(
        [sys.executable, "-m", "simulacra", "run", "run.yaml", "-o", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "simulacra: error: run.yaml: models.user: headers_env.X-Api-Key: environment variable "
        "SIM_SURELY_UNSET_VAR is not set (headers_env takes header values from the environment)"
    )
    assert not (tmp_path / "out").exists()
