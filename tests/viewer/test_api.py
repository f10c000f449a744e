"""The viewer's API through Starlette's TestClient: data, filters, escaping, path safety."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from starlette.testclient import TestClient

from simulacra.viewer import load_runs
from simulacra.viewer._app import CSP, create_app
from tests.viewer._golden import XSS, Golden


@pytest.fixture(scope="module")
def client(golden: Golden) -> TestClient:
    app = create_app(load_runs([golden.a, golden.b]))
    return TestClient(app, base_url="http://127.0.0.1")


def test_run_list_has_counts_outcomes_and_judge_scores(client: TestClient) -> None:
    runs = client.get("/api/runs").json()
    assert [r["name"] for r in runs] == ["hotel-a", "hotel-b"]
    a = runs[0]
    assert a["conversations"] == 4 and a["turns"] == 11
    assert a["termination"] == {
        "goal_reached": 1,
        "user_stop": 1,
        "max_turns": 1,
        "target_error": 1,
    }
    assert a["ended_by"]["assistant"] == 1 and a["errors"] == 1
    assert a["mean_turns"]["n"] == 4 and a["mean_turns"]["low"] <= 2.75 <= a["mean_turns"]["high"]
    judge = a["judges"]["baseline/features@1"]
    assert judge["value"] == pytest.approx(3.0) and judge["n"] == 3
    kinds = {r["file"]: r["kind"] for r in a["reports"]}
    assert kinds == {"drift.json": "drift", "eval.json": "metrics"}
    assert any("broken.json" in n for n in a["notes"])
    assert runs[1]["judges"] == {}


def test_conversation_detail_has_profile_goal_reasoning_retrieval_calls(
    client: TestClient, golden: Golden
) -> None:
    c = client.get(f"/api/runs/0/conversations/{golden.reasoning_id}").json()
    assert c["goal"].startswith("Book a double room")
    assert c["profile_fields"]["attributes.occupation"] == "nurse"
    first = c["turn_list"][0]
    assert first["reasoning"] == "I should give my dates first, then my name."
    assert [r["text"] for r in first["retrieved"]] == [
        "I need a room for two nights",
        "What is the price per night?",
    ]
    assert first["retrieved"][0]["id"] == "mw-1"
    assert first["model_calls"][0]["usage"] == {"prompt_tokens": 100, "completion_tokens": 10}
    assert first["latency_s"] == 0.25 and first["tokens"]["completion_tokens"] == 10
    assert c["turn_list"][1]["verdicts"][0]["scores"] == {"score": 4.5}
    assert c["termination"] == "goal_reached" and c["ended_by"] == "goal_check"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("attr=attributes.occupation:nurse", {"a-maya-book", "a-maya-breakfast"}),
        ("attr=profile_id:tomas", {"a-tomas-book"}),
        ("outcome=target_error", {"a-general-breakfast"}),
        ("outcome=goal_check", {"a-maya-book"}),
        ("min_score=2", {"a-maya-book", "a-maya-breakfast"}),
        ("max_score=2", {"a-tomas-book"}),
        ("scenario=ask-breakfast&attr=kind:persona", {"a-maya-breakfast"}),
        ("q=10:30", {"a-maya-breakfast"}),
    ],
)
def test_filters(client: TestClient, query: str, expected: set[str]) -> None:
    data = client.get(f"/api/runs/0/conversations?{query}").json()
    assert data["total"] == 4
    assert {r["id"] for r in data["rows"]} == expected


def test_bad_filter_is_400(client: TestClient) -> None:
    assert client.get("/api/runs/0/conversations?min_score=high").status_code == 400
    assert client.get("/api/runs/0/conversations?attr=nocolon").status_code == 400


def test_facets_list_filterable_profile_fields(client: TestClient) -> None:
    facets = client.get("/api/runs/0").json()["facets"]
    assert facets["attributes.occupation"] == ["nurse", "teacher"]
    assert "profile_id" in facets


def test_compare_pairs_by_scenario_and_profile(client: TestClient) -> None:
    data = client.get("/api/compare/0/1").json()
    pairs = {(p["a"] or {}).get("id"): (p["b"] or {}).get("id") for p in data["pairs"]}
    assert pairs["a-maya-book"] == "b-maya-book"
    assert pairs["a-tomas-book"] == "b-tomas-book"
    assert pairs["a-general-breakfast"] == "b-general-breakfast"
    assert pairs["a-maya-breakfast"] is None
    svg = client.get("/api/compare/0/1/plots/outcomes.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    ET.fromstring(svg.text)


def test_every_plot_is_wellformed_svg_with_escaped_labels(client: TestClient) -> None:
    names = client.get("/api/runs/0").json()["plots"]
    # report-0: drift.json (its curve and its slope/mean estimates), report-1: eval.json
    assert {"termination", "ended_by", "profiles", "judges"} <= set(names)
    assert {"report-0-curve", "report-0", "report-1"} <= set(names)
    assert "report-1-curve" not in names
    for name in names:
        r = client.get(f"/api/runs/0/plots/{name}.svg")
        assert r.status_code == 200, name
        ET.fromstring(r.text)  # escaped labels keep it well-formed XML
        assert "<i>" not in r.text and "<script" not in r.text
    profiles = client.get("/api/runs/0/plots/profiles.svg").text
    assert "tomas" in profiles
    drift = ET.fromstring(client.get("/api/runs/0/plots/report-0-curve.svg").text)
    ns = "{http://www.w3.org/2000/svg}"
    assert len(list(drift.iter(f"{ns}circle"))) == 4  # one point per user turn
    assert len(list(drift.iter(f"{ns}polygon"))) == 1  # its interval band
    slopes = client.get("/api/runs/0/plots/report-0.svg").text
    assert "slopes.persona" in slopes and "-0.1 [-0.15, -0.05] n=4" in slopes


def test_hostile_utterance_is_returned_as_data_not_markup(
    client: TestClient, golden: Golden
) -> None:
    c = client.get(f"/api/runs/0/conversations/{golden.xss_id}")
    assert c.headers["content-type"].startswith("application/json")
    assert c.json()["turn_list"][0]["utterance"] == XSS


def test_security_headers_on_pages_api_and_errors(client: TestClient) -> None:
    for path in ("/", "/static/app.js", "/api/runs", "/api/runs/7", "/nowhere"):
        r = client.get(path)
        assert r.headers["content-security-policy"] == CSP, path
        assert r.headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP


@pytest.mark.parametrize(
    "path",
    [
        "/api/runs/../../etc/passwd",
        "/api/runs/%2e%2e/%2e%2e/etc/passwd",
        "/api/runs/0/conversations/..%2f..%2frun.json",
        "/api/runs/0/conversations/%2e%2e%2fconversations.jsonl",
        "/api/runs/0/plots/..%2f..%2frun.json.svg",
        "/static/../../../etc/passwd",
        "/static/..%2f..%2f..%2fetc%2fpasswd",
        "/static/_app.py",
        "/api/runs/2",
        "/api/runs/-1",
        "/api/runs/0x0",
        "/run.json",
        "/api/compare/0/9",
    ],
)
def test_traversal_and_unknown_paths_are_404(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404, path
    assert "root:" not in r.text and "schema_version" not in r.text


def test_foreign_host_header_is_refused(client: TestClient) -> None:
    assert client.get("/api/runs", headers={"host": "evil.example"}).status_code == 400
    assert client.get("/api/runs", headers={"host": "localhost:8000"}).status_code == 200
