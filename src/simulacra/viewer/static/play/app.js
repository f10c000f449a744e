// Simulacra play page. Every text from the server is written with textContent: a message that
// contains markup shows it as text. No innerHTML anywhere.
"use strict";

const POLL_MS = 500;
let shown = -1; // log entries rendered so far (-1: nothing yet)
let ended = false;

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

function render(log) {
  if (log.length === shown) return;
  shown = log.length;
  const notes = document.getElementById("notes");
  const transcript = document.getElementById("transcript");
  clear(notes);
  clear(transcript);
  for (const entry of log) {
    if (entry.kind === "note") {
      notes.appendChild(el("p", "", entry.text));
      continue;
    }
    const turn = el("div", "turn" + (entry.own ? " own" : ""));
    turn.appendChild(el("span", "speaker", entry.speaker + ":"));
    turn.appendChild(document.createTextNode(entry.text));
    transcript.appendChild(turn);
  }
  notes.hidden = !notes.firstChild;
  window.scrollTo(0, document.body.scrollHeight);
}

function setControls(enabled) {
  for (const id of ["send", "skip", "quit"]) document.getElementById(id).disabled = !enabled;
}

function showOutcome(state) {
  const box = document.getElementById("outcome");
  clear(box);
  box.hidden = false;
  box.appendChild(el("h2", "", "The conversation has ended"));
  const o = state.outcome;
  if (o) {
    box.appendChild(el("p", "", `${o.termination} (by ${o.ended_by || "nobody"}), ${o.turns} turns`));
    if (o.error) box.appendChild(el("p", "error", o.error));
    const where = el("p", "", "Run directory: ");
    where.appendChild(el("code", "", o.run_dir));
    box.appendChild(where);
  }
  if (state.error) box.appendChild(el("p", "error", `Play failed: ${state.error}`));
  document.getElementById("say").hidden = true;
}

async function poll() {
  let state;
  try {
    const response = await fetch("/api/state", { cache: "no-store" });
    state = await response.json();
  } catch (err) {
    document.getElementById("turn").textContent = "Server unreachable";
    if (!ended) setTimeout(poll, POLL_MS * 4);
    return;
  }
  document.getElementById("name").textContent = state.name;
  render(state.log);
  if (state.ended) {
    ended = true;
    document.getElementById("turn").textContent = "Ended";
    showOutcome(state);
    return;
  }
  document.getElementById("turn").textContent = state.your_turn ? "Your turn" : "Waiting for the others…";
  setControls(state.your_turn);
  setTimeout(poll, POLL_MS);
}

async function say(text) {
  const error = document.getElementById("error");
  error.textContent = "";
  setControls(false);
  const response = await fetch("/api/say", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text }),
  });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    error.textContent = body.error || `error ${response.status}`;
    setControls(true);
    return false;
  }
  return true;
}

document.addEventListener("DOMContentLoaded", () => {
  const line = document.getElementById("line");
  document.getElementById("say").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!line.value.trim()) return;
    if (await say(line.value)) line.value = "";
    line.focus();
  });
  document.getElementById("skip").addEventListener("click", () => say("/skip"));
  document.getElementById("quit").addEventListener("click", () => say("/quit"));
  setControls(false);
  line.focus();
  poll();
});
