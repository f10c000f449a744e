// Simulacra viewer. Vanilla JS, no dependencies. Transcripts are untrusted: every piece of run
// data reaches the page through text nodes (h() below); nothing is ever assigned to innerHTML.
"use strict";

const state = { runs: null, runDetail: {}, rows: {}, filters: {} };

function h(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "on") for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
    else if (k === "data") for (const [dk, dv] of Object.entries(v)) node.dataset[dk] = String(dv);
    else node[k] = v;
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

function enc(s) { return encodeURIComponent(String(s)); }

async function api(path) {
  const r = await fetch(path, { headers: { Accept: "application/json" } });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error || `HTTP ${r.status}`);
  return body;
}

function fmt(x, digits = 2) {
  if (x === null || x === undefined) return "—";
  if (typeof x !== "number") return String(x);
  if (Number.isInteger(x)) return String(x);
  return x.toFixed(digits);
}

function ci(e) {
  if (!e) return "—";
  return `${fmt(e.value)} [${fmt(e.low)}, ${fmt(e.high)}] n=${e.n}`;
}

function chips(counts, cls) {
  return h("div", { class: "chips" },
    Object.entries(counts || {}).map(([k, v]) =>
      h("span", { class: "chip " + (cls ? cls(k) : "") }, `${k}: ${v}`)));
}

const ERRORS = new Set(["target_error", "simulator_error", "infrastructure_error"]);
function outcomeClass(k) { return ERRORS.has(k) ? "error" : k === "goal_reached" ? "ok" : ""; }

function stat(value, label) { return h("div", { class: "stat" }, h("b", {}, value), h("span", {}, label)); }

function kv(obj) {
  const dl = h("dl", { class: "kv" });
  for (const [k, v] of Object.entries(obj || {})) {
    if (v === null || v === undefined || v === "") continue;
    append(dl, [h("dt", {}, k), h("dd", {}, typeof v === "object" ? JSON.stringify(v) : String(v))]);
  }
  return dl;
}

function flatten(obj, prefix = "", out = {}) {
  for (const [k, v] of Object.entries(obj || {})) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === "object" && !Array.isArray(v)) flatten(v, key, out);
    else if (Array.isArray(v)) { if (v.length) out[key] = v.map((x) => typeof x === "object" ? JSON.stringify(x) : x).join(", "); }
    else if (v !== null && v !== "") out[key] = v;
  }
  return out;
}

// ---------------------------------------------------------------- sidebar

function renderSidebar(route) {
  const side = clear(document.getElementById("sidebar"));
  append(side, [h("h3", {}, "Runs")]);
  for (const r of state.runs || []) {
    const active = route.run === r.index && !route.compare;
    append(side, [h("a", { class: "item" + (active ? " active" : ""), href: `#/run/${r.index}`, title: r.directory },
      r.name, h("small", {}, `${r.conversations} conversations · ${r.status || ""}`))]);
  }
  if (route.run !== undefined && !route.compare && state.rows[route.run]) {
    const rows = state.rows[route.run].rows;
    append(side, [h("h3", {}, `Conversations (${rows.length})`)]);
    for (const row of rows) {
      const active = route.cid === row.id;
      append(side, [h("a", { class: "item" + (active ? " active" : ""), href: `#/run/${route.run}/c/${enc(row.id)}` },
        `${row.profile || "—"} · ${row.scenario_id || ""}`,
        h("small", {}, `${row.turns} turns · ${row.termination || "unfinished"}`))]);
    }
  }
}

// ---------------------------------------------------------------- runs list

function runCard(r) {
  const judges = Object.entries(r.judges || {});
  return h("div", { class: "card run-card", data: { run: r.index } },
    h("h3", {}, h("a", { href: `#/run/${r.index}` }, r.name)),
    h("div", { class: "muted small mono" }, r.directory),
    h("div", { class: "chips" },
      h("span", { class: "chip" }, r.status || "unknown"),
      r.paradigm ? h("span", { class: "chip" }, `paradigm: ${r.paradigm}`) : null,
      Object.entries(r.models || {}).map(([role, m]) => h("span", { class: "chip" }, `${role}: ${m}`))),
    h("div", { class: "stats" },
      stat(String(r.conversations), "conversations"),
      stat(String(r.turns), "turns"),
      stat(r.mean_turns ? fmt(r.mean_turns.value) : "—", r.mean_turns ? `mean turns [${fmt(r.mean_turns.low)}, ${fmt(r.mean_turns.high)}]` : "mean turns"),
      stat(String(r.errors), "errors"),
      r.simulator ? stat(String(r.simulator.invalid), `simulator invalid of ${r.simulator.gated} [${fmt(r.simulator.invalid_rate.low)}, ${fmt(r.simulator.invalid_rate.high)}]`) : null),
    h("div", { class: "small muted" }, "termination"), chips(r.termination, outcomeClass),
    h("div", { class: "small muted" }, "ended_by"), chips(r.ended_by),
    judges.length ? [h("div", { class: "small muted" }, "judge scores (mean, 95% CI)"),
      judges.map(([k, e]) => h("div", { class: "small" }, `${k}: ${ci(e)}`))] : null,
    r.reports.length ? h("div", { class: "small muted" }, "reports: " + r.reports.map((x) => `${x.file} (${x.kind})`).join(", ")) : null);
}

