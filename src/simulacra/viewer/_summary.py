"""Run summaries and plots for the viewer and the report.

Summaries carry a bootstrap interval and ``n`` on every statistic (mean turns, judge scores).
Report JSON files written by other commands are read generically: any object with numeric
``value``/``low``/``high`` is an estimate, any list of numbers or of estimates is a curve (drift
over turns). A known report shape gets a title; an unknown one is still plotted, so a new
evaluation command shows up in the viewer without a change here.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from simulacra.conversation import Conversation, ParticipantKind
from simulacra.evaluation import Estimate, bootstrap_mean, wilson
from simulacra.participants import simulator_validity
from simulacra.viewer import _svg
from simulacra.viewer._data import LoadedRun, profile_fields
from simulacra.viewer._svg import Interval

__all__ = [
    "compare_summary",
    "find_curves",
    "find_estimates",
    "judge_estimates",
    "plot_names",
    "render_plot",
    "report_kind",
    "run_summary",
    "user_turn_lengths",
]

_KINDS = (
    ("fidelity", ("comparisons", "distinguishability")),
    ("drift", ("curves", "slopes")),
    ("arena", ("bradley_terry",)),
    ("diversity", ("between_personas",)),
    ("metrics", ("metrics",)),
    ("drift", ("drift",)),
    ("diversity", ("diversity",)),
    ("bias", ("bias",)),
    ("arena", ("arena",)),
    ("arena", ("elo",)),
    ("judge", ("judge",)),
)
_SKIP_KEYS = {"per_conversation", "per_item", "items", "verdicts", "config"}
_NAME_KEYS = ("system", "name", "id", "label")


def report_kind(name: str, data: Mapping[str, Any]) -> str:
    """What kind of report a JSON file is: by its keys, else by its file name."""
    for kind, keys in _KINDS:
        if all(k in data for k in keys):
            return kind
    stem = name.lower()
    for kind in ("fidelity", "drift", "diversity", "bias", "arena", "metrics", "judge"):
        if kind in stem:
            return kind
    return "report"


def _as_interval(d: Mapping[str, Any]) -> Interval | None:
    try:
        value, low, high = float(d["value"]), float(d["low"]), float(d["high"])
    except (KeyError, TypeError, ValueError):
        return None
    n = d.get("n")
    return Interval(value, low, high, int(n) if isinstance(n, int | float) else None)


def find_estimates(data: object, *, limit: int = 30) -> list[tuple[str, Interval]]:
    """Every ``{value, low, high}`` object in a report, labelled by its path."""
    out: list[tuple[str, Interval]] = []

    def walk(node: object, path: str) -> None:
        if len(out) >= limit:
            return
        if isinstance(node, dict):
            iv = _as_interval(node)
            if iv is not None:
                out.append((path or "value", iv))
                return
            for k, v in node.items():
                if k not in _SKIP_KEYS:
                    walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(node, list) and len(node) <= limit:
            for i, item in enumerate(node):
                if isinstance(item, dict):
                    name = next((item[k] for k in _NAME_KEYS if isinstance(item.get(k), str)), i)
                    walk(item, f"{path}.{name}")

    walk(data, "")
    return [(k.removeprefix("metrics.values."), iv) for k, iv in out]


_Point = tuple[float, float, float | None, float | None]


def _curve(values: list[Any]) -> list[_Point] | None:
    if len(values) < 2:
        return None
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return [(float(i), float(v), None, None) for i, v in enumerate(values)]
    points: list[_Point] = []
    for i, v in enumerate(values):
        if not isinstance(v, dict):
            return None
        x = next((v[k] for k in ("turn", "x", "index", "step") if k in v), i)
        iv = _as_interval(v)
        if iv is None and all(isinstance(v.get(k), int | float) for k in ("mean", "lo", "hi")):
            iv = Interval(float(v["mean"]), float(v["lo"]), float(v["hi"]))  # drift's CurvePoint
        if iv is not None:
            points.append((float(x), iv.value, iv.low, iv.high))
        elif isinstance(v.get("value"), int | float):
            points.append((float(x), float(v["value"]), None, None))
        elif isinstance(v.get("y"), int | float):
            points.append((float(x), float(v["y"]), None, None))
        else:
            return None
    return points


def find_curves(data: object, *, limit: int = 8) -> dict[str, list[_Point]]:
    """Lists of numbers or of estimates (a value per turn) in a report, labelled by path
    (``{turn, mean, lo, hi}`` points of a drift report included)."""
    out: dict[str, list[_Point]] = {}

    def walk(node: object, path: str) -> None:
        if len(out) >= limit:
            return
        if isinstance(node, list):
            pts = _curve(node)
            if pts is not None:
                out[path or "curve"] = pts
        elif isinstance(node, dict):
            for k, v in node.items():
                if k not in _SKIP_KEYS:
                    walk(v, f"{path}.{k}" if path else str(k))

    walk(data, "")
    return out


def _estimate_dict(e: Estimate | None) -> dict[str, float] | None:
    if e is None:
        return None
    return {"value": e.value, "low": e.low, "high": e.high, "n": e.n}


def judge_estimates(run: LoadedRun) -> dict[str, Estimate]:
    """Mean overall score per judge and rubric, over verdicts, with a bootstrap interval."""
    groups: dict[str, list[float]] = {}
    for v in run.judgments:
        scores = v.get("scores")
        if not isinstance(scores, dict) or not scores:
            continue
        values = [float(x) for x in scores.values() if isinstance(x, int | float)]
        if not values:
            continue
        label = str(v.get("judge"))
        if v.get("rubric"):
            label += f" · {v['rubric']}"
        groups.setdefault(label, []).append(sum(values) / len(values))
    return {k: bootstrap_mean(vs) for k, vs in sorted(groups.items())}


def _termination(c: Conversation) -> str:
    return c.termination.value if c.termination else "unfinished"


def _models(manifest: Mapping[str, Any]) -> dict[str, str]:
    models = manifest.get("models")
    if not isinstance(models, dict):
        return {}
    return {str(k): str(v.get("name")) for k, v in models.items() if isinstance(v, dict)}


def run_summary(run: LoadedRun) -> dict[str, Any]:
    """Counts, outcome distributions, mean turns and judge scores (with intervals), the spec."""
    convs = run.conversations
    turns = [float(len(c.turns)) for c in convs]
    config = run.manifest.get("config") if isinstance(run.manifest.get("config"), dict) else {}
    assert isinstance(config, dict)
    paradigm = config.get("paradigm")
    return {
        "index": run.index,
        "name": run.name,
        "directory": str(run.directory),
        "status": run.manifest.get("status"),
        "created_at": run.manifest.get("created_at"),
        "config_path": run.manifest.get("config_path"),
        "models": _models(run.manifest),
        "paradigm": paradigm.get("type") if isinstance(paradigm, dict) else None,
        "scenarios": len(config.get("scenarios") or []),
        "profiles": len(config.get("profiles") or []),
        "epochs": config.get("epochs"),
        "stop": config.get("stop"),
        "conversations": len(convs),
        "turns": int(sum(turns)),
        "mean_turns": _estimate_dict(bootstrap_mean(turns)) if turns else None,
        "termination": dict(Counter(_termination(c) for c in convs).most_common()),
        "ended_by": dict(Counter(c.ended_by or "unknown" for c in convs).most_common()),
        "errors": sum(1 for c in convs if c.termination is not None and c.termination.is_error),
        "simulator": _simulator(convs),
        "judges": {k: _estimate_dict(e) for k, e in judge_estimates(run).items()},
        "scored_conversations": len(run.scores),
        "reports": [{"file": k, "kind": report_kind(k, v)} for k, v in run.reports.items()],
        "notes": run.notes,
        "plots": plot_names(run),
    }


def _simulator(convs: list[Conversation]) -> dict[str, Any] | None:
    """The simulated user's own validity (the gate's flags), apart from the target's errors."""
    validity = simulator_validity(convs)
    gated, invalid = validity["gated"], validity["invalid"]
    if not isinstance(gated, int) or not gated or not isinstance(invalid, int):
        return None
    return {**validity, "invalid_rate": _estimate_dict(wilson(invalid, gated))}


