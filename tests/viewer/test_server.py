"""The viewer really serving on 127.0.0.1: raw HTTP requests (paths sent exactly as written, no
client-side normalisation) and the ``simulacra view`` command in a subprocess."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulacra.errors import ConfigError
from simulacra.viewer import load_runs
from simulacra.viewer._server import RunningViewer, bind, is_loopback, start_viewer
from tests.viewer._golden import Golden


@pytest.fixture(scope="module")
def server(golden: Golden) -> Iterator[RunningViewer]:
    viewer = start_viewer(load_runs([golden.a, golden.b]))
    yield viewer
    viewer.stop()


def _raw_get(url: str, path: str, host: str | None = None) -> tuple[int, bytes]:
    """GET with the request line written by hand, so ``..`` and ``%2e`` reach the server."""
    addr = url.split("//", 1)[1].rstrip("/")
    ip, port = addr.rsplit(":", 1)
    with socket.create_connection((ip, int(port)), timeout=300) as s:
        s.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host or addr}\r\nConnection: close\r\n\r\n".encode()
        )
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data


def test_binds_loopback_on_a_free_port(server: RunningViewer) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    assert not server.url.endswith(":0/")
    with urllib.request.urlopen(server.url + "api/runs", timeout=300) as r:
        assert [x["name"] for x in json.load(r)] == ["hotel-a", "hotel-b"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/runs/../../etc/passwd",
        "/../../../../etc/passwd",
        "/static/../../../../etc/passwd",
        "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/static/..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/api/runs/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/api/runs/0/conversations/..%2f..%2f..%2frun.json",
        "/api/runs/0/plots/%2e%2e%2frun.json.svg",
    ],
)
def test_traversal_over_the_wire_is_404(server: RunningViewer, path: str) -> None:
    status, data = _raw_get(server.url, path)
    assert status == 404, (path, data[:200])
    assert b"root:" not in data and b"schema_version" not in data


def test_dns_rebinding_host_is_refused(server: RunningViewer) -> None:
    status, _ = _raw_get(server.url, "/api/runs", host="attacker.example")
    assert status == 400


def test_bind_errors_are_config_errors() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        with pytest.raises(ConfigError, match="cannot listen"):
            bind("127.0.0.1", s.getsockname()[1])
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0")


def test_view_command_serves_until_stopped(golden: Golden) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulacra", "view", str(golden.a), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline(), proc.stdout.readline()]
        assert lines[0].startswith("1 run(s), 4 conversations"), lines
        url = lines[1].split("viewer: ", 1)[1].split()[0]
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "api/runs/0", timeout=300) as r:
            assert json.load(r)["conversations"] == 4
    finally:
        proc.terminate()
        proc.wait(timeout=300)


def test_view_command_rejects_a_non_run(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "simulacra", "view", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 2
    assert "not a run directory" in done.stderr
