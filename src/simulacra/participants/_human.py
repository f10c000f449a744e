"""A real person in a seat of a conversation (survey §6, human evaluation).

:class:`HumanParticipant` fits the one participant protocol: on its turn it prints what the others
said since its last turn and reads one line from a text stream (stdin by default). A person can
therefore play the user against a system under test, play the system against a simulated user,
or join a group chat, with the same loop that runs simulations — and the record says which seat
was human (``kind: human``, ``human: true`` on each of their turns).

Commands typed instead of a message:

- ``/quit`` ends the conversation (a stop signal: the loop records the person as ``ended_by``);
- ``/skip`` passes this turn (no turn is recorded; the loop asks the next participant);
- ``/help`` shows the commands; a line starting with ``//`` sends the rest with one ``/``.

End of input (Ctrl-D, or a scripted stdin that runs out) counts as ``/quit``.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from typing import Any, TextIO

from simulacra.conversation import ParticipantInfo, ParticipantKind, View
from simulacra.participants._protocol import Reply

__all__ = ["HUMAN_COMMANDS", "HumanParticipant", "QueuedHumanParticipant"]

HUMAN_COMMANDS = {
    "/quit": "end the conversation",
    "/skip": "pass this turn (someone else speaks)",
    "/help": "show these commands",
}


def _deliver(future: asyncio.Future[str], line: str) -> None:
    if not future.done():  # the conversation may have ended (timeout) while the person typed
        future.set_result(line)


class HumanParticipant:
    """A person who reads the conversation and types their turns.

    Args:
        id: Participant id (use the id of the seat taken, so the others' prompts stay the same).
        name: Display name shown to the others.
        brief: What the person is told before the first turn (their role, goal, situation).
        input: Where lines are read from (default: ``sys.stdin`` at the time of the turn).
        output: Where the conversation is shown (default: ``sys.stdout``).
        prompt: The prompt printed before reading a line.

    Attributes:
        commands: The commands typed, in order (``quit``, ``skip``, ``eof``), for the record.
    """

    def __init__(
        self,
        *,
        id: str = "human",
        name: str = "You",
        brief: str | None = None,
        input: TextIO | None = None,
        output: TextIO | None = None,
        prompt: str = "> ",
    ) -> None:
        self.info = ParticipantInfo(id=id, name=name, kind=ParticipantKind.HUMAN)
        self.brief = brief
        self._input = input
        self._output = output
        self.prompt = prompt
        self.commands: list[str] = []
        self._shown = 0
        self._greeted = False

    @property
    def output(self) -> TextIO:
        """The stream the conversation is shown on."""
        return self._output if self._output is not None else sys.stdout

    def _say(self, text: str) -> None:
        self.output.write(text + "\n")
        self.output.flush()

    def _show(self, view: View) -> None:
        if not self._greeted:
            self._greeted = True
            others = ", ".join(f"{o.name}" for o in view.others) or "nobody"
            self._say(f"You are {self.info.name}, talking with {others}.")
            if self.brief:
                self._say(self.brief.strip())
            self._say("Type your message and press Enter; /help for commands.")
            self._say("")
        for message in view.messages[self._shown :]:
            if message.role == "user":  # the others' turns; own turns were typed here
                self._heard(message.name, message.content)
        self._shown = len(view.messages)

    def _heard(self, name: str, text: str) -> None:
        """Show one message of another participant."""
        self._say(f"{name}: {text}")

    async def _read_line(self) -> str:
        """One line from the input, read on a daemon thread: the event loop keeps running (the
        other participants' timers, signals), and a conversation that ends while the person is
        still typing never blocks the program's exit."""
        self.output.write(self.prompt)
        self.output.flush()
        stream = self._input if self._input is not None else sys.stdin
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()

        def read() -> None:
            try:
                line = stream.readline()
            except (OSError, ValueError):  # closed stream
                line = ""
            loop.call_soon_threadsafe(_deliver, future, line)

        threading.Thread(target=read, name="simulacra-human-input", daemon=True).start()
        return await future

    async def respond(self, view: View) -> Reply:
        """Show what is new, then read the person's turn (or command)."""
        self._show(view)
        while True:
            line = await self._read_line()
            if line == "":  # end of input
                self._say("")
                self.commands.append("eof")
                return Reply(utterance="", stop=True, metadata={"human": True, "command": "eof"})
            text = line.rstrip("\r\n").strip()
            if not text:
                continue
            if text.startswith("//"):
                text = text[1:]
            elif text.startswith("/"):
                command = text.split()[0].lower()
                if command == "/quit":
                    self.commands.append("quit")
                    return Reply(
                        utterance="", stop=True, metadata={"human": True, "command": "quit"}
                    )
                if command == "/skip":
                    self.commands.append("skip")
                    return Reply(
                        utterance="", skip=True, metadata={"human": True, "command": "skip"}
                    )
                if command != "/help":
                    self._say(f"unknown command {command}")
                for name, what in HUMAN_COMMANDS.items():
                    self._say(f"  {name:6} {what}")
                self._say("  //text  send a message that starts with /")
                continue
            return Reply(utterance=text, metadata={"human": True})


class QueuedHumanParticipant(HumanParticipant):
    """A person whose lines arrive on an asyncio queue instead of a text stream: the browser page
    of ``simulacra play --web`` puts each line the person sends with :meth:`send`.

    Commands (``/quit``, ``/skip``, ``/help``, ``//``) work as in the terminal. What the terminal
    would print is kept in :attr:`log` instead, one JSON-ready entry per message or note, for the
    page to render; :attr:`waiting` says whether it is the person's turn.

    Attributes:
        log: ``{"kind": "note", "text"}`` (greeting, brief, help) and ``{"kind": "message",
            "speaker", "text", "own"}`` (a turn, the person's own with ``own: true``), in order.
        waiting: True while the person's turn waits for a line.
    """

    def __init__(self, *, id: str = "human", name: str = "You", brief: str | None = None) -> None:
        super().__init__(id=id, name=name, brief=brief)
        self.log: list[dict[str, Any]] = []
        self.waiting = False
        self._lines: asyncio.Queue[str] = asyncio.Queue()

    def send(self, text: str) -> None:
        """Queue one line the person typed (read on their next turn, like type-ahead on stdin)."""
        self._lines.put_nowait(text + "\n")

    def close(self) -> None:
        """End of input: the person's next turn ends the conversation (as Ctrl-D does)."""
        self._lines.put_nowait("")

    def _say(self, text: str) -> None:
        if text:
            self.log.append({"kind": "note", "text": text})

    def _heard(self, name: str, text: str) -> None:
        self.log.append({"kind": "message", "speaker": name, "text": text, "own": False})

    async def _read_line(self) -> str:
        self.waiting = True
        try:
            return await self._lines.get()
        finally:
            self.waiting = False

    async def respond(self, view: View) -> Reply:
        """As :meth:`HumanParticipant.respond`, logging the person's own turn."""
        reply = await super().respond(view)
        if reply.utterance:
            self.log.append(
                {"kind": "message", "speaker": self.info.name, "text": reply.utterance, "own": True}
            )
        return reply
