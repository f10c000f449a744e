"""A tiny chatbot served over HTTP: the system under test of the "test a chatbot over HTTP"
recipe (docs/recipes.md). Standard library only.

It is the help desk of "Cycle Lab", a bicycle shop: it answers from a small FAQ by keyword
overlap and remembers, per session, how often it could not help (then it offers a human).

    python examples/recipes/chatbot_server.py --port 8765
    curl -s localhost:8765/chat -d '{"message": "When are you open?", "session_id": "s1"}'
    -> {"reply": "We are open Tuesday to Saturday, 9:00-18:00; closed Sunday and Monday."}
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAQ = [
    (
        {"open", "opening", "hours", "close", "closed", "today", "saturday", "sunday", "when"},
        "We are open Tuesday to Saturday, 9:00-18:00; closed Sunday and Monday.",
    ),
    (
        {"repair", "fix", "service", "puncture", "flat", "brake", "brakes", "gears", "broken"},
        "A basic service costs 45 EUR, a puncture repair 12 EUR; "
        "most repairs are done in two days.",
    ),
    (
        {"rent", "rental", "hire", "borrow", "day", "week"},
        "City bikes rent for 15 EUR a day or 60 EUR a week; e-bikes 35 EUR a day. Bring an ID.",
    ),
    (
        {"return", "refund", "exchange", "receipt", "money"},
        "You can return unused items within 30 days with the receipt for a full refund.",
    ),
    (
        {
            "price",
            "cost",
            "buy",
            "cheap",
            "expensive",
            "bike",
            "bikes",
            "bicycle",
            "ebike",
            "e-bike",
        },
        "New city bikes start at 399 EUR, e-bikes at 1,490 EUR; used bikes from 150 EUR.",
    ),
    (
        {"where", "address", "located", "find", "location", "parking"},
        "We are at Rua das Flores 12, Lisbon, next to the Cais do Sodre station.",
    ),
]
FALLBACK = (
    "Sorry, I did not understand. I can help with opening hours, repairs, rentals, prices and "
    "returns."
)
HUMAN = "Let me put you through to a colleague: call us on +351 210 000 000."


class Chatbot:
    """The bot: keyword overlap with the FAQ; after two misses in a session, a human."""

    def __init__(self) -> None:
        self.misses: dict[str, int] = {}
        self.lock = threading.Lock()

    def reply(self, message: str, session_id: str) -> str:
        words = set(re.findall(r"[a-z-]+", message.lower()))
        if words & {"thanks", "thank", "bye", "goodbye"} and len(words) < 8:
            return "You're welcome! Have a good ride."
        best = max(FAQ, key=lambda qa: len(words & qa[0]))
        if words & best[0]:
            return best[1]
        with self.lock:
            self.misses[session_id] = self.misses.get(session_id, 0) + 1
            return HUMAN if self.misses[session_id] >= 2 else FALLBACK


def make_server(host: str = "127.0.0.1", port: int = 8765) -> ThreadingHTTPServer:
    """The HTTP server (``POST /chat`` with ``{"message", "session_id"}`` → ``{"reply"}``);
    port 0 picks a free one (``server.server_address[1]``)."""
    bot = Chatbot()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            if self.path != "/chat":
                self._send(404, {"error": "POST /chat"})
                return
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                message, session = str(body["message"]), str(body.get("session_id", ""))
            except (ValueError, KeyError, TypeError):
                self._send(400, {"error": "expected JSON with 'message'"})
                return
            self._send(200, {"reply": bot.reply(message, session)})

        def _send(self, status: int, data: dict[str, str]) -> None:
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    return ThreadingHTTPServer((host, port), Handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    server = make_server(args.host, args.port)
    print(f"Cycle Lab chatbot on http://{args.host}:{server.server_address[1]}/chat", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