function renderRuns() {
  const main = clear(document.getElementById("main"));
  append(main, [h("h1", {}, "Runs"),
    h("p", { class: "muted" }, `${state.runs.length} run(s) loaded. Open one to browse its conversations, or compare two.`),
    h("div", { class: "cards", id: "run-list" }, state.runs.map(runCard))]);
}

// ---------------------------------------------------------------- one run

function filterQuery(f) {
  const p = new URLSearchParams();
  if (f.attrKey && f.attrValue !== undefined && f.attrValue !== "") p.append("attr", `${f.attrKey}:${f.attrValue}`);
  for (const k of ["outcome", "scenario", "min_score", "max_score", "q"]) if (f[k]) p.append(k, f[k]);
  return p.toString();
}

async function loadRows(run) {
  const q = filterQuery(state.filters[run] || {});
  state.rows[run] = await api(`/api/runs/${run}/conversations${q ? "?" + q : ""}`);
  return state.rows[run];
}

function select(name, options, value, label) {
  const s = h("select", { name, id: `f-${name}` }, h("option", { value: "" }, "any"),
    options.map((o) => h("option", { value: o, selected: o === value }, o)));
  return h("label", {}, label, s);
}

function filtersForm(run, detail, onApply) {
  const f = state.filters[run] || (state.filters[run] = {});
  const keys = Object.keys(detail.facets || {});
  const attrKey = select("attrKey", keys, f.attrKey, "profile attribute");
  const attrValue = select("attrValue", f.attrKey ? detail.facets[f.attrKey] || [] : [], f.attrValue, "value");
  attrKey.querySelector("select").addEventListener("change", (ev) => {
    const vs = detail.facets[ev.target.value] || [];
    const sel = clear(attrValue.querySelector("select"));
    append(sel, [h("option", { value: "" }, "any"), vs.map((v) => h("option", { value: v }, v))]);
  });
  const outcomes = [...new Set([...Object.keys(detail.termination || {}), ...Object.keys(detail.ended_by || {})])];
  const form = h("form", { class: "filters", id: "filters" },
    attrKey, attrValue,
    select("outcome", outcomes, f.outcome, "outcome / ended_by"),
    select("scenario", detail.scenario_ids || [], f.scenario, "scenario"),
    h("label", {}, "min score", h("input", { type: "number", step: "any", name: "min_score", id: "f-min_score", value: f.min_score || "" })),
    h("label", {}, "max score", h("input", { type: "number", step: "any", name: "max_score", id: "f-max_score", value: f.max_score || "" })),
    h("label", {}, "text", h("input", { type: "search", name: "q", id: "f-q", value: f.q || "", placeholder: "in any utterance" })),
    h("button", { type: "submit", id: "f-apply" }, "Apply"),
    h("button", { type: "button", class: "secondary", id: "f-reset", on: { click: () => { state.filters[run] = {}; onApply(true); } } }, "Reset"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    state.filters[run] = Object.fromEntries([...data.entries()].filter(([, v]) => v !== ""));
    onApply(false);
  });
  return form;
}

function rowsTable(run, rows) {
  return h("table", { id: "conversations" },
    h("thead", {}, h("tr", {}, ["conversation", "scenario", "profile", "turns", "termination", "ended by", "score", "first message"].map((x) => h("th", {}, x)))),
    h("tbody", {}, rows.map((r) => h("tr", { data: { id: r.id } },
      h("td", { class: "mono" }, h("a", { href: `#/run/${run}/c/${enc(r.id)}` }, r.id.slice(0, 12))),
      h("td", {}, r.scenario_id || "—"),
      h("td", {}, r.profile || "—"),
      h("td", {}, String(r.turns)),
      h("td", {}, h("span", { class: "chip " + outcomeClass(r.termination) }, r.termination || "unfinished")),
      h("td", {}, r.ended_by || "—"),
      h("td", {}, fmt(r.score)),
      h("td", { class: "preview", title: r.preview }, r.preview)))));
}

