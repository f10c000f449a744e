"""Reading JSON objects out of model outputs, one lenient reader for every caller.

Small models wrap their JSON in prose or code fences and put raw line breaks inside strings
(strictly invalid JSON); both are accepted here so a usable answer is not thrown away.
"""

from __future__ import annotations

import json

__all__ = ["parse_json_object"]


def parse_json_object(text: str) -> dict[str, object] | None:
    """The JSON object in ``text`` (the whole text, else its first ``{`` to last ``}``), or None.

    Control characters inside strings (a raw newline in an explanation) are allowed.
    """
    text = text.strip()
    candidates = [text]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end and (start, end) != (0, len(text) - 1):
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            value = json.loads(candidate, strict=False)
        except ValueError:
            continue
        return value if isinstance(value, dict) else None
    return None
