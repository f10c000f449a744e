"""``simulacra report``: one self-contained HTML file about one or more runs.

The file has inline CSS and inline SVG only: no script, no external request (its
Content-Security-Policy forbids both), so it can be mailed, attached to a ticket or opened
offline. Every run-derived string is escaped with :func:`html.escape`. Plots are the same
server-side SVG helpers as the viewer's (:mod:`simulacra.viewer._svg`).

Sections: summary per run; outcomes (termination and ``ended_by`` bars, outcome per persona);
judge and metric scores with bootstrap intervals; turn lengths (simulated against real users
when a reference corpus is given, and the fidelity report when one sits beside the run); drift
curves and other evaluation reports found beside the run; a transcript sample.
"""

from __future__ import annotations

import html
import random
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from simulacra._atomic import write_text_atomic
from simulacra._version import __version__
from simulacra.conversation import Conversation
from simulacra.datasets import multiwoz_dialogues
from simulacra.errors import ConfigError
from simulacra.viewer import _svg
from simulacra.viewer._data import LoadedRun, load_runs
from simulacra.viewer._sections import human_likeness_section, sensitivity_section
from simulacra.viewer._summary import (
    find_curves,
    find_estimates,
    judge_estimates,
    report_kind,
    run_summary,
    user_turn_lengths,
)
from simulacra.viewer._svg import Interval

__all__ = ["build_report", "parse_reference", "reference_turn_lengths", "write_report"]

