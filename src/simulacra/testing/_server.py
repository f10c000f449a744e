"""A small OpenAI-compatible HTTP server for tests: real sockets on 127.0.0.1, scripted answers."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakeOpenAIServer", "FakeResponse"]


class FakeResponse:
    """One scripted answer: a status, a body (dict → JSON, str/bytes → raw) and headers."""

    def __init__(
        self, status: int = 200, body: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        self.status = status
        self.body = body
        self.headers = headers or {}

    @staticmethod
    def completion(
        text: str, *, prompt_tokens: int = 10, completion_tokens: int = 5
    ) -> FakeResponse:
        """A well-formed chat completion."""
        return FakeResponse(200, completion_body(text, prompt_tokens, completion_tokens))


def completion_body(text: str, prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    """The JSON body of a chat completion."""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


Responder = Callable[[dict[str, Any]], FakeResponse]


class FakeOpenAIServer:
    """``POST /v1/chat/completions`` answered by ``responder(request_json)``; ``GET /v1/models``
    lists one model. Records every request. Use as a context manager.

    Example:
        >>> answer = lambda req: FakeResponse.completion("hi")
        >>> with FakeOpenAIServer(answer) as srv:  # doctest: +SKIP
        ...     srv.base_url  # 'http://127.0.0.1:PORT/v1'
    """

    def __init__(self, responder: Responder) -> None:
        self.responder = responder
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, response: FakeResponse) -> None:
                body = response.body
                if isinstance(body, dict | list):
                    raw = json.dumps(body).encode()
                elif isinstance(body, str):
                    raw = body.encode()
                else:
                    raw = body or b""
                self.send_response(response.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in response.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                self._send(FakeResponse(200, {"object": "list", "data": [{"id": "fake"}]}))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                data = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append(data)
                server.headers.append(dict(self.headers))
                self._send(server.responder(data))

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