async function renderRun(route) {
  const run = route.run;
  const detail = state.runDetail[run] || (state.runDetail[run] = await api(`/api/runs/${run}`));
  const data = state.rows[run] || await loadRows(run);
  renderSidebar(route);
  const main = clear(document.getElementById("main"));
  const tableHolder = h("div", { id: "table-holder" });
  const count = h("p", { class: "muted", id: "row-count" });
  const refresh = async (reset) => {
    const d = await loadRows(run);
    if (reset) { renderRun(route); return; }
    clear(tableHolder).appendChild(rowsTable(run, d.rows));
    count.textContent = `${d.rows.length} of ${d.total} conversations`;
    renderSidebar(route);
  };
  const spec = {
    config: detail.config_path, scenarios: detail.scenarios, profiles: detail.profiles,
    epochs: detail.epochs, paradigm: detail.paradigm, ...flatten(detail.stop ? { stop: detail.stop } : {}),
  };
  append(main, [
    h("h1", {}, detail.name),
    h("div", { class: "muted small mono" }, detail.directory),
    h("div", { class: "cards" }, runCard(detail), h("div", { class: "card" }, h("h3", {}, "Spec"), kv(spec),
      detail.notes.length ? h("div", { class: "notice" }, detail.notes.join("; ")) : null)),
    h("h2", {}, "Plots"),
    h("div", { class: "plots" }, detail.plots.map((p) => h("img", { src: `/api/runs/${run}/plots/${enc(p)}.svg`, alt: p, loading: "lazy" }))),
    h("h2", {}, "Conversations"),
    filtersForm(run, detail, refresh), count, tableHolder]);
  count.textContent = `${data.rows.length} of ${data.total} conversations`;
  tableHolder.appendChild(rowsTable(run, data.rows));
}

// ---------------------------------------------------------------- one conversation

function callBox(c) {
  const usage = c.usage || {};
  const head = `${c.role || "?"} · ${c.model || "?"} · ${c.latency_s !== undefined ? fmt(c.latency_s) + " s" : "—"} · ` +
    `${usage.prompt_tokens ?? "?"} + ${usage.completion_tokens ?? "?"} tokens` + (c.cached ? " · cached" : "");
  return h("details", { class: "call" }, h("summary", {}, head),
    h("div", { class: "box" },
      kv({ call_id: c.call_id, attempts: c.attempts, finish_reason: c.finish_reason, templates: (c.templates || []).join(", "), error: c.error, config: c.config ? JSON.stringify(c.config) : null }),
      (c.messages || []).map((m) => h("div", {}, h("b", { class: "small" }, m.role), h("pre", {}, m.content))),
      c.output !== undefined ? [h("b", { class: "small" }, "output"), h("pre", {}, c.output)] : null));
}

function turnNode(t, i) {
  const tok = t.tokens && (t.tokens.prompt_tokens || t.tokens.completion_tokens)
    ? `${t.tokens.prompt_tokens || 0}+${t.tokens.completion_tokens || 0} tok` : null;
  const meta = [`#${t.index}`, t.latency_s !== null ? `${fmt(t.latency_s)} s` : null, tok].filter(Boolean).join(" · ");
  const plainMeta = Object.fromEntries(Object.entries(t.metadata || {}));
  return h("div", { class: `turn ${t.kind}${t.kind === "agent" && i % 2 ? " odd" : ""}`, data: { index: t.index } },
    h("div", { class: "who" }, t.name, h("span", { class: "meta" }, `${t.kind.replace("_", " ")} · ${meta}`)),
    h("div", { class: "text" }, t.utterance),
    t.reasoning ? h("details", { class: "reasoning-box" }, h("summary", {}, "hidden reasoning (not shown to the other side)"),
      h("div", { class: "box reasoning" }, t.reasoning)) : null,
    t.retrieved.length ? h("details", { class: "retrieved" }, h("summary", {}, `retrieved context (${t.retrieved.length})`),
      h("div", { class: "box" }, t.retrieved.map((r) => h("div", {}, h("span", { class: "chip" }, `${r.stage}${r.id ? " · " + r.id : ""}`), " ", r.text)))) : null,
    t.model_calls.length ? h("details", {}, h("summary", {}, `model calls (${t.model_calls.length})`), t.model_calls.map(callBox)) : null,
    t.verdicts.length ? h("details", { open: true }, h("summary", {}, `judge verdicts (${t.verdicts.length})`),
      h("div", { class: "box" }, t.verdicts.map((v) => h("div", {}, `${v.judge}${v.rubric ? " · " + v.rubric : ""}: `,
        Object.entries(v.scores || {}).map(([k, s]) => `${k}=${fmt(s)}`).join(", "), v.error ? ` (${v.error})` : "",
        v.explanation ? h("div", { class: "muted" }, v.explanation) : null)))) : null,
    Object.keys(plainMeta).length ? h("details", {}, h("summary", {}, "turn metadata"), h("div", { class: "box" }, kv(plainMeta))) : null);
}

