"""A system under test for ``target: {type: callable}`` configs of the play tests."""

from __future__ import annotations

from simulacra.conversation import View


def echo(view: View) -> str:
    """Repeat the last message, so a test can tell which line the system answered."""
    last = view.messages[-1].content if view.messages else "nothing"
    return f"echo: {last}"