_REFERENCE_KINDS = ("multiwoz",)
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;
background:#f6f7f9;margin:0}
main{max-width:1180px;margin:0 auto;padding:24px 28px 60px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:19px;margin:34px 0 10px;border-bottom:1px solid #d8dee4;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
.muted{color:#656d76}.small{font-size:13px}.mono{font-family:ui-monospace,Menlo,Consolas,monospace;
font-size:12.5px}
table{border-collapse:collapse;background:#fff;border:1px solid #d8dee4;margin:6px 0}
th,td{text-align:left;padding:5px 10px;border-bottom:1px solid #eceff2;font-size:14px;
vertical-align:top}
th{font-size:12px;color:#656d76;text-transform:uppercase;letter-spacing:.5px;background:#fafbfc}
.plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:14px}
.plots svg{width:100%;height:auto;border:1px solid #d8dee4;border-radius:8px;background:#fff}
.turn{border-radius:10px;padding:8px 12px;margin:8px 0;border:1px solid #d8dee4;
border-left-width:4px;max-width:860px;background:#fff}
.turn.simulated_human{background:#e8f0fb;border-left-color:#3b6fb6}
.turn.ai_system{background:#fdf1e4;border-left-color:#d9822b;margin-left:40px}
.turn.agent{background:#eaf6ee;border-left-color:#3a9a5b}
.turn.human{background:#f3ecfa;border-left-color:#7b5ea7}
.who{font-weight:600;font-size:13px}.text{white-space:pre-wrap;word-break:break-word}
.end{padding:6px 10px;background:#eef1f4;border-radius:6px;font-size:14px;max-width:860px}
.goal{background:#fffbe6;border:1px solid #f1e3a0;border-radius:6px;padding:6px 10px;
max-width:860px}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def parse_reference(spec: str) -> tuple[str, Path]:
    """``KIND:PATH`` (``multiwoz:/data/val.json.zip``) into its parts.

    Raises:
        ConfigError: Unknown kind or missing file.
    """
    kind, sep, path = spec.partition(":")
    if not sep or kind not in _REFERENCE_KINDS:
        raise ConfigError(
            f"--reference {spec!r}: expected KIND:PATH, KIND one of: {', '.join(_REFERENCE_KINDS)}"
        )
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"--reference: file not found: {p}")
    return kind, p


def reference_turn_lengths(spec: str, *, limit: int | None = 1000) -> tuple[str, list[float]]:
    """Words per real user turn of a reference corpus, and its display name."""
    kind, path = parse_reference(spec)

    lengths = [
        float(len(t.text.split()))
        for d in multiwoz_dialogues(path, with_turns=True, limit=limit)
        for t in d.user_turns
    ]
    if not lengths:
        raise ConfigError(f"--reference {spec}: no user turns found")
    return f"real users ({kind}: {path.name})", lengths


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _ci(e: dict[str, float] | None) -> str:
    if not e:
        return "—"
    return f"{e['value']:.3g} [{e['low']:.3g}, {e['high']:.3g}] n={int(e['n'])}"


def _summary_section(runs: Sequence[LoadedRun]) -> str:
    rows = []
    for r in runs:
        s = run_summary(r)
        models = ", ".join(f"{k}: {v}" for k, v in s["models"].items()) or "—"
        rows.append(
            [
                r.name,
                str(r.directory),
                models,
                s["conversations"],
                s["turns"],
                _ci(s["mean_turns"]),
                s["errors"],
                _simulator_cell(s["simulator"]),
                ", ".join(f"{k} {v}" for k, v in s["termination"].items()),
            ]
        )
    header = ["run", "directory", "models", "conv.", "turns", "mean turns [95% CI]", "errors"]
    return "<h2>Runs</h2>" + _table([*header, "simulator invalid", "termination"], rows)


def _simulator_cell(sim: dict[str, Any] | None) -> str:
    """The simulator's validity, apart from the target's errors: invalid conversations (rate
    with its interval), regenerated turns and the detectors that still failed."""
    if not sim:
        return "not gated"
    rate = sim["invalid_rate"]
    reasons = ", ".join(f"{k} {v}" for k, v in sim["reasons"].items()) or "none"
    return (
        f"{sim['invalid']} of {sim['gated']} ({_ci(rate)}); "
        f"{sim['regenerations']} regenerated turns; failing: {reasons}"
    )


def _termination(c: Conversation) -> str:
    return c.termination.value if c.termination else "unfinished"


def _outcome_plots(runs: Sequence[LoadedRun]) -> list[str]:
    # One category order (and so one colour per reason) across every plot of the report.
    overall = Counter(_termination(c) for r in runs for c in r.conversations)
    cats = [k for k, _ in overall.most_common()]
    term = [(r.name, dict(Counter(map(_termination, r.conversations)))) for r in runs]
    ended = [
        (r.name, dict(Counter(c.ended_by or "unknown" for c in r.conversations))) for r in runs
    ]
    plots = [
        _svg.stacked_bars(
            [(k, {c: float(n) for c, n in v.items()}) for k, v in term],
            title="Why conversations ended (termination)",
            categories=cats,
        ),
        _svg.stacked_bars(
            [(k, {c: float(n) for c, n in v.items()}) for k, v in ended],
            title="Who ended them (ended_by)",
        ),
    ]
    for r in runs:
        rows: dict[str, Counter[str]] = {}
        for c in r.conversations:
            label = str(c.metadata.get("profile_id") or "—")
            rows.setdefault(label, Counter())[_termination(c)] += 1
        plots.append(
            _svg.stacked_bars(
                [(k, {c: float(n) for c, n in v.items()}) for k, v in sorted(rows.items())],
                title=f"Outcome per persona — {r.name}",
                categories=cats,
            )
        )
    return plots


def _score_plots(runs: Sequence[LoadedRun]) -> list[str]:
    judges: list[tuple[str, Interval]] = []
    metrics: list[tuple[str, Interval]] = []
    scores: dict[str, list[float]] = {}
    for r in runs:
        prefix = f"{r.name}: " if len(runs) > 1 else ""
        for k, e in judge_estimates(r).items():
            judges.append((prefix + k, Interval(e.value, e.low, e.high, e.n)))
        if r.scores:
            scores[r.name] = list(r.scores.values())
        for name, data in r.reports.items():
            if report_kind(name, data) == "metrics":
                metrics += [(prefix + k, iv) for k, iv in find_estimates(data)]
    plots = []
    if judges:
        plots.append(_svg.ci_plot(judges, title="Judge scores (mean, 95% bootstrap CI)"))
    if scores:
        plots.append(
            _svg.histogram(scores, title="Mean judge score per conversation", x_label="score")
        )
    if metrics:
        plots.append(_svg.ci_plot(metrics, title="Metrics (95% bootstrap CI)"))
    return plots


def _length_plots(
    runs: Sequence[LoadedRun], reference: tuple[str, list[float]] | None
) -> list[str]:
    series = {r.name: user_turn_lengths(r.conversations) for r in runs}
    series = {k: v for k, v in series.items() if v}
    if reference is not None:
        series[reference[0]] = reference[1]
    plots = []
    if series:
        plots.append(
            _svg.histogram(
                series,
                title="Words per user turn" + (" — simulated vs real" if reference else ""),
                x_label="words",
                bins=15,
            )
        )
    turns = {r.name: [float(len(c.turns)) for c in r.conversations] for r in runs}
    turns = {k: v for k, v in turns.items() if v}
    if turns:
        plots.append(_svg.histogram(turns, title="Turns per conversation", x_label="turns"))
    for r in runs:
        for name, data in r.reports.items():
            if report_kind(name, data) == "fidelity":
                est = find_estimates(data)
                plots.append(
                    _svg.ci_plot(est, title=f"Fidelity — {r.name} ({name})", reference=0.5)
                )
    return plots


def _other_report_plots(runs: Sequence[LoadedRun]) -> list[str]:
    plots = []
    for r in runs:
        for name, data in r.reports.items():
            kind = report_kind(name, data)
            if kind in ("metrics", "fidelity"):
                continue
            curves = {k: v for k, v in find_curves(data).items() if kind == "drift" or "curve" in k}
            if curves:
                plots.append(
                    _svg.line_chart(
                        curves, title=f"{kind.title()} — {r.name} ({name})", x_label="turn"
                    )
                )
            est = find_estimates(data)
            if est and kind != "drift":
                plots.append(_svg.ci_plot(est, title=f"{kind.title()} — {r.name} ({name})"))
    return plots


def _transcript(run: LoadedRun, c: Conversation) -> str:
    names = {p.id: p.name for p in c.participants}
    kinds = {p.id: p.kind.value for p in c.participants}
    parts = [
        f"<h3>{_e(run.name)} · <span class='mono'>{_e(c.id)}</span> · "
        f"{_e(c.metadata.get('profile_id', '—'))} · {_e(c.scenario_id or '—')}</h3>"
    ]
    goal = run.goal(c)
    if goal:
        parts.append(f"<div class='goal'><b>Goal:</b> {_e(goal)}</div>")
    for i, t in enumerate(c.turns):
        parts.append(
            f"<div class='turn {_e(kinds.get(t.speaker, 'unknown'))}'>"
            f"<div class='who'>{_e(names.get(t.speaker, t.speaker))} "
            f"<span class='muted small'>#{i}</span></div>"
            f"<div class='text'>{_e(t.utterance)}</div></div>"
        )
    end = f"Ended: {_termination(c)} · by {c.ended_by or '—'}"
    if c.error:
        end += f" · {c.error}"
    parts.append(f"<div class='end'>{_e(end)}</div>")
    return "".join(parts)


def _sample(run: LoadedRun, k: int, seed: int) -> list[Conversation]:
    convs = list(run.conversations)
    if len(convs) <= k:
        return convs
    return random.Random(seed).sample(convs, k)


def build_report(
    runs: Sequence[LoadedRun],
    *,
    reference: tuple[str, list[float]] | None = None,
    sample: int = 2,
    seed: int = 0,
    title: str | None = None,
) -> str:
    """The report's HTML (a complete document)."""
    name = title or "Simulacra report — " + ", ".join(r.name for r in runs)
    sections = [_summary_section(runs)]

    def plots(heading: str, items: list[str], why: str = "") -> None:
        if items:
            sections.append(f"<h2>{_e(heading)}</h2><div class='plots'>{''.join(items)}</div>")
        elif why:
            sections.append(f"<h2>{_e(heading)}</h2><p class='muted'>{_e(why)}</p>")

    plots("Outcomes", _outcome_plots(runs))
    plots(
        "Scores",
        _score_plots(runs),
        "No judgments.jsonl or metrics report beside these runs: run `simulacra eval RUN_DIR "
        "--judge ... -o RUN_DIR/eval.json` first.",
    )
    plots("Turn lengths", _length_plots(runs, reference))
    plots("Drift and other evaluation reports", _other_report_plots(runs))

    sections += [s for s in (human_likeness_section(runs), sensitivity_section(runs)) if s]
    notes = [f"{r.name}: {n}" for r in runs for n in r.notes]
    if notes:
        sections.append("<p class='muted small'>" + _e("; ".join(notes)) + "</p>")
    sample_html = "".join(_transcript(r, c) for r in runs for c in _sample(r, sample, seed))
    if sample_html:
        sections.append(f"<h2>Transcript sample ({sample} per run, seed {seed})</h2>{sample_html}")
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{_CSP}\">"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_e(name)}</title><style>{_CSS}</style></head><body><main>"
        f"<h1>{_e(name)}</h1><p class='muted small'>Generated {_e(stamp)} by simulacra "
        f"{_e(__version__)}. Intervals are 95% percentile-bootstrap intervals; n is the number "
        f"of units resampled.</p>" + "".join(sections) + "</main></body></html>\n"
    )


def write_report(
    run_dirs: Sequence[str | Path],
    output: str | Path,
    *,
    reference: str | None = None,
    reference_limit: int | None = 1000,
    sample: int = 2,
    seed: int = 0,
    title: str | None = None,
) -> Path:
    """Read runs, build the report and write it atomically (temp file, then rename).

    Raises:
        ConfigError: A run directory or the reference cannot be read.
    """
    if not run_dirs:
        raise ConfigError("report: give at least one run directory")
    runs = load_runs(run_dirs)
    ref = reference_turn_lengths(reference, limit=reference_limit) if reference else None
    text = build_report(runs, reference=ref, sample=sample, seed=seed, title=title)
    out = Path(output)
    write_text_atomic(out, text, durable=True, mkdir=True)
    return out