function endNode(c) {
  const err = ERRORS.has(c.termination);
  return h("div", { class: "end" + (err ? " error" : ""), id: "termination" },
    `Ended: ${c.termination || "unfinished"} · by ${c.ended_by || "—"}`, c.error ? ` · ${c.error}` : "");
}

function transcript(c) {
  return h("div", { class: "transcript" }, c.turn_list.map(turnNode), endNode(c));
}

function sidePanel(c) {
  const sims = c.participants.filter((p) => p.profile);
  return h("div", { class: "side" },
    c.goal ? [h("h2", {}, "Goal"), h("div", { class: "goal", id: "goal" }, c.goal)] : null,
    h("h2", {}, "Profile"),
    sims.length ? sims.map((p) => h("div", { class: "card profile" }, h("h3", {}, p.name), kv(flatten(p.profile))))
      : h("p", { class: "muted" }, "no profile (general or paradigm participants)"),
    h("h2", {}, "Participants"),
    h("div", { class: "chips" }, c.participants.map((p) => h("span", { class: "chip" }, `${p.name} (${p.kind})`))),
    h("h2", {}, "Outcome"),
    kv({ termination: c.termination, ended_by: c.ended_by, error: c.error, turns: c.turns, "judge score": c.score !== null ? fmt(c.score) : null,
      "duration (s)": c.duration_s,
      tokens: c.usage && c.usage.prompt_tokens !== undefined ? `${c.usage.prompt_tokens} prompt + ${c.usage.completion_tokens ?? 0} completion` : null }),
    Object.keys(c.metadata || {}).length ? [h("h2", {}, "Metadata"), kv(c.metadata)] : null,
    c.conversation_verdicts.length ? [h("h2", {}, "Verdicts"), c.conversation_verdicts.map((v) => h("div", { class: "small" },
      `${v.judge}: ${Object.entries(v.scores || {}).map(([k, s]) => `${k}=${fmt(s)}`).join(", ")}`))] : null,
    c.events.length ? [h("h2", {}, `Events (${c.events.length})`), c.events.map((e) => h("details", {}, h("summary", {}, `${e.type || "event"}${e.turn !== undefined ? " @" + e.turn : ""}`), h("div", { class: "box" }, kv(flatten(e)))))] : null);
}

async function renderConversation(route) {
  const run = route.run;
  if (!state.runs) state.runs = await api("/api/runs");
  if (!state.rows[run]) await loadRows(run);
  const c = await api(`/api/runs/${run}/conversations/${enc(route.cid)}`);
  renderSidebar(route);
  const main = clear(document.getElementById("main"));
  append(main, [
    h("div", { class: "small" }, h("a", { href: `#/run/${run}` }, `← ${c.run_name}`)),
    h("h1", { class: "mono" }, c.id),
    h("div", { class: "muted" }, `scenario ${c.scenario_id || "—"} · profile ${c.profile || "—"}${c.epoch !== null && c.epoch !== undefined ? " · epoch " + c.epoch : ""}`),
    h("div", { class: "conv" }, sidePanel(c), h("div", {}, h("h2", {}, "Transcript"), transcript(c)))]);
}

// ---------------------------------------------------------------- compare two runs

