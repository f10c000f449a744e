"""What is simulated (survey §4): the kinds of interaction a run can simulate.

Each paradigm registers a runner and an options model with :func:`register_paradigm`; a run
config selects one with ``paradigm: {type: NAME, ...}``. ``human_ai`` (a simulated user against a
system under test, :class:`HumanAIOptions`) is the default, registered like the others.
"""

from simulacra.paradigms._registry import (
    ParadigmContext,
    ParadigmOptions,
    ParadigmRunner,
    get_paradigm,
    paradigm_names,
    parse_paradigm,
    register_paradigm,
    run_paradigm,
)

__all__ = [
    "HumanAIOptions",
    "ParadigmContext",
    "ParadigmOptions",
    "ParadigmRunner",
    "SandboxOptions",
    "get_paradigm",
    "paradigm_names",
    "parse_paradigm",
    "register_paradigm",
    "run_paradigm",
    "split_encounters",
]

# Built-in paradigms register themselves on import (one module each).
from simulacra.paradigms import (
    _debate,  # noqa: F401  (debate)
    _human_ai,  # noqa: F401  (human_ai)
    _human_human,  # noqa: F401  (human_human, negotiation)
    _task,  # noqa: F401  (task_roleplay)
    _teacher,  # noqa: F401  (teacher_student)
    group_chat,  # noqa: F401  (group_chat)
)
from simulacra.paradigms._human_ai import HumanAIOptions
from simulacra.paradigms._sandbox import SandboxOptions, split_encounters
