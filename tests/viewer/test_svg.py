"""The shared SVG plots: well-formed, escaped, and honest about empty data."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from simulacra.viewer import _svg
from simulacra.viewer._svg import Interval

HOSTILE = '<script>alert(1)</script>" onload="x'
NS = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    return root


def _texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{NS}text")]


def test_bar_chart_escapes_labels_and_scales_bars() -> None:
    root = _parse(_svg.bar_chart([(HOSTILE, 4.0), ("b", 2.0)], title=HOSTILE))
    assert not list(root.iter(f"{NS}script"))
    assert any(t.startswith("<script>") for t in _texts(root))  # shown as text
    widths = [float(r.get("width", 0)) for r in root.iter(f"{NS}rect")][1:]  # skip background
    assert widths[0] == 2 * widths[1]


def test_stacked_bars_split_rows_by_share() -> None:
    root = _parse(
        _svg.stacked_bars(
            [("run", {"user_stop": 3.0, "max_turns": 1.0})],
            title="t",
            categories=["user_stop", "max_turns"],
        )
    )
    segments = [r for r in root.iter(f"{NS}rect") if r.find(f"{NS}title") is not None]
    w = [float(r.get("width", 0)) for r in segments]
    assert len(w) == 2 and math.isclose(w[0], 3 * w[1], rel_tol=1e-2)
    assert "n=4" in _texts(root)


def test_ci_plot_writes_value_interval_and_n() -> None:
    root = _parse(_svg.ci_plot([("auc", Interval(0.9, 0.8, 0.95, 40))], title="t", reference=0.5))
    assert "0.9 [0.8, 0.95] n=40" in _texts(root)
    assert list(root.iter(f"{NS}circle"))


def test_histogram_density_with_two_series_sums_to_one() -> None:
    svg = _svg.histogram({"sim": [1, 2, 2, 3], "real": [1, 1, 1, 1, 2, 9]}, title="t", bins=4)
    root = _parse(svg)
    titles = [t.text or "" for t in root.iter(f"{NS}title")]
    sim = [float(x.rsplit(": ", 1)[1]) for x in titles if x.startswith("sim:")]
    assert math.isclose(sum(sim), 1.0)
    assert any("(n=6)" in t for t in _texts(root))


def test_line_chart_draws_bands_for_intervals() -> None:
    pts = [(0.0, 1.0, 0.5, 1.5), (1.0, 0.8, 0.4, 1.2), (2.0, 0.6, 0.3, 0.9)]
    root = _parse(_svg.line_chart({"drift": pts}, title="t"))
    assert len(list(root.iter(f"{NS}polygon"))) == 1
    assert len(list(root.iter(f"{NS}circle"))) == 3


def test_empty_inputs_say_why() -> None:
    for svg in (
        _svg.bar_chart([], title="t"),
        _svg.histogram({"x": []}, title="t"),
        _svg.ci_plot([("nan", Interval(math.nan, math.nan, math.nan))], title="t"),
        _svg.line_chart({}, title="t"),
    ):
        assert len(_texts(_parse(svg))) == 2


def test_reports_are_read_by_shape_whatever_their_command() -> None:
    from simulacra.viewer._summary import find_curves, find_estimates, report_kind

    arena = {
        "bradley_terry": {
            "ratings": [
                {"system": "A", "rating": {"value": 1010.0, "low": 990.0, "high": 1030.0}},
                {"system": "B", "rating": {"value": 990.0, "low": 970.0, "high": 1010.0}},
            ]
        }
    }
    assert report_kind("x.json", arena) == "arena"
    labels = [k for k, _ in find_estimates(arena)]
    assert labels == ["bradley_terry.ratings.A.rating", "bradley_terry.ratings.B.rating"]
    assert report_kind("my-drift.json", {"anything": 1}) == "drift"
    curves = find_curves({"a": [1, 2, 3], "b": [{"turn": 2, "value": 1.0}, {"turn": 3, "y": 2}]})
    assert curves["a"][2] == (2.0, 3.0, None, None)
    assert curves["b"] == [(2.0, 1.0, None, None), (3.0, 2.0, None, None)]
    assert find_curves({"c": [1, "x"]}) == {}
