"""A ``llama-server`` child process managed by Simulacra (the ``server`` engine's lifecycle).

One :class:`ServerProcess` per model file and settings, shared by the adapters that ask for it
(:func:`shared_server` / :func:`release`). It starts on a loopback port and is ready when
``/health`` answers; it is terminated when its last user releases it, at interpreter exit, and,
on Linux, by the kernel when the Python process dies (``PR_SET_PDEATHSIG``), so no orphan survives
Ctrl-C, an exception or ``kill -9``.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Any

from simulacra.errors import ConfigError, ModelNotAvailableError
from simulacra.models._catalogue import cache_dir

__all__ = [
    "BUILD_COMMAND",
    "DRAFT_MAX",
    "SERVER_ENV",
    "ServerProcess",
    "find_server_binary",
    "release",
    "restart",
    "shared_server",
]

#: Environment variable naming a ``llama-server`` binary to use instead of the built one.
SERVER_ENV = "SIMULACRA_LLAMA_SERVER"
#: How to build the binary.
BUILD_COMMAND = "scripts/build_llama_server.sh"
#: Seconds a server may take to load its model(s) before the start counts as hung.
STARTUP_TIMEOUT = 600.0
#: Draft tokens per speculative step (llama.cpp's default).
DRAFT_MAX = 3

_PR_SET_PDEATHSIG = 1


def find_server_binary() -> Path:
    """``$SIMULACRA_LLAMA_SERVER``, else the binary ``scripts/build_llama_server.sh`` built into
    the cache directory, else ``llama-server`` on ``PATH``.

    Raises:
        ModelNotAvailableError: None of them exists.
    """
    env = os.environ.get(SERVER_ENV, "").strip()
    if env:
        path = Path(env).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise ModelNotAvailableError(f"{SERVER_ENV}: {path} is not an executable file")
        return path
    built = cache_dir() / "bin" / "llama-server"
    if built.is_file() and os.access(built, os.X_OK):
        return built
    found = shutil.which("llama-server")
    if found:
        return Path(found)
    raise ModelNotAvailableError(
        f"engine 'server': llama-server not found in {built.parent} or on PATH; build it with "
        f"{BUILD_COMMAND} (or set {SERVER_ENV})"
    )


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


# PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, not the process: every
# server is started from this one long-lived thread, so it dies only with the process.
_SPAWNER = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="simulacra-llama-spawn")


def _spawn(args: list[str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )

    return _SPAWNER.submit(start).result()


def _last_line(log: Path) -> str:
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    for line in reversed(lines):
        text = line.strip()
        if text and ("error" in text.lower() or "failed" in text.lower()):
            return text[:300]
    return lines[-1].strip()[:300] if lines else ""


class ServerProcess:
    """One ``llama-server`` child process on 127.0.0.1.

    Args:
        binary: The ``llama-server`` executable.
        model: GGUF file.
        n_ctx: Context of each slot, in tokens.
        n_slots: Slots (parallel sequences).
        n_threads: CPU threads.
        draft: GGUF of a draft model for speculative decoding (same tokenizer), or ``None``.
        draft_max: Most tokens drafted per step.
        port: Port to listen on (``None``: a free one).
        startup_timeout: Seconds to wait for ``/health`` (hang guard).
    """

    def __init__(
        self,
        binary: Path,
        model: Path,
        *,
        n_ctx: int,
        n_slots: int,
        n_threads: int,
        draft: Path | None = None,
        draft_max: int = DRAFT_MAX,
        port: int | None = None,
        startup_timeout: float = STARTUP_TIMEOUT,
    ) -> None:
        self.binary = binary
        self.model = model
        self.n_ctx = n_ctx
        self.n_slots = n_slots
        self.n_threads = n_threads
        self.draft = draft
        self.draft_max = draft_max
        self.requested_port = port
        self.users = 0
        if port is not None and not _port_free(port):
            raise ConfigError(
                f"port: 127.0.0.1:{port} is in use; choose another port or leave 'port' unset"
            )
        self.port = port or _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        fd, log_name = tempfile.mkstemp(prefix="simulacra-llama-server-", suffix=".log")
        os.close(fd)
        self.log_path = Path(log_name)
        self._log: IO[bytes] | None = self.log_path.open("wb")
        args = [
            str(binary),
            "--model", str(model),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--ctx-size", str(n_ctx * n_slots),
            "--parallel", str(n_slots),
            "--no-kv-unified",
            "--threads", str(n_threads),
            "--threads-batch", str(n_threads),
            "--no-webui",
            "--cache-ram", "0",
        ]  # fmt: skip
        if draft is not None:
            args += [
                "--model-draft", str(draft),
                "--spec-type", "draft-simple",
                "--spec-draft-n-max", str(draft_max),
                "--spec-draft-n-min", "0",
                "--threads-draft", str(n_threads),
            ]  # fmt: skip
        self.args = args
        self.proc = _spawn(args, self._log)
        _LIVE.add(self)
        try:
            self._wait_healthy(startup_timeout)
        except BaseException:
            self.close()
            raise

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def died(self, grace: float = 5.0) -> bool:
        """Whether the server has exited, waiting up to ``grace`` seconds (a connection reset
        arrives before the kernel reports the process gone)."""
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            return False
        return True

    def exit_message(self) -> str:
        """Why the server is not running, in one line."""
        code = self.proc.poll()
        last = _last_line(self.log_path)
        status = "is not running" if code is None else f"exited with status {code}"
        return f"llama-server {status}" + (f": {last}" if last else "")

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        delay = 0.05
        while True:
            if not self.alive:
                raise ModelNotAvailableError(f"{self.model}: {self.exit_message()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/health", timeout=5) as resp:
                    if resp.status == 200:
                        return
            except urllib.error.HTTPError as exc:
                if exc.code != 503:  # 503: still loading
                    raise ModelNotAvailableError(
                        f"{self.model}: llama-server health check answered HTTP {exc.code}"
                    ) from exc
            except (urllib.error.URLError, OSError):
                pass  # not listening yet
            if time.monotonic() > deadline:
                raise ModelNotAvailableError(
                    f"{self.model}: llama-server did not become healthy in {timeout:.0f} s"
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)

    def props(self) -> dict[str, Any]:
        """The server's ``/props`` (chat template, special tokens, slots)."""
        with urllib.request.urlopen(f"{self.base_url}/props", timeout=30) as resp:
            data: dict[str, Any] = json.load(resp)
        return data

    def close(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after 10 s) and remove its log."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        _LIVE.discard(self)
        with contextlib.suppress(OSError):
            self.log_path.unlink()


