"""``task_roleplay``: CAMEL-style cooperative role-play from a seed task (survey §4.3, C.3).

A task specifier turns the seed task (the scenario's ``goal``) into a specific task; then an
instructing agent (the "AI user") gives one instruction per turn and an executing agent (the "AI
assistant") answers each with a solution, both under inception prompts that keep them in their
roles. It ends when the instructor says the done token (``user_stop``, ``ended_by`` the
instructor), after ``stop.max_turns`` turns, or when the conversation stalls.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from simulacra.conversation import Conversation, Turn
from simulacra.models import ChatMessage, GenerateConfig, record_calls
from simulacra.orchestration import StopConditions, run_conversation
from simulacra.paradigms._agents import (
    ModelAgent,
    error_conversation,
    merge_calls,
    one_line,
    slug,
)
from simulacra.paradigms._registry import ParadigmContext, ParadigmOptions, register_paradigm
from simulacra.prompts import get_template

__all__ = ["TaskRoleplayOptions"]


class TaskRoleplayOptions(ParadigmOptions):
    """Options of ``task_roleplay`` (its ``paradigm:`` section).

    Attributes:
        instructor_role: Role name of the instructing agent (CAMEL's "AI user").
        executor_role: Role name of the executing agent (CAMEL's "AI assistant").
        instructor_model: Model role that plays the instructor.
        executor_model: Model role that plays the executor.
        specify_task: Run the task specifier before the role-play.
        specifier_model: Model role of the task specifier (default: the instructor's).
        word_limit: The specified task's length, in words.
        done_token: What the instructor says when the task is done.
        stall_window: End as ``stalled`` once the last this-many turns repeat earlier ones
            (the run's ``stop.stall_window`` wins when set; ``null``: never).
    """

    instructor_role: str = Field(default="Instructor", min_length=1)
    executor_role: str = Field(default="Assistant", min_length=1)
    instructor_model: str = "user"
    executor_model: str = "target"
    specify_task: bool = True
    specifier_model: str | None = None
    word_limit: int = Field(default=50, ge=5, le=500)
    done_token: str = Field(default="<CAMEL_TASK_DONE>", min_length=3)
    stall_window: int | None = Field(default=4, ge=2)

    @model_validator(mode="after")
    def _distinct_roles(self) -> TaskRoleplayOptions:
        if slug(self.instructor_role) == slug(self.executor_role):
            raise ValueError(
                f"executor_role: must differ from instructor_role (both are {self.executor_role!r})"
            )
        return self

    def model_roles(self) -> list[str]:
        """The instructor's and executor's model roles (and the specifier's, when it differs)."""
        roles = [self.instructor_model, self.executor_model]
        if self.specify_task and self.specifier_model:
            roles.append(self.specifier_model)
        return list(dict.fromkeys(roles))


async def _specify(
    options: TaskRoleplayOptions, ctx: ParadigmContext
) -> tuple[str, dict[str, object]]:
    template = get_template("ai_ai/task_specifier")
    model = ctx.models[options.specifier_model or options.instructor_model]
    prompt = template.render(
        task=ctx.goal,
        instructor_role=options.instructor_role,
        executor_role=options.executor_role,
        word_limit=options.word_limit,
    )
    output = await model.generate(
        [ChatMessage(role="user", content=prompt)],
        config=GenerateConfig(seed=ctx.seed),
        templates=[template.ref],
    )
    text = " ".join(output.text.split())
    words = text.split()
    if len(words) > options.word_limit * 2:  # a rambling model: keep it bounded
        text = " ".join(words[: options.word_limit * 2])
    event: dict[str, object] = {
        "type": "task_specified",
        "turn": 0,
        "task": ctx.goal,
        "specified_task": text or ctx.goal,
        "call_id": output.call_id,
        "template": template.ref,
    }
    if not text:
        event["fallback"] = "the specifier returned nothing: the seed task is used"
    return text or ctx.goal, event


@register_paradigm("task_roleplay", options=TaskRoleplayOptions)
async def task_roleplay(options: TaskRoleplayOptions, ctx: ParadigmContext) -> Conversation:
    """Run one CAMEL-style role-play: specify the task, then instruct and execute in turns."""
    events: list[dict[str, object]] = []
    error: Exception | None
    task, error = ctx.goal, None  # errors inside a conversation are data
    with record_calls() as log:
        if options.specify_task:
            try:
                task, event = await _specify(options, ctx)
                events.append(event)
            except Exception as exc:
                error = exc
    common = {
        "instructor_role": options.instructor_role,
        "executor_role": options.executor_role,
        "task": task,
        "instructions": ctx.instructions,
        "done_token": options.done_token,
    }
    config = GenerateConfig(seed=ctx.seed)
    inst_tpl = get_template("ai_ai/task_instructor")
    exec_tpl = get_template("ai_ai/task_executor")
    instructor = ModelAgent(
        ctx.models[options.instructor_model],
        id="instructor",
        name=options.instructor_role,
        system=inst_tpl.render(**common),
        templates=[inst_tpl.ref],
        kickoff="ai_ai/task_kickoff",
        done_token=options.done_token,
        config=config,
    )
    executor = ModelAgent(
        ctx.models[options.executor_model],
        id="executor",
        name=options.executor_role,
        system=exec_tpl.render(**common),
        templates=[exec_tpl.ref],
        config=config,
    )
    metadata: dict[str, str | int | float | bool | None] = {
        **ctx.metadata,
        "task": ctx.goal,
        "specified_task": task if options.specify_task else None,
        "instructor_role": options.instructor_role,
        "executor_role": options.executor_role,
    }
    if error is not None:
        conversation = error_conversation(
            [instructor.info, executor.info],
            conversation_id=ctx.conversation_id,
            scenario_id=ctx.scenario_id,
            who="task_specifier",
            error=error,
            metadata=metadata,
        )
        conversation.events.append({"type": "task_specifier_error", "error": one_line(error)})
        merge_calls(conversation, log)
        return conversation
    stop = ctx.stop
    stall = stop.stall_window or options.stall_window
    conversation = await run_conversation(
        [instructor, executor],
        stop=StopConditions(
            max_turns=stop.max_turns,
            token_budget=stop.token_budget,
            timeout=stop.timeout,
            stall_window=stall,
            stall_similarity=stop.stall_similarity,
        ),
        conversation_id=ctx.conversation_id,
        scenario_id=ctx.scenario_id,
        opening=[Turn(speaker="instructor", utterance=ctx.opening)] if ctx.opening else [],
        metadata=metadata,
    )
    conversation.events[:0] = events
    merge_calls(conversation, log, first=True)  # the specifier ran before the loop
    return conversation
