"""Generator–verifier simulated user (DuetSim-style, survey §5.1 and Appendix D.1)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from simulacra.conversation import ModelCallRef, ParticipantInfo, ParticipantKind, View
from simulacra.memory import Hit
from simulacra.models import ChatMessage, GenerateConfig, Model
from simulacra.participants._protocol import Reply, call_ref
from simulacra.participants._simulated_user import STOP_SENTINEL, clean_utterance
from simulacra.profiles import GeneralUser, Profile
from simulacra.prompts import get_template, render_profile

__all__ = ["GeneratorVerifierUser", "parse_json_lenient"]

_PROPOSE_SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {
        "reasoning": {"type": "string"},
        "acts": {"type": "array", "items": {"type": "string"}},
        "done": {"type": "boolean"},
    },
    "required": ["reasoning", "acts", "done"],
}
_VERIFY_SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {
        "reasoning": {"type": "string"},
        "accept": {"type": "boolean"},
        "problem": {"type": "string"},
        "message": {"type": "string"},
    },
    "required": ["reasoning", "accept", "problem", "message"],
}


def parse_json_lenient(text: str) -> dict[str, object]:
    """A JSON object from model output; for a truncated object, the string, boolean and list
    fields that are complete (small models hit ``max_tokens`` mid-object)."""
    try:
        value = json.loads(text)
        if isinstance(value, dict):
            return value
    except ValueError:
        pass
    out: dict[str, object] = {}
    for key, raw in re.findall(r'"(\w+)"\s*:\s*"((?:[^"\\]|\\.)*)"?', text):
        out.setdefault(key, raw.replace('\\"', '"'))
    for key, raw in re.findall(r'"(\w+)"\s*:\s*(true|false)', text):
        out.setdefault(key, raw == "true")
    for key, raw in re.findall(r'"(\w+)"\s*:\s*\[([^\]]*)\]?', text):
        out.setdefault(key, re.findall(r'"((?:[^"\\]|\\.)*)"', raw))
    return out


class GeneratorVerifierUser:
    """A simulated user that plans, checks, then speaks.

    Each turn, a generator call proposes the next user dialogue acts with its reasoning (JSON:
    ``reasoning``, ``acts``, ``done``); a verifier call checks them against the goal and profile
    and, when it accepts, verbalises them (JSON: ``reasoning``, ``accept``, ``problem``,
    ``message``). A rejected proposal is regenerated with the verifier's objection shown, up to
    ``max_rejections`` times; after that the last verbalisation (or the acts themselves) is
    used and ``verifier.exhausted`` is set. Both calls' reasoning go to ``Reply.reasoning``;
    on the turn: ``verifier.proposals``, ``verifier.rejections``, ``verifier.reasons`` and
    ``verifier.acts``.

    Args:
        model: The generator (and, by default, verifier) model.
        goal: What the user wants (private).
        profile: Who the user is.
        id: Participant id.
        verifier_model: A separate model for the verifier (default: ``model``).
        max_rejections: How many proposals may be rejected per turn.
        instructions: Extra scenario instructions.
        stop_sentinel: Also ends the conversation when it appears in the message.
        config: Per-call generation options.
    """

    def __init__(
        self,
        model: Model,
        *,
        goal: str,
        profile: Profile | None = None,
        id: str = "user",
        verifier_model: Model | None = None,
        max_rejections: int = 2,
        instructions: str | None = None,
        stop_sentinel: str = STOP_SENTINEL,
        config: GenerateConfig | None = None,
    ) -> None:
        if max_rejections < 0:
            raise ValueError(f"max_rejections must be >= 0, got {max_rejections}")
        self.model = model
        self.verifier_model = verifier_model or model
        self.goal = goal
        self.profile: Profile = profile or GeneralUser()
        self.max_rejections = max_rejections
        self.instructions = instructions
        self.stop_sentinel = stop_sentinel
        self.config = config
        self.info = ParticipantInfo(
            id=id,
            name=self.profile.name,
            kind=ParticipantKind.SIMULATED_HUMAN,
            profile=self.profile,
        )
        self._profile_text, self._profile_ref = render_profile(self.profile)

    def _call(self, schema: dict[str, object]) -> GenerateConfig:
        return GenerateConfig(json_schema=schema).merged(self.config)

    async def respond(self, view: View, *, memories: Sequence[Hit] | None = None) -> Reply:
        """Propose, verify (and regenerate), verbalise."""
        name = self.info.name
        transcript = view.transcript(self_label="You")
        propose_t, verify_t = get_template("user/gv_propose"), get_template("user/gv_verify")
        refs = [self._profile_ref, propose_t.ref, verify_t.ref]
        calls: list[ModelCallRef] = []
        feedback: list[str] = []
        log: list[str] = []
        message, acts, done = "", "", False
        accepted = False
        proposals = 0
        for attempt in range(self.max_rejections + 1):
            prompt = propose_t.render(
                name=name,
                profile=self._profile_text,
                goal=self.goal,
                instructions=self.instructions,
                transcript=transcript,
                memories=[h.text for h in memories or ()],
                feedback=feedback,
            )
            out = await self.model.generate(
                [ChatMessage(role="user", content=prompt)],
                config=self._call(_PROPOSE_SCHEMA),
                templates=refs,
            )
            calls.append(call_ref(self.model, out))
            proposals += 1
            plan = parse_json_lenient(out.text)
            raw_acts = plan.get("acts")
            acts = (
                ", ".join(str(a) for a in raw_acts)
                if isinstance(raw_acts, list)
                else str(raw_acts or out.text.strip())
            )
            done = plan.get("done") is True
            log.append(f"proposal {attempt + 1}: {plan.get('reasoning', '')} -> {acts}")
            check = verify_t.render(
                name=name,
                profile=self._profile_text,
                goal=self.goal,
                transcript=transcript,
                acts=acts or "(none)",
                reasoning=str(plan.get("reasoning", "")),
            )
            verdict_out = await self.verifier_model.generate(
                [ChatMessage(role="user", content=check)],
                config=self._call(_VERIFY_SCHEMA),
                templates=refs,
            )
            calls.append(call_ref(self.verifier_model, verdict_out))
            verdict = parse_json_lenient(verdict_out.text)
            message = str(verdict.get("message", "")).strip() or message
            # An unreadable verdict is not a rejection: small models may not finish the JSON.
            accepted = verdict.get("accept") is not False
            problem = str(verdict.get("problem", "")).strip() or "no reason given"
            log.append(
                f"verifier {attempt + 1}: {verdict.get('reasoning', '')} -> "
                + ("accept" if accepted else f"reject ({problem})")
            )
            if accepted:
                break
            feedback.append(f"{acts}: {problem}")
        if not message:
            message = acts
        stop = done and accepted
        if self.stop_sentinel in message:
            stop = True
            message = message.replace(self.stop_sentinel, "")
        text = clean_utterance(message, name=name, other_names=[p.name for p in view.others])
        metadata: dict[str, str | int | float | bool | None] = {
            "verifier.proposals": proposals,
            "verifier.rejections": len(feedback),
            "verifier.reasons": " | ".join(feedback),
            "verifier.acts": acts,
        }
        if not accepted:
            metadata["verifier.exhausted"] = True
        if memories is not None:
            metadata["memory_ids"] = ",".join(h.id for h in memories)
        return Reply(
            utterance=text,
            reasoning="\n".join(log),
            stop=stop,
            model_calls=calls,
            metadata=metadata,
        )