_LIVE: set[ServerProcess] = set()


@atexit.register
def _close_all() -> None:
    for server in list(_LIVE):
        with contextlib.suppress(Exception):
            server.close()


_LOCK = threading.Lock()
_Key = tuple[str, int, int, int, str, int, int | None]
_SERVERS: dict[_Key, ServerProcess] = {}


#: Restarts after a crash allowed per model and settings in one process (a crash loop stops).
MAX_RESTARTS = 3
_RESTARTS: dict[_Key, int] = {}


def restart(key: _Key, dead: ServerProcess) -> ServerProcess | None:
    """Move one user of a server that exited to a fresh one (started by the first user to ask);
    ``None`` once :data:`MAX_RESTARTS` fresh servers were started for these settings."""
    with _LOCK:
        current = _SERVERS.get(key)
        if current is not None and current is not dead and current.alive:
            fresh = current
        else:
            if _RESTARTS.get(key, 0) >= MAX_RESTARTS:
                return None
            _RESTARTS[key] = _RESTARTS.get(key, 0) + 1
            fresh = ServerProcess(
                dead.binary,
                dead.model,
                n_ctx=dead.n_ctx,
                n_slots=dead.n_slots,
                n_threads=dead.n_threads,
                draft=dead.draft,
                draft_max=dead.draft_max,
                port=dead.requested_port,
            )
            _SERVERS[key] = fresh
        fresh.users += 1
        dead.users -= 1
    if dead.users <= 0:
        dead.close()
    return fresh


def shared_server(
    model: Path,
    *,
    n_ctx: int,
    n_slots: int,
    n_threads: int,
    draft: Path | None,
    port: int | None,
    draft_max: int = DRAFT_MAX,
) -> tuple[ServerProcess, _Key]:
    """The server of these settings (started on first use); release it with :func:`release`."""
    key: _Key = (str(model.resolve()), n_ctx, n_slots, n_threads, str(draft or ""), draft_max, port)
    with _LOCK:
        server = _SERVERS.get(key)
        if server is None or not server.alive:
            if server is not None:
                server.close()
            server = ServerProcess(
                find_server_binary(),
                model,
                n_ctx=n_ctx,
                n_slots=n_slots,
                n_threads=n_threads,
                draft=draft,
                draft_max=draft_max,
                port=port,
            )
            _SERVERS[key] = server
        server.users += 1
        return server, key


def release(key: _Key, server: ServerProcess) -> None:
    """Drop one user of a shared server; the last one terminates it. A server that was
    replaced after a crash (:func:`restart`) is only reaped."""
    with _LOCK:
        if _SERVERS.get(key) is not server:
            server.users -= 1
            if server.users <= 0:
                server.close()
            return
        server.users -= 1
        if server.users > 0:
            return
        del _SERVERS[key]
    server.close()
