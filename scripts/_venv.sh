# Shared by quickstart.sh and test.sh: create .venv with Python >= 3.11 and install extras.
# Usage: source scripts/_venv.sh; install_extras "embedded,models"
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

pick_python() {
    for candidate in python3.11 python3.12 python3.13 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return
        fi
    done
    echo "simulacra: error: Python >= 3.11 is required" >&2
    exit 2
}

install_extras() {
    local extras="$1"
    if [ ! -x .venv/bin/python ]; then
        "$(pick_python)" -m venv .venv
        .venv/bin/python -m pip install --quiet --upgrade pip
    fi
    if ! .venv/bin/python -c 'import llama_cpp' >/dev/null 2>&1; then
        echo "simulacra: installing llama-cpp-python. PyPI ships it as source only: the first install" >&2
        echo "           compiles llama.cpp (about 25 minutes on 2 cores); pip caches the result." >&2
    fi
    # Show compile progress ([n/193]) instead of pip's silent spinner; keep the full log.
    if ! .venv/bin/python -m pip install -v -e ".[${extras}]" > >(
        tee .venv/install.log |
            grep --line-buffered -E '^\s*\[[0-9]+/[0-9]+\] |^Successfully installed|^ERROR' |
            sed -u -E 's/^\s*(\[[0-9]+\/[0-9]+\]).*/  compiling llama.cpp \1/' >&2
    ) 2>&1; then
        echo "simulacra: error: install failed; see .venv/install.log" >&2
        exit 2
    fi
    wait
}