def user_turn_lengths(convs: list[Conversation]) -> list[float]:
    """Words per simulated-user turn (the quantity fidelity compares with real users)."""
    out: list[float] = []
    for c in convs:
        users = {p.id for p in c.participants if p.kind == ParticipantKind.SIMULATED_HUMAN}
        out.extend(float(len(t.utterance.split())) for t in c.turns if t.speaker in users)
    return out


def _by_profile(run: LoadedRun) -> list[tuple[str, dict[str, float]]]:
    rows: dict[str, Counter[str]] = {}
    for c in run.conversations:
        fields = profile_fields(c)
        label = fields.get("profile_id") or fields.get("name") or "—"
        rows.setdefault(label, Counter())[_termination(c)] += 1
    return [(k, {c: float(n) for c, n in v.items()}) for k, v in sorted(rows.items())]


def _plot_termination(run: LoadedRun) -> str | None:
    counts = Counter(_termination(c) for c in run.conversations)
    items = [(k, float(v)) for k, v in counts.most_common()]
    return _svg.bar_chart(items, title="Why conversations ended (termination)") if items else None


def _plot_ended_by(run: LoadedRun) -> str | None:
    counts = Counter(c.ended_by or "unknown" for c in run.conversations)
    items = [(k, float(v)) for k, v in counts.most_common()]
    return _svg.bar_chart(items, title="Who ended them (ended_by)", color=_svg.PALETTE[1])


