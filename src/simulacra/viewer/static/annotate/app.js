// Simulacra annotation page. Every text from the study is written with textContent: a transcript
// that contains markup shows it as text. No innerHTML anywhere.
"use strict";

const state = { study: null, index: 0 };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child) node.appendChild(child);
  return node;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

function turnNode(line, extraClass) {
  const cut = line.indexOf(": ");
  const speaker = cut > 0 ? line.slice(0, cut) : "";
  const text = cut > 0 ? line.slice(cut + 2) : line;
  const isSystem = speaker.startsWith("System");
  const node = el("div", { class: "turn" + (isSystem ? " system" : "") + (extraClass || "") });
  if (speaker) node.appendChild(el("span", { class: "speaker", text: speaker + ":" }));
  node.appendChild(document.createTextNode(text));
  return node;
}

function transcript(lines) {
  const box = el("div", { class: "transcript" });
  for (const line of lines || []) box.appendChild(turnNode(line));
  return box;
}

function progress() {
  const s = state.study;
  const done = Object.keys(s.done).length;
  document.getElementById("progress").textContent =
    `${done} / ${s.tasks.length} rated · item ${state.index + 1} of ${s.tasks.length}`;
}

function likertControls(task, saved) {
  const s = state.study;
  const box = el("div", { class: "panel", id: "rating" });
  for (const dim of s.dimensions) {
    const block = el("fieldset", { class: "dimension", "data-dimension": dim.name });
    block.appendChild(el("legend", { class: "name", text: `${dim.name}: ${dim.description}` }));
    const scale = el("div", { class: "scale" });
    for (let v = s.scale.min; v <= s.scale.max; v++) {
      const input = el("input", { type: "radio", name: dim.name, value: String(v) });
      if (saved && saved[dim.name] === v) input.checked = true;
      const anchor = (dim.anchors || {})[String(v)] || "";
      const label = el("label", { title: anchor }, input, el("span", { class: "point", text: String(v) }));
      if (anchor) label.appendChild(el("span", { class: "anchor", text: anchor }));
      scale.appendChild(label);
    }
    block.appendChild(scale);
    box.appendChild(block);
  }
  return box;
}

function pairwiseControls(task, saved) {
  const box = el("div", { class: "panel", id: "rating" });
  const block = el("fieldset", { class: "dimension", "data-dimension": "preference" });
  block.appendChild(el("legend", { class: "name", text: state.study.question || "Which is better?" }));
  const scale = el("div", { class: "scale" });
  for (const [value, text] of [["A", "A is better"], ["tie", "About the same"], ["B", "B is better"]]) {
    const input = el("input", { type: "radio", name: "preference", value });
    if (saved && saved.preference === value) input.checked = true;
    scale.appendChild(el("label", {}, input, el("span", { class: "point", text })));
  }
  block.appendChild(scale);
  box.appendChild(block);
  return box;
}

function collect() {
  const values = {};
  for (const block of document.querySelectorAll("#rating fieldset")) {
    const name = block.getAttribute("data-dimension");
    const checked = block.querySelector("input:checked");
    if (!checked) return { missing: name };
    values[name] = state.study.kind === "pairwise" ? checked.value : Number(checked.value);
  }
  return { values };
}

function setStatus(text, kind) {
  const node = document.getElementById("status");
  node.textContent = text;
  node.className = "status " + (kind || "");
}

async function save() {
  const task = state.study.tasks[state.index];
  const got = collect();
  if (got.missing) {
    setStatus(`Rate “${got.missing}” first.`, "error");
    return;
  }
  let response;
  try {
    response = await fetch("/api/ratings", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ task_id: task.task_id, values: got.values }),
    });
  } catch (err) {
    setStatus("Could not reach the server: " + err, "error");
    return;
  }
  const body = await response.json();
  if (!response.ok) {
    setStatus("Not saved: " + (body.error || response.status), "error");
    return;
  }
  state.study.done[task.task_id] = got.values;
  if (state.index < state.study.tasks.length - 1) {
    state.index += 1;
    render();
    setStatus("Saved.", "ok");
  } else {
    render();
    setStatus(`Saved. All ${body.done} of ${body.total} items are rated — thank you.`, "ok");
  }
}

function render() {
  const s = state.study;
  const main = document.getElementById("main");
  clear(main);
  progress();
  const task = s.tasks[state.index];
  const head = el("div", { class: "panel" });
  const title = el("div", { class: "task-head" }, el("h2", { text: `Item ${state.index + 1}` }));
  title.appendChild(el("span", { class: "muted", text: task.task_id }));
  head.appendChild(title);
  if (s.instructions) head.appendChild(el("p", { class: "instructions", text: s.instructions }));
  if (task.goal) head.appendChild(el("p", { class: "goal", text: "What the user wanted: " + task.goal }));
  main.appendChild(head);
  const saved = s.done[task.task_id];
  if (s.kind === "pairwise") {
    const pair = el("div", { class: "pair" });
    pair.appendChild(el("div", { class: "panel", id: "side-a" }, el("h3", { text: "A" }), transcript(task.a)));
    pair.appendChild(el("div", { class: "panel", id: "side-b" }, el("h3", { text: "B" }), transcript(task.b)));
    main.appendChild(pair);
    main.appendChild(pairwiseControls(task, saved));
  } else {
    const shown = el("div", { class: "panel", id: "item" }, transcript(task.context));
    if (task.response !== null && task.response !== undefined) {
      shown.appendChild(el("p", { class: "muted", text: "Rate this response:" }));
      shown.appendChild(turnNode("System: " + task.response, " judged"));
    }
    main.appendChild(shown);
    main.appendChild(likertControls(task, saved));
  }
  const prev = el("button", { id: "prev", text: "← Previous" });
  prev.disabled = state.index === 0;
  prev.addEventListener("click", () => { state.index -= 1; render(); });
  const next = el("button", { id: "next", text: "Skip →" });
  next.disabled = state.index >= s.tasks.length - 1;
  next.addEventListener("click", () => { state.index += 1; render(); });
  const submit = el("button", { id: "save", class: "primary", text: saved ? "Update rating" : "Save rating" });
  submit.addEventListener("click", save);
  main.appendChild(el("div", { class: "actions" }, prev, submit, next, el("span", { id: "status", class: "status" })));
}

async function start() {
  const response = await fetch("/api/study");
  state.study = await response.json();
  document.getElementById("annotator").textContent = state.study.annotator;
  const firstOpen = state.study.tasks.findIndex((t) => !(t.task_id in state.study.done));
  state.index = firstOpen >= 0 ? firstOpen : 0;
  render();
}

start().catch((err) => {
  const main = document.getElementById("main");
  clear(main);
  main.appendChild(el("p", { class: "status error", text: "Could not load the study: " + err }));
});
