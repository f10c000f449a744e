#!/usr/bin/env bash
# Recipe 1 in one command: start the Cycle Lab chatbot, run the persona population against it,
# judge every conversation, stop the bot. MODEL / JUDGE override the embedded default model.
set -euo pipefail
cd "$(dirname "$0")/../.."
SIMULACRA=${SIMULACRA:-.venv/bin/simulacra}
PYTHON=${PYTHON:-.venv/bin/python}
JUDGE=${JUDGE:-embedded:default}
"$PYTHON" examples/recipes/chatbot_server.py --port 8765 &
BOT=$!
trap 'kill $BOT' EXIT
sleep 1
RUN=$("$SIMULACRA" run -q examples/recipes/http_chatbot.yaml)
"$SIMULACRA" eval "$RUN" --judge "$JUDGE" --rubric satisfaction -o "$RUN/report.json"
"$SIMULACRA" show "$RUN" | head -40
