"""Report sections of issue #22, read from the JSON files beside a run: the human-likeness table
of ``simulacra fidelity -o`` (``human_likeness``) and the simulator-sensitivity tables of
``simulacra sensitivity`` (``sensitivity``). Each renders as plain HTML tables; a run without
such a file adds nothing."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

from simulacra.viewer._data import LoadedRun

__all__ = ["human_likeness_section", "sensitivity_section"]


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _iv(d: Any, digits: int = 3) -> str:
    if not isinstance(d, Mapping):
        return "—"
    try:
        v, lo, hi = float(d["value"]), float(d["low"]), float(d["high"])
    except (KeyError, TypeError, ValueError):
        return "—"
    return f"{v:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def _side(values: Any) -> str:
    if not isinstance(values, Mapping):
        return "—"
    if "1" in values or "0" in values:
        return f"{float(values.get('1', 0.0)):.3f}"
    if "mean" in values:
        return f"{float(values['mean']):.3f}"
    top = next(((k, v) for k, v in values.items() if k != "n"), None)
    return "—" if top is None else f"{top[0]} {float(top[1]):.2f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def human_likeness_section(runs: Sequence[LoadedRun]) -> str:
    """One table per fidelity report with a human-likeness part."""
    parts = []
    for r in runs:
        for name, data in r.reports.items():
            h = data.get("human_likeness")
            if not isinstance(h, Mapping):
                continue
            rows = []
            for key, z in (h.get("lexical") or {}).items():
                rows.append(
                    [key, "z", _iv(z.get("z")), f"{z.get('real_mean', 0):.3f}",
                     f"{z.get('simulated_mean', 0):.3f}"]
                )  # fmt: skip
            for key, c in (h.get("fingerprint") or {}).items():
                rows.append(
                    [key, str(c.get("statistic")), _iv(c.get("value"), 4), _side(c.get("real")),
                     _side(c.get("simulated"))]
                )  # fmt: skip
            j = h.get("judge")
            if isinstance(j, Mapping):
                anchors = (
                    f"s {j['s']['value']:.2f}, HH {j['hh']['value']:.2f}, PP {j['pp']['value']:.2f}"
                )
                rows.append(["judge (calibrated)", "score", _iv(j.get("score")), anchors, ""])
                rows.append(
                    ["judge detection", "accuracy", _iv(j.get("detection")),
                     f"{j['pairs'].get('test', 0)} pairs x {j.get('samples')}", "0.5 = cannot tell"]
                )  # fmt: skip
            for key, why in (h.get("skipped") or {}).items():
                rows.append([key, "skipped", str(why), "", ""])
            parts.append(
                f"<h3>{_e(r.name)} ({_e(name)}): {h.get('n_simulated')} simulated vs "
                f"{h.get('n_real')} real dialogues</h3>"
                + _table(["measure", "stat", "value [95% CI]", "real", "simulated"], rows)
            )
    if not parts:
        return ""
    return (
        "<h2>Human-likeness</h2><p class='muted small'>Lexical z-scores in human standard "
        "deviations (0 = the human mean); behavioural fingerprint divergences (Jensen-Shannon "
        "or Kolmogorov-Smirnov, 0 = alike) with the real and simulated shares; the calibrated "
        "pairwise judge, 1 = called human as often as real users.</p>" + "".join(parts)
    )


def sensitivity_section(runs: Sequence[LoadedRun]) -> str:
    """The sensitivity tables, once per distinct report among the runs."""
    seen: set[str] = set()
    parts = []
    for r in runs:
        for data in r.reports.values():
            s = data.get("sensitivity")
            if not isinstance(s, Mapping) or "means" not in s:
                continue
            key = json.dumps(s, sort_keys=True)
            if key in seen:
                continue
            seen.add(key)
            sims = [str(x) for x in s.get("simulators", [])]
            for metric, by_target in s["means"].items():
                rows = [
                    [t, *(_iv(row.get(u)) for u in sims), _iv(s["spread"][metric].get(t))]
                    for t, row in by_target.items()
                ]
                rank = s.get("ranking", {}).get(metric)
                note = (
                    f"<p class='small'>Ranking stability (Kendall τ-b over simulator pairs): "
                    f"{_e(_iv(rank))}</p>"
                    if rank
                    else ""
                )
                parts.append(
                    f"<h3>{_e(metric)} ({s.get('items')} work items)</h3>"
                    + _table(["target", *sims, "spread [95% CI]"], rows)
                    + note
                )
    if not parts:
        return ""
    return (
        "<h2>Simulator sensitivity</h2><p class='muted small'>The same scenarios against the same "
        "targets with each simulated user: each metric per simulator, the spread across "
        "simulators (paired bootstrap over work items) and whether the targets rank alike.</p>"
        + "".join(parts)
    )