async function renderCompare(route) {
  const n = state.runs.length;
  const a = route.a ?? 0;
  const b = route.b ?? Math.min(1, n - 1);
  renderSidebar(route);
  const main = clear(document.getElementById("main"));
  const pick = (name, value) => h("label", {}, `run ${name}`, h("select", { id: `cmp-${name}`, on: { change: go } },
    state.runs.map((r) => h("option", { value: r.index, selected: r.index === value }, `${r.index}: ${r.name}`))));
  function go() {
    location.hash = `#/compare/${document.getElementById("cmp-a").value}/${document.getElementById("cmp-b").value}`;
  }
  append(main, [h("h1", {}, "Compare two runs"),
    h("form", { class: "filters" }, pick("a", a), pick("b", b))]);
  if (n < 2) append(main, [h("p", { class: "notice" }, "Only one run is loaded: it is compared with itself.")]);
  const data = await api(`/api/compare/${a}/${b}`);
  const pairView = h("div", { class: "compare", id: "pair-view" });
  const table = h("table", { class: "pairs", id: "pairs" },
    h("thead", {}, h("tr", {}, ["scenario", "profile", "epoch", "A turns", "A outcome", "A score", "B turns", "B outcome", "B score"].map((x) => h("th", {}, x)))),
    h("tbody", {}));
  const body = table.querySelector("tbody");
  data.pairs.forEach((p, i) => {
    const x = p.a || {}, y = p.b || {};
    const tr = h("tr", { data: { pair: i } },
      h("td", {}, x.scenario_id || y.scenario_id || "—"), h("td", {}, x.profile || y.profile || "—"),
      h("td", {}, String(x.epoch ?? y.epoch ?? "—")),
      h("td", {}, p.a ? String(x.turns) : "—"), h("td", {}, x.termination || "—"), h("td", {}, fmt(x.score)),
      h("td", {}, p.b ? String(y.turns) : "—"), h("td", {}, y.termination || "—"), h("td", {}, fmt(y.score)));
    tr.addEventListener("click", () => showPair(i));
    body.appendChild(tr);
  });
  async function side(run, row, label) {
    if (!row) return h("div", {}, h("h2", {}, label), h("p", { class: "muted" }, "no matching conversation"));
    const c = await api(`/api/runs/${run}/conversations/${enc(row.id)}`);
    return h("div", { class: "pair-side" }, h("h2", {}, label),
      h("div", { class: "small mono" }, h("a", { href: `#/run/${run}/c/${enc(c.id)}` }, c.id)),
      c.goal ? h("div", { class: "goal" }, c.goal) : null, transcript(c));
  }
  async function showPair(i) {
    for (const tr of body.querySelectorAll("tr")) tr.classList.toggle("sel", tr.dataset.pair === String(i));
    const p = data.pairs[i];
    const [l, r] = await Promise.all([side(a, p.a, `A: ${data.a.name}`), side(b, p.b, `B: ${data.b.name}`)]);
    append(clear(pairView), [l, r]);
  }
  append(main, [
    h("div", { class: "cards" }, runCard(data.a), runCard(data.b)),
    h("h2", {}, "Plots"),
    h("div", { class: "plots" }, ["outcomes", "estimates"].map((p) => h("img", { src: `/api/compare/${a}/${b}/plots/${p}.svg`, alt: p }))),
    h("h2", {}, `Paired conversations (${data.pairs.length}, by scenario, profile and epoch)`), table,
    pairView]);
  if (data.pairs.length) await showPair(0);
}

// ---------------------------------------------------------------- router

function parseRoute() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "run" && /^\d+$/.test(parts[1] || "")) {
    const run = Number(parts[1]);
    if (parts[2] === "c" && parts[3]) return { page: "conversation", run, cid: parts[3] };
    return { page: "run", run };
  }
  if (parts[0] === "compare") {
    const a = /^\d+$/.test(parts[1] || "") ? Number(parts[1]) : undefined;
    const b = /^\d+$/.test(parts[2] || "") ? Number(parts[2]) : undefined;
    return { page: "compare", compare: true, a, b };
  }
  return { page: "runs" };
}

async function route() {
  const r = parseRoute();
  try {
    if (!state.runs) state.runs = await api("/api/runs");
    if (r.page === "run") await renderRun(r);
    else if (r.page === "conversation") await renderConversation(r);
    else if (r.page === "compare") await renderCompare(r);
    else { renderSidebar(r); renderRuns(); }
    document.body.dataset.page = r.page;
    document.body.dataset.ready = "1";
  } catch (err) {
    append(clear(document.getElementById("main")), [h("p", { class: "notice", id: "error" }, String(err.message || err))]);
    document.body.dataset.ready = "1";
  }
}

window.addEventListener("hashchange", () => { document.body.dataset.ready = "0"; route(); });
window.addEventListener("DOMContentLoaded", route);