def _plot_turns(run: LoadedRun) -> str | None:
    turns = [float(len(c.turns)) for c in run.conversations]
    return _svg.histogram(
        {"conversations": turns}, title="Turns per conversation", x_label="turns", bins=10
    )


def _plot_user_words(run: LoadedRun) -> str | None:
    lengths = user_turn_lengths(run.conversations)
    if not lengths:
        return None
    return _svg.histogram(
        {"simulated user": lengths}, title="Words per user turn", x_label="words", bins=12
    )


def _plot_profiles(run: LoadedRun) -> str | None:
    rows = _by_profile(run)
    if len(rows) < 1:
        return None
    return _svg.stacked_bars(rows, title="Outcome per persona / profile")


def _plot_judges(run: LoadedRun) -> str | None:
    est = judge_estimates(run)
    if not est:
        return None
    items = [(k, Interval(e.value, e.low, e.high, e.n)) for k, e in est.items()]
    return _svg.ci_plot(items, title="Judge scores (mean, 95% bootstrap CI)")


def _plot_scores(run: LoadedRun) -> str | None:
    if not run.scores:
        return None
    return _svg.histogram(
        {"conversations": list(run.scores.values())},
        title="Mean judge score per conversation",
        x_label="score",
        bins=10,
    )


def _report_plot(name: str, part: str) -> Callable[[LoadedRun], str | None]:
    """The ``curve`` (drift: a line per measure with its band) or the ``estimates`` (every
    interval in the file) of one report file."""

    def plot(run: LoadedRun) -> str | None:
        data = run.reports.get(name)
        if data is None:
            return None
        kind = report_kind(name, data)
        if part == "curve":
            curves = {k: v for k, v in find_curves(data).items() if kind == "drift" or "curve" in k}
            if not curves:
                return None
            return _svg.line_chart(curves, title=f"{kind.title()} ({name})", x_label="turn")
        estimates = find_estimates(data)
        if not estimates:
            return None
        reference = 0.5 if kind == "fidelity" else None
        return _svg.ci_plot(estimates, title=f"{kind.title()} ({name})", reference=reference)

    return plot


_RUN_PLOTS: dict[str, Callable[[LoadedRun], str | None]] = {
    "termination": _plot_termination,
    "ended_by": _plot_ended_by,
    "turns": _plot_turns,
    "user_words": _plot_user_words,
    "profiles": _plot_profiles,
    "judges": _plot_judges,
    "scores": _plot_scores,
}


def _report_plot_names(run: LoadedRun) -> dict[str, tuple[str, str]]:
    out = {}
    for i, name in enumerate(run.reports):
        out[f"report-{i}-curve"] = (name, "curve")
        out[f"report-{i}"] = (name, "estimates")
    return out


def plot_names(run: LoadedRun) -> list[str]:
    """The plots that this run has data for, in display order."""
    names = ["termination", "ended_by"]
    if run.conversations:
        names += ["turns", "profiles"]
        if user_turn_lengths(run.conversations):
            names.append("user_words")
    if run.judgments and judge_estimates(run):
        names.append("judges")
    if run.scores:
        names.append("scores")
    for key, (name, part) in _report_plot_names(run).items():
        if _report_plot(name, part)(run) is not None:
            names.append(key)
    return names


def render_plot(run: LoadedRun, name: str) -> str | None:
    """One named plot of a run as SVG, or ``None`` when the name is unknown or has no data."""
    if name in _RUN_PLOTS:
        return _RUN_PLOTS[name](run) if run.conversations or name == "termination" else None
    report = _report_plot_names(run).get(name)
    return _report_plot(*report)(run) if report else None


def compare_summary(a: LoadedRun, b: LoadedRun) -> dict[str, Any]:
    """Two runs side by side: outcome bars and mean turns / judge scores with intervals."""
    rows = [
        (
            f"A: {a.name}",
            {k: float(v) for k, v in Counter(map(_termination, a.conversations)).items()},
        ),
        (
            f"B: {b.name}",
            {k: float(v) for k, v in Counter(map(_termination, b.conversations)).items()},
        ),
    ]
    intervals: list[tuple[str, Interval]] = []
    for tag, run in (("A", a), ("B", b)):
        turns = [float(len(c.turns)) for c in run.conversations]
        if turns:
            e = bootstrap_mean(turns)
            intervals.append((f"{tag} mean turns", Interval(e.value, e.low, e.high, e.n)))
        for k, e in judge_estimates(run).items():
            intervals.append((f"{tag} {k}", Interval(e.value, e.low, e.high, e.n)))
    finite = [(k, iv) for k, iv in intervals if math.isfinite(iv.value)]
    return {
        "outcomes_svg": _svg.stacked_bars(rows, title="Termination, A against B"),
        "estimates_svg": _svg.ci_plot(finite, title="Means with 95% bootstrap CI"),
    }
