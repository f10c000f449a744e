"""AI–AI paradigms (survey §4.3, Appendix C.3): from a seed prompt only, agents talk to each other.

- ``task_roleplay`` — CAMEL-style cooperative role-play: task specifier, instructor, executor;
- ``debate`` — debaters argue assigned positions over rounds, positions tracked, a judge decides;
- ``teacher_student`` — SimQuAC-style QA self-play over a document, answers tied to passages.

Importing this module registers the three (one module each).
"""

from simulacra.paradigms._debate import DebateOptions, Debater, Stance
from simulacra.paradigms._task import TaskRoleplayOptions
from simulacra.paradigms._teacher import TeacherStudentOptions, attribute, split_passages

__all__ = [
    "DebateOptions",
    "Debater",
    "Stance",
    "TaskRoleplayOptions",
    "TeacherStudentOptions",
    "attribute",
    "split_passages",
]
