"""Movie preferences and a small catalogue from the IAI MovieBot dialogues (UserSimCRS).

Reads ``annotated_dialogues.json`` as shipped by UserSimCRS (Apache-2.0; 8 human–bot dialogues
with dialogue acts) in place. Each dialogue gives one user's preferences: the genres and
keywords they disclosed (``DISCLOSE`` / ``REVEAL.REVISE``), the titles they had already seen
(``NOTE.YES`` after a recommendation), disliked (``NOTE.DISLIKE``), liked (``NOTE.LIKE``) or
accepted (``NOTE.ACCEPT``). The catalogue is every title the bot recommended (``REVEAL`` /
``REVEAL.SIMILAR``), tagged with the genres the user had disclosed when it was recommended —
the bot's search filter at that moment. This is an approximation (the corpus has no item
metadata), stated in ``docs/recipes.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulacra.errors import ConfigError

__all__ = ["Movie", "MoviePreferences", "load_moviebot_preferences", "moviebot_catalogue"]

_FILE = "data/datasets/moviebot/annotated_dialogues.json"


@dataclass(frozen=True)
class Movie:
    """A catalogue item: a title and its genre tags (lower case)."""

    title: str
    genres: tuple[str, ...]


@dataclass
class MoviePreferences:
    """One real user's preferences, from one MovieBot dialogue.

    Attributes:
        id: ``moviebot:<conversation id>``.
        genres: Genres they asked for, lower case, in order.
        keywords: Keywords they gave ("funny", "superhero").
        seen: Titles they said they had already seen.
        disliked: Titles they turned down as not to their taste.
        liked: Titles they said they liked.
        accepted: Titles they accepted (the real outcome).
    """

    id: str
    genres: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    disliked: list[str] = field(default_factory=list)
    liked: list[str] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)


def _file(path: str | Path) -> Path:
    path = Path(path)
    if path.is_dir():
        path = path / _FILE
    if not path.is_file():
        raise ConfigError(f"{path}: file not found (expected UserSimCRS {_FILE})")
    return path


def _dialogues(path: str | Path) -> tuple[Path, list[dict[str, Any]]]:
    file = _file(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{file}: malformed JSON: {exc.msg}") from None
    if not isinstance(data, list):
        raise ConfigError(f"{file}: expected a list of dialogues")
    for i, d in enumerate(data):
        if not isinstance(d, dict) or not isinstance(d.get("conversation"), list):
            raise ConfigError(f"{file}: dialogue {i}: no 'conversation' list")
    return file, data


def _add(items: list[str], value: str) -> None:
    if value and value not in items:
        items.append(value)


def _walk(dialogue: dict[str, Any], catalogue: dict[str, set[str]]) -> MoviePreferences:
    prefs = MoviePreferences(id="moviebot:" + str(dialogue.get("conversation_id", "")).strip('"'))
    last_title: str | None = None
    for turn in dialogue["conversation"]:
        user = turn.get("participant") == "USER"
        for act in turn.get("dialogue_acts") or []:
            intent = str(act.get("intent", ""))
            slots = [(str(s[0]), str(s[1])) for s in act.get("slot_values") or [] if s[1]]
            if not user and intent in ("REVEAL", "REVEAL.SIMILAR"):
                for slot, value in slots:
                    if slot == "TITLE":
                        last_title = value
                        catalogue.setdefault(value, set()).update(prefs.genres)
                continue
            if not user:
                continue
            if intent in ("DISCLOSE", "REVEAL.REVISE"):
                for slot, value in slots:
                    if slot == "GENRE":
                        _add(prefs.genres, value.lower())
                    elif slot == "KEYWORD":
                        _add(prefs.keywords, value.lower())
            titles = [v for s, v in slots if s == "TITLE"] or ([last_title] if last_title else [])
            target = {
                "NOTE.YES": prefs.seen,
                "NOTE.DISLIKE": prefs.disliked,
                "NOTE.LIKE": prefs.liked,
                "NOTE.ACCEPT": prefs.accepted,
            }.get(intent)
            if target is not None:
                for title in titles:
                    _add(target, title)
    return prefs


def load_moviebot_preferences(path: str | Path) -> list[MoviePreferences]:
    """The preferences of each MovieBot dialogue's user (see the module docstring).

    Args:
        path: The UserSimCRS checkout (``moviebot-usersimcrs``) or the JSON file itself.

    Raises:
        ConfigError: Missing or malformed file.
    """
    _, dialogues = _dialogues(path)
    catalogue: dict[str, set[str]] = {}
    return [_walk(d, catalogue) for d in dialogues]


def moviebot_catalogue(path: str | Path) -> list[Movie]:
    """Every title the bot recommended, with genre tags, sorted by title."""
    _, dialogues = _dialogues(path)
    catalogue: dict[str, set[str]] = {}
    for d in dialogues:
        _walk(d, catalogue)
    return [Movie(title, tuple(sorted(genres))) for title, genres in sorted(catalogue.items())]
