"""Small server-side SVG plots shared by the viewer and the HTML report.

No plotting library: each function returns one ``<svg>`` element as a string, sized by its
``viewBox`` so it scales with the page. Every piece of text that can come from a run (labels,
titles, category names) goes through :func:`html.escape`, so a transcript or a profile value can
never inject markup. Colours are attributes (``fill``/``stroke``), never ``style``, so the
viewer's Content-Security-Policy can forbid inline styles.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "PALETTE",
    "Interval",
    "bar_chart",
    "ci_plot",
    "empty_plot",
    "histogram",
    "line_chart",
    "stacked_bars",
]

PALETTE = (
    "#3b6fb6",
    "#d9822b",
    "#3a9a5b",
    "#c23b3b",
    "#7b5ea7",
    "#8c6d3f",
    "#d16ba5",
    "#6b7a8f",
)
"""Series colours (colour-blind-friendly enough for up to four series)."""

_FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"'
_TEXT = "#222"
_MUTED = "#666"
_GRID = "#e3e3e3"


@dataclass(frozen=True, slots=True)
class Interval:
    """A point estimate with a confidence interval (as read from any report)."""

    value: float
    low: float
    high: float
    n: int | None = None


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _num(x: float) -> str:
    if math.isnan(x):
        return "nan"
    if x != 0 and (abs(x) >= 1e4 or abs(x) < 1e-2):
        return f"{x:.2g}"
    if float(x).is_integer():
        return str(int(x))
    return f"{x:.3g}" if abs(x) < 10 else f"{x:.1f}"


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{_e(title)}" class="plot" '
        f"{_FONT}>"
        f"<title>{_e(title)}</title>"
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>'
        f'<text x="12" y="20" font-size="14" font-weight="600" fill="{_TEXT}">{_e(title)}</text>'
    )
    return head + "".join(body) + "</svg>"


def empty_plot(title: str, message: str, *, width: int = 520) -> str:
    """A placeholder that says why there is nothing to plot."""
    body = [f'<text x="12" y="52" font-size="12" fill="{_MUTED}">{_e(message)}</text>']
    return _svg(width, 70, title, body)


def _clip(label: str, size: int = 28) -> str:
    return label if len(label) <= size else label[: size - 1] + "…"


def _left(labels: Sequence[str], size: int, *, least: int = 90, most: int = 260) -> int:
    """A left margin wide enough for the longest (clipped) label at 12px."""
    longest = max((len(_clip(x, size)) for x in labels), default=0)
    return max(least, min(most, int(18 + 6.8 * longest)))


def _legend(names: Sequence[str], colors: Sequence[str], x0: int, y: int, size: int = 30) -> str:
    """One row of legend entries, spaced by the length of their text."""
    out, x = [], x0
    for name, color in zip(names, colors, strict=True):
        text = _clip(name, size)
        out.append(
            f'<rect x="{x}" y="{y}" width="10" height="10" rx="2" fill="{color}"/>'
            f'<text x="{x + 14}" y="{y + 9}" font-size="11" fill="{_TEXT}">{_e(text)}</text>'
        )
        x += int(30 + 6.4 * len(text))
    return "".join(out)


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    width: int = 520,
    color: str = PALETTE[0],
    value_format: str = "{:g}",
) -> str:
    """Horizontal bars, one per ``(label, value)``, with the value written at the end."""
    if not items:
        return empty_plot(title, "nothing to plot", width=width)
    left, right, row = _left([k for k, _ in items], 28), 60, 24
    top = 34
    height = top + row * len(items) + 10
    peak = max((v for _, v in items), default=0.0) or 1.0
    span = width - left - right
    body = []
    for i, (label, value) in enumerate(items):
        y = top + i * row
        w = max(0.0, value) / peak * span
        body.append(
            f'<text x="{left - 8}" y="{y + 15}" font-size="12" text-anchor="end" '
            f'fill="{_TEXT}">{_e(_clip(label))}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" rx="3" '
            f'fill="{color}"><title>{_e(label)}: {_e(value_format.format(value))}</title></rect>'
            f'<text x="{left + w + 6:.1f}" y="{y + 15}" font-size="12" '
            f'fill="{_MUTED}">{_e(value_format.format(value))}</text>'
        )
    return _svg(width, height, title, body)


def stacked_bars(
    rows: Sequence[tuple[str, Mapping[str, float]]],
    *,
    title: str,
    width: int = 620,
    categories: Sequence[str] | None = None,
) -> str:
    """One horizontal bar per row, split into coloured segments by category (shares of the
    row total), with a legend. Used for outcomes per persona and per run."""
    if not rows:
        return empty_plot(title, "nothing to plot", width=width)
    cats = list(categories) if categories is not None else []
    if categories is None:
        for _, counts in rows:
            cats.extend(k for k in counts if k not in cats)
    colors = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(cats)}
    left, right, row = _left([k for k, _ in rows], 28), 50, 26
    legend_rows = math.ceil(len(cats) / 4)
    top = 34 + legend_rows * 18
    height = top + row * len(rows) + 10
    span = width - left - right
    body = []
    for i, cat in enumerate(cats):
        lx = 12 + (i % 4) * ((width - 24) // 4)
        ly = 30 + (i // 4) * 18
        body.append(
            f'<rect x="{lx}" y="{ly}" width="10" height="10" rx="2" fill="{colors[cat]}"/>'
            f'<text x="{lx + 14}" y="{ly + 9}" font-size="11" fill="{_TEXT}">'
            f"{_e(_clip(cat, 24))}</text>"
        )
    for r, (label, counts) in enumerate(rows):
        y = top + r * row
        total = sum(max(0.0, counts.get(c, 0.0)) for c in cats)
        body.append(
            f'<text x="{left - 8}" y="{y + 16}" font-size="12" text-anchor="end" '
            f'fill="{_TEXT}">{_e(_clip(label))}</text>'
        )
        x = float(left)
        for cat in cats:
            v = max(0.0, counts.get(cat, 0.0))
            if not v or not total:
                continue
            w = v / total * span
            body.append(
                f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" '
                f'fill="{colors[cat]}"><title>{_e(label)} · {_e(cat)}: {_e(_num(v))}'
                f"</title></rect>"
            )
            x += w
        body.append(
            f'<text x="{left + span + 6}" y="{y + 16}" font-size="11" fill="{_MUTED}">'
            f"n={_e(_num(total))}</text>"
        )
    return _svg(width, height, title, body)


def _ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step) * step
    out = []
    t = start
    while t <= hi + 1e-9 * step:
        out.append(round(t, 10))
        t += step
    return out


def ci_plot(
    items: Sequence[tuple[str, Interval]],
    *,
    title: str,
    width: int = 560,
    reference: float | None = None,
) -> str:
    """Point estimates with their confidence intervals, one row each (label, value [low, high],
    n). ``reference`` draws a dashed vertical line (e.g. 0.5 for an AUC)."""
    finite = [(k, iv) for k, iv in items if all(map(math.isfinite, (iv.value, iv.low, iv.high)))]
    if not finite:
        return empty_plot(title, "no estimates with intervals", width=width)
    left, right, row, top = _left([k for k, _ in finite], 34), 150, 24, 40
    lo = min(min(iv.low, iv.value) for _, iv in finite)
    hi = max(max(iv.high, iv.value) for _, iv in finite)
    if reference is not None:
        lo, hi = min(lo, reference), max(hi, reference)
    pad = (hi - lo) * 0.05 or abs(hi) * 0.1 or 1.0
    lo, hi = lo - pad, hi + pad
    span = width - left - right
    height = top + row * len(finite) + 28

    def sx(v: float) -> float:
        return left + (v - lo) / (hi - lo) * span

    body = []
    for t in _ticks(lo, hi):
        x = sx(t)
        body.append(
            f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 22}" '
            f'stroke="{_GRID}"/>'
            f'<text x="{x:.1f}" y="{height - 8}" font-size="10" text-anchor="middle" '
            f'fill="{_MUTED}">{_e(_num(t))}</text>'
        )
    if reference is not None:
        x = sx(reference)
        body.append(
            f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 22}" '
            f'stroke="#999" stroke-dasharray="4 3"/>'
        )
    for i, (label, iv) in enumerate(finite):
        y = top + i * row + row / 2
        n = f" n={iv.n}" if iv.n is not None else ""
        text = f"{_num(iv.value)} [{_num(iv.low)}, {_num(iv.high)}]{n}"
        body.append(
            f'<text x="{left - 8}" y="{y + 4:.1f}" font-size="12" text-anchor="end" '
            f'fill="{_TEXT}">{_e(_clip(label, 34))}</text>'
            f'<line x1="{sx(iv.low):.1f}" y1="{y:.1f}" x2="{sx(iv.high):.1f}" y2="{y:.1f}" '
            f'stroke="{PALETTE[0]}" stroke-width="2"/>'
            f'<circle cx="{sx(iv.value):.1f}" cy="{y:.1f}" r="4" fill="{PALETTE[0]}">'
            f"<title>{_e(label)}: {_e(text)}</title></circle>"
            f'<text x="{left + span + 8}" y="{y + 4:.1f}" font-size="11" '
            f'fill="{_MUTED}">{_e(text)}</text>'
        )
    return _svg(width, height, title, body)


def histogram(
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    x_label: str = "",
    bins: int = 12,
    width: int = 560,
    density: bool | None = None,
) -> str:
    """Histograms of one or more samples on shared bins, drawn as outlined step bars.

    With several series (e.g. simulated against real) the bars are shares of each series
    (``density``) so samples of different sizes compare; the legend gives each ``n``.
    """
    clean = {k: [v for v in vs if math.isfinite(v)] for k, vs in series.items()}
    clean = {k: vs for k, vs in clean.items() if vs}
    if not clean:
        return empty_plot(title, "no values", width=width)
    if density is None:
        density = len(clean) > 1
    lo = min(min(vs) for vs in clean.values())
    hi = max(max(vs) for vs in clean.values())
    if hi == lo:
        lo, hi = lo - 0.5, hi + 0.5
    step = (hi - lo) / bins
    counts: dict[str, list[float]] = {}
    for k, vs in clean.items():
        c = [0.0] * bins
        for v in vs:
            c[min(bins - 1, int((v - lo) / step))] += 1
        counts[k] = [x / len(vs) for x in c] if density else c
    peak = max(max(c) for c in counts.values()) or 1.0
    left, right, top, bottom = 48, 16, 48, 36
    height = 230
    span_x, span_y = width - left - right, height - top - bottom
    body = []
    for t in _ticks(0, peak, 4):
        y = top + span_y - t / peak * span_y
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="{_GRID}"/><text x="{left - 6}" y="{y + 3:.1f}" font-size="10" '
            f'text-anchor="end" fill="{_MUTED}">{_e(_num(t))}</text>'
        )
    for t in _ticks(lo, hi, 6):
        x = left + (t - lo) / (hi - lo) * span_x
        body.append(
            f'<text x="{x:.1f}" y="{height - bottom + 14}" font-size="10" '
            f'text-anchor="middle" fill="{_MUTED}">{_e(_num(t))}</text>'
        )
    if x_label:
        body.append(
            f'<text x="{left + span_x / 2:.1f}" y="{height - 6}" font-size="11" '
            f'text-anchor="middle" fill="{_MUTED}">{_e(x_label)}</text>'
        )
    bw = span_x / bins
    names = [f"{_clip(k, 44)} (n={len(clean[k])})" for k in counts]
    colors = [PALETTE[i % len(PALETTE)] for i in range(len(counts))]
    body.append(_legend(names, colors, left, 30, size=48))
    for s, (name, c) in enumerate(counts.items()):
        color = PALETTE[s % len(PALETTE)]
        for i, v in enumerate(c):
            if not v:
                continue
            h = v / peak * span_y
            x = left + i * bw
            body.append(
                f'<rect x="{x + 1:.1f}" y="{top + span_y - h:.1f}" width="{bw - 2:.1f}" '
                f'height="{h:.1f}" fill="{color}" fill-opacity="{0.75 if s == 0 else 0.45}" '
                f'stroke="{color}"><title>{_e(name)}: {_e(_num(lo + i * step))}–'
                f"{_e(_num(lo + (i + 1) * step))}: {_e(_num(v))}</title></rect>"
            )
    body.append(
        f'<line x1="{left}" y1="{top + span_y}" x2="{width - right}" y2="{top + span_y}" '
        f'stroke="#999"/>'
    )
    return _svg(width, height, title, body)


def line_chart(
    series: Mapping[str, Sequence[tuple[float, float, float | None, float | None]]],
    *,
    title: str,
    x_label: str = "",
    width: int = 560,
) -> str:
    """Lines through ``(x, y, low, high)`` points, with a shaded band where intervals are given
    (drift curves: a score per turn with its bootstrap interval)."""
    clean = {
        k: [p for p in pts if math.isfinite(p[0]) and math.isfinite(p[1])]
        for k, pts in series.items()
    }
    clean = {k: sorted(v) for k, v in clean.items() if v}
    if not clean:
        return empty_plot(title, "no points", width=width)
    xs = [p[0] for pts in clean.values() for p in pts]
    ys = [y for pts in clean.values() for p in pts for y in (p[1], p[2], p[3]) if y is not None]
    ys = [y for y in ys if math.isfinite(y)]
    x_lo, x_hi = min(xs), max(xs)
    y_lo, y_hi = min(ys), max(ys)
    if x_hi == x_lo:
        x_lo, x_hi = x_lo - 1, x_hi + 1
    pad = (y_hi - y_lo) * 0.08 or abs(y_hi) * 0.1 or 1.0
    y_lo, y_hi = y_lo - pad, y_hi + pad
    left, right, top, bottom = 52, 16, 48, 36
    height = 240
    span_x, span_y = width - left - right, height - top - bottom

    def sx(v: float) -> float:
        return left + (v - x_lo) / (x_hi - x_lo) * span_x

    def sy(v: float) -> float:
        return top + span_y - (v - y_lo) / (y_hi - y_lo) * span_y

    body = []
    for t in _ticks(y_lo, y_hi, 4):
        body.append(
            f'<line x1="{left}" y1="{sy(t):.1f}" x2="{width - right}" y2="{sy(t):.1f}" '
            f'stroke="{_GRID}"/><text x="{left - 6}" y="{sy(t) + 3:.1f}" font-size="10" '
            f'text-anchor="end" fill="{_MUTED}">{_e(_num(t))}</text>'
        )
    for t in _ticks(x_lo, x_hi, 6):
        body.append(
            f'<text x="{sx(t):.1f}" y="{height - bottom + 14}" font-size="10" '
            f'text-anchor="middle" fill="{_MUTED}">{_e(_num(t))}</text>'
        )
    if x_label:
        body.append(
            f'<text x="{left + span_x / 2:.1f}" y="{height - 6}" font-size="11" '
            f'text-anchor="middle" fill="{_MUTED}">{_e(x_label)}</text>'
        )
    body.append(
        _legend(list(clean), [PALETTE[i % len(PALETTE)] for i in range(len(clean))], left, 30)
    )
    for s, (name, pts) in enumerate(clean.items()):
        color = PALETTE[s % len(PALETTE)]
        band = [p for p in pts if p[2] is not None and p[3] is not None]
        if len(band) >= 2:
            upper = " ".join(f"{sx(p[0]):.1f},{sy(p[3]):.1f}" for p in band if p[3] is not None)
            lower = " ".join(
                f"{sx(p[0]):.1f},{sy(p[2]):.1f}" for p in reversed(band) if p[2] is not None
            )
            body.append(f'<polygon points="{upper} {lower}" fill="{color}" fill-opacity="0.15"/>')
        line = " ".join(f"{sx(p[0]):.1f},{sy(p[1]):.1f}" for p in pts)
        body.append(f'<polyline points="{line}" fill="none" stroke="{color}" stroke-width="2"/>')
        for p in pts:
            body.append(
                f'<circle cx="{sx(p[0]):.1f}" cy="{sy(p[1]):.1f}" r="3" fill="{color}">'
                f"<title>{_e(name)} @ {_e(_num(p[0]))}: {_e(_num(p[1]))}</title></circle>"
            )
    return _svg(width, height, title, body)
