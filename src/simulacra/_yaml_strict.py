"""Strict YAML for user files: YAML 1.2 numbers, no duplicate keys, bounded size and depth.

PyYAML implements YAML 1.1, where ``max_turns: 1:30`` is the base-60 number 90, ``010`` is the
octal 8 and ``1e12`` is a string. :func:`strict_load` reads numbers as YAML 1.2 does (``1:30``
is the string ``"1:30"``, ``010`` is 10, ``1e12`` is a float), refuses a mapping that repeats a
key (YAML 1.1 keeps the last one silently), and bounds what a small file can make: nesting depth,
aliases (a "billion laughs" file), and integer size. Every problem is a :class:`StrictYAMLError`
with the line and column.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node

__all__ = ["MAX_ALIASES", "MAX_DEPTH", "StrictYAMLError", "strict_load"]

MAX_DEPTH = 200
"""Deepest nesting of collections accepted."""
MAX_ALIASES = 1_000
"""Most alias (``*name``) uses accepted in one document."""
MAX_INT_DIGITS = 100


class StrictYAMLError(yaml.YAMLError):
    """A YAML document that strict loading refuses (``problem`` and ``problem_mark`` set)."""

    def __init__(self, problem: str, mark: yaml.Mark | None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


_INT_12 = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT_12 = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)"
    r"|\.(?:nan|NaN|NAN))$"
)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema numbers, unique keys and bounds."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise StrictYAMLError(f"more than {MAX_ALIASES} aliases (*name); refusing", mark)
        collection = self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent)
        if collection:
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise StrictYAMLError(
                    f"nested more than {MAX_DEPTH} levels deep",
                    self.peek_event().start_mark,  # type: ignore[no-untyped-call]
                )
        try:
            return super().compose_node(parent, index)
        finally:
            if collection:
                self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[object, yaml.Mark] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                if key in seen:
                    raise StrictYAMLError(
                        f"duplicate key {str(key)[:60]!r} (first at line {seen[key].line + 1})",
                        key_node.start_mark,
                    )
                seen[key] = key_node.start_mark
            except TypeError:
                raise ConstructorError(None, None, "unhashable key", key_node.start_mark) from None
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: Node) -> int:
        value = str(self.construct_scalar(node))  # type: ignore[arg-type]
        text = value.replace("_", "")
        if len(text.lstrip("+-")) > MAX_INT_DIGITS:
            raise StrictYAMLError(f"integer of more than {MAX_INT_DIGITS} digits", node.start_mark)
        if text.startswith("0o"):
            return int(text[2:], 8)
        if text.startswith("0x"):
            return int(text[2:], 16)
        return int(text, 10)


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _StrictLoader.construct_yaml_int)
# YAML 1.2 core schema for numbers: replace PyYAML's 1.1 resolvers (base 60, octal 010, floats
# that need a dot) with the 1.2 ones; the first characters decide which resolvers are tried.
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if not tag.endswith((":int", ":float"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver("tag:yaml.org,2002:int", _INT_12, list("-+0123456789"))
_StrictLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_12, list("-+.0123456789"))


def strict_load(text: str) -> Any:
    """Parse one YAML document strictly (see the module docstring).

    Raises:
        yaml.YAMLError: Malformed YAML, or a :class:`StrictYAMLError` (duplicate key, too deep,
            too many aliases, an integer too long).
    """
    loader = _StrictLoader(text)
    try:
        return loader.get_single_data()
    except RecursionError:
        raise StrictYAMLError(f"nested more than {MAX_DEPTH} levels deep", None) from None
    finally:
        loader.dispose()
