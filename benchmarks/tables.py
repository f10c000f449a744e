"""Markdown tables generated from result files, for the docs (so no figure is typed by hand).

Run: python benchmarks/tables.py user_fidelity
     python benchmarks/tables.py index [--write]   # the results index of docs/performance.md

``index --write`` replaces the block between ``<!-- results-index:begin -->`` and
``<!-- results-index:end -->`` in ``docs/performance.md``; ``python -m benchmarks check`` says
when that block no longer matches the result files.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def _ci(e: dict[str, Any] | None, digits: int = 3) -> str:
    if not e or e.get("value") is None:
        return "—"
    return f"{e['value']:.{digits}f} [{e['low']:.{digits}f}, {e['high']:.{digits}f}]"


def _ks(c: dict[str, Any] | None) -> str:
    if not c:
        return "—"
    v = c["value"]
    return f"{v['value']:.2f} [{v['low']:.2f}, {v['high']:.2f}] (real {c['real']['mean']:.1f}, sim {c['simulated']['mean']:.1f})"


def user_fidelity() -> str:
    data = json.loads((RESULTS / "user_fidelity.json").read_text())
    variants: dict[str, Any] = data["details"]["variants"]
    rows = [
        ("goals (conversations)", lambda m: f"{m['goals']} ({m['conversations']})"),
        ("role reversal, share of user turns", lambda m: _ci(m["role_reversal"])),
        ("instruction leaks, share of user turns", lambda m: _ci(m["leak"])),
        ("premature stops, share of user-closed conversations", lambda m: _ci(m["premature_stop"])),
        ("goal coverage (checklist items said)", lambda m: _ci(m["goal_coverage"])),
        ("words per user turn: KS vs real (means)", lambda m: _ks(m["words_per_turn_ks"])),
        ("user turns per dialogue: KS vs real (means)", lambda m: _ks(m["turns_per_dialogue_ks"])),
        ("distinguishability AUC vs real", lambda m: _auc(m["auc"])),
        (
            "real vs real AUC (same size)",
            lambda m: _auc((m.get("real_vs_real") or {}).get("distinguishability")),
        ),
        ("gate regenerations per user turn", lambda m: _ci(m["regenerations_per_user_turn"], 2)),
        (
            "seconds per conversation (median)",
            lambda m: str(m["seconds_per_conversation"]["median"]),
        ),
        ("seconds per user turn", lambda m: str(m["seconds_per_conversation"]["per_user_turn"])),
    ]
    return _grid("", variants, list(variants), rows)


def _grid(corner: str, columns: dict[str, Any], names: list[str], rows: list[Any]) -> str:
    """A markdown table: one column per name, one row per ``(label, cell function)``; a cell
    whose data is missing is a dash."""
    out = [
        f"| {corner} | " + " | ".join(f"`{n}`" for n in names) + " |",
        "|---" * (len(names) + 1) + "|",
    ]
    for label, f in rows:
        cells = []
        for n in names:
            try:
                cells.append(f(columns[n]))
            except (KeyError, TypeError):
                cells.append("—")
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def _auc(d: dict[str, Any] | None) -> str:
    if not d or not isinstance(d.get("auc"), dict):
        return "—"
    return _ci(d["auc"])


def _top(shares: dict[str, Any]) -> str:
    cats = {k: v for k, v in shares.items() if k != "n"}
    if not cats:
        return "—"
    k = max(cats, key=lambda c: cats[c])
    return f"{k} {cats[k]:.2f}"


def _feature(c: dict[str, Any] | None) -> str:
    """A fingerprint comparison: divergence [interval] (real / simulated)."""
    if not c:
        return "—"
    v, stat = c["value"], c["statistic"].upper()
    real, sim = c["real"], c["simulated"]
    head = f"{stat} {v['value']:.3f} [{v['low']:.3f}, {v['high']:.3f}]"
    if "mean" in real:
        return f"{head} ({real['mean']:.2f} / {sim.get('mean', float('nan')):.2f})"
    if set(real) <= {"0", "1", "n"}:
        return f"{head} ({real.get('1', 0.0):.2f} / {sim.get('1', 0.0):.2f})"
    if c.get("statistic") == "js" and len(real) > 6:  # disclosure order: too many categories
        return head
    return f"{head} ({_top(real)} / {_top(sim)})"


def _judge(key: str) -> Any:
    def cell(s: dict[str, Any]) -> str:
        j = s.get("judge")
        if not j:
            return "not judged"
        if key == "score" and j.get("score") is None:
            return "n/a (anchors do not separate)" if "separate" in (j.get("note") or "") else "n/a"
        return _ci(j.get(key), 2)

    return cell


def human_likeness(systems: list[str] | None = None) -> str:
    """The human-likeness table of ``human_likeness.json``: one column per system."""
    data = json.loads((RESULTS / "human_likeness.json").read_text())
    allsys: dict[str, Any] = data["details"]["systems"]
    names = systems or list(allsys)
    lex = lambda k: lambda s: _ci(s["lexical_z"].get(k), 2)  # noqa: E731
    fp = lambda k: lambda s: _feature(s["fingerprint"].get(k))  # noqa: E731
    rows: list[tuple[str, Any]] = [
        ("dialogues (simulated / real)", lambda s: f"{s['n_simulated']} / {s['n_reference']}"),
        ("classifier AUC", lambda s: _ci(s["auc"], 2)),
        ("MATTR-50 z", lex("mattr_50")),
        ("Yule's K z", lex("yules_k")),
        ("HD-D-42 z", lex("hdd_42")),
        ("very short turns (real / sim share)", fp("very_short_turns")),
        ("politeness", fp("politeness")),
        ("questions", fp("questions")),
        ("clarification requests", fp("clarification_requests")),
        ("reaction to errors/refusals (commonest)", fp("trouble_reactions")),
        ("goal items said in turn 1 (means)", fp("disclosure_first_turn")),
        ("disclosure order", fp("disclosure_order")),
        ("who ends (commonest)", fp("ended_by")),
        ("judge: HH (real sides called human)", _judge("hh")),
        ("judge: PP (simulated sides, among themselves)", _judge("pp")),
        ("judge: s (simulated side beside a real one)", _judge("s")),
        ("judge: detection (0.5 = cannot tell)", _judge("detection")),
        ("judge: calibrated score", _judge("score")),
        ("report without judge, s", lambda s: str(s["report_s"])),
        ("judge, s", lambda s: str(s.get("judge_s", "—"))),
    ]
    return _grid("measure", allsys, names, rows)


PERFORMANCE = Path(__file__).resolve().parents[1] / "docs" / "performance.md"
BEGIN, END = "<!-- results-index:begin -->", "<!-- results-index:end -->"


def _number(x: Any) -> str:
    if isinstance(x, bool) or x is None:
        return "—"
    if isinstance(x, int | float):
        if x != x:  # NaN
            return "—"
        return f"{x:,.4g}" if abs(x) < 1e6 else f"{x:,.0f}"
    return str(x)


def _cell(text: Any, limit: int = 140) -> str:
    s = " ".join(str(text or "").split()).replace("|", "\\|")
    return s if len(s) <= limit else s[: limit - 1] + "…"


def index(results: Path = RESULTS) -> str:
    """One row per top-level result file: value and unit, ratio, goal, whether it was met,
    model, date and the commit it was measured at — straight from the JSON."""
    mark = {True: "✔", False: "✘", None: "report"}
    out = [
        "| result | value | unit | ratio | goal | met | model | date | commit |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for path in sorted(results.glob("*.json")):
        r = json.loads(path.read_text(encoding="utf-8"))
        commit = r.get("commit")
        out.append(
            "| "
            + " | ".join(
                [
                    f"`{r.get('name', path.stem)}`",
                    _number(r.get("value")),
                    _cell(r.get("unit"), 90),
                    _number(r.get("ratio")),
                    _cell(r.get("goal")),
                    mark.get(r.get("goal_met"), "report") if "goal_met" in r else "—",
                    _cell(r.get("model"), 60),
                    str(r.get("date", "—")),
                    f"`{commit[:7]}`" if isinstance(commit, str) else "—",
                ]
            )
            + " |"
        )
    return "\n".join(out)


def index_block(doc: str) -> str | None:
    """The generated block of ``doc`` (``None`` when the markers are missing)."""
    if BEGIN not in doc or END not in doc:
        return None
    return doc.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n")


def write_index(doc_path: Path = PERFORMANCE, results: Path = RESULTS) -> None:
    doc = doc_path.read_text(encoding="utf-8")
    head, rest = doc.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    doc_path.write_text(f"{head}{BEGIN}\n{index(results)}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "user_fidelity"
    if which == "index":
        if "--write" in sys.argv:
            write_index()
        else:
            print(index())
    elif which == "human_likeness":
        print(human_likeness([a for a in sys.argv[2:] if not a.startswith("-")] or None))
    else:
        print({"user_fidelity": user_fidelity}[which]())
