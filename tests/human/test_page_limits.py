"""Local web pages under load (issue #21 item 8): a huge body is refused while it streams in,
deeply nested JSON is a 400 (never a 500), and a FIFO in a run directory cannot hang the viewer.
Against the real annotation server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path
from urllib.parse import urlparse

import httpx

from simulacra.evaluation import load_rubric
from simulacra.evaluation._annotation import likert_study, read_study
from simulacra.viewer import load_runs
from simulacra.viewer._annotate_app import create_annotation_app, start_annotation
from simulacra.viewer._local_app import MAX_BODY_BYTES, MAX_JSON_DEPTH

HANG_GUARD_S = 300


def _raw_post(url: str, head: dict[str, str], chunks: list[bytes]) -> str:
    """POST over a raw socket, sending ``chunks`` until the server answers or closes; returns the
    status line (the server may answer before the body is sent)."""
    parsed = urlparse(url)
    with socket.create_connection((parsed.hostname, parsed.port), timeout=HANG_GUARD_S) as sock:
        lines = [f"POST {parsed.path} HTTP/1.1", f"Host: 127.0.0.1:{parsed.port}"]
        lines += [f"{k}: {v}" for k, v in head.items()]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        try:
            for chunk in chunks:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused mid-body: what we want
        answer = b""
        try:
            while b"\r\n" not in answer:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
        except ConnectionResetError:
            pass
    return answer.split(b"\r\n", 1)[0].decode()


def test_bodies_are_limited_while_streaming_and_nesting_is_bounded(
    two_runs: tuple[Path, Path], tmp_path: Path
) -> None:
    tasks, ratings = tmp_path / "tasks.jsonl", tmp_path / "ratings.jsonl"
    likert_study(two_runs, load_rubric("satisfaction"), seed=0).write(tasks, tmp_path / "k.jsonl")
    server = start_annotation(create_annotation_app(read_study(tasks), ratings, "ann"))
    url = server.url + "api/ratings"
    try:
        json_head = {"Content-Type": "application/json"}
        # 300 MB announced, 1 KB sent: the answer comes without the rest being read
        declared = _raw_post(url, {**json_head, "Content-Length": str(300_000_000)}, [b"[" * 1024])
        assert declared.startswith("HTTP/1.1 413"), declared
        # chunked, no length: cut off once past the limit
        piece = b"[" * 65_536
        chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        n = MAX_BODY_BYTES // len(piece) + 40
        streamed = _raw_post(url, {**json_head, "Transfer-Encoding": "chunked"}, [chunk] * n)
        assert streamed.startswith("HTTP/1.1 413"), streamed
        # nesting past the interpreter's recursion limit, and past the page's own bound
        for depth in (200_000, MAX_JSON_DEPTH + 1):
            body = "[" * depth + "]" * depth
            response = httpx.post(url, content=body, headers=json_head, timeout=HANG_GUARD_S)
            assert response.status_code == 400, response.text
            assert "nested more than" in response.json()["error"]
        ok_depth = json.dumps({"task_id": "t", "values": {"x": [[1]]}})
        assert httpx.post(url, content=ok_depth, headers=json_head).status_code == 400  # bad id
        assert not ratings.exists()
        tid = next(iter(read_study(tasks).tasks))
        good = httpx.post(url, json={"task_id": tid, "values": {"satisfaction": 3}})
        assert good.status_code == 200, good.text
    finally:
        server.stop()


def test_a_fifo_in_a_run_directory_does_not_hang_the_viewer(two_runs: tuple[Path, Path]) -> None:
    run_dir = two_runs[0]
    os.mkfifo(run_dir / "report.json")
    loaded: list[object] = []
    thread = threading.Thread(target=lambda: loaded.extend(load_runs([run_dir])), daemon=True)
    thread.start()
    thread.join(HANG_GUARD_S)
    assert not thread.is_alive(), "the viewer blocked on the FIFO"
    [run] = loaded
    assert "report.json: not a regular file, skipped" in run.notes  # type: ignore[attr-defined]
