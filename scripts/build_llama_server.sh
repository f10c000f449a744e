#!/usr/bin/env bash
# Build llama.cpp's own server (llama-server) from the llama.cpp sources vendored in the
# llama-cpp-python sdist that the install already uses, and put it where `engine: server` looks:
#   ${SIMULACRA_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/simulacra}/bin/llama-server
# No network beyond PyPI: pip downloads (and caches) the sdist. Compiling takes 5-15 minutes of
# both cores on a 2-core machine.
# Usage: scripts/build_llama_server.sh [--if-missing] [--jobs N]
#   --if-missing: do nothing when a binary built from the installed llama-cpp-python is there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
JOBS="$(nproc)"
IF_MISSING=0
while [ $# -gt 0 ]; do
    case "$1" in
        --if-missing) IF_MISSING=1; shift ;;
        --jobs) JOBS="$2"; shift 2 ;;
        *) echo "simulacra: error: unknown option $1 (--if-missing, --jobs N)" >&2; exit 2 ;;
    esac
done

VERSION="$("$PY" -c 'import importlib.metadata as m; print(m.version("llama-cpp-python"))' 2>/dev/null || true)"
if [ -z "$VERSION" ]; then
    echo "simulacra: error: llama-cpp-python is not installed in $PY; run scripts/quickstart.sh first" >&2
    exit 2
fi
for tool in cmake c++; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "simulacra: error: '$tool' is needed to build llama-server; install it (Debian: apt install cmake g++)" >&2
        exit 2
    fi
done

CACHE="${SIMULACRA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/simulacra}"
DEST="$CACHE/bin"
if [ "$IF_MISSING" = 1 ] && [ -x "$DEST/llama-server" ] &&
    [ "$(cat "$DEST/llama-server.version" 2>/dev/null)" = "$VERSION" ]; then
    exit 0
fi
echo "simulacra: building llama-server (llama.cpp's own server, for 'engine: server'); about" >&2
echo "           10 minutes on 2 cores, once: the binary is kept in $DEST" >&2
WORK="$(mktemp -d "${TMPDIR:-/tmp}/simulacra-llama-server.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

echo "simulacra: fetching the llama-cpp-python $VERSION sdist (pip caches it)" >&2
"$PY" -m pip download --quiet --no-binary :all: --no-deps "llama-cpp-python==$VERSION" -d "$WORK"
tar -xzf "$WORK"/llama_cpp_python-"$VERSION".tar.gz -C "$WORK"
SRC="$WORK/llama_cpp_python-$VERSION/vendor/llama.cpp"

# Static, CPU-only, no HTTPS and no web UI download (no network at run time).
cmake -S "$SRC" -B "$WORK/build" -G "$(command -v ninja >/dev/null && echo Ninja || echo 'Unix Makefiles')" \
    -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF \
    >"$WORK/configure.log" 2>&1 || {
    tail -20 "$WORK/configure.log" >&2
    echo "simulacra: error: configuring llama.cpp failed (log above)" >&2
    exit 2
}
echo "simulacra: compiling llama-server with $JOBS jobs" >&2
cmake --build "$WORK/build" --target llama-server -j "$JOBS" >"$WORK/build.log" 2>&1 || {
    tail -30 "$WORK/build.log" >&2
    echo "simulacra: error: compiling llama-server failed (log above)" >&2
    exit 2
}
mkdir -p "$DEST"
install -m 0755 "$WORK/build/bin/llama-server" "$DEST/llama-server.partial"
mv -f "$DEST/llama-server.partial" "$DEST/llama-server"
echo "$VERSION" >"$DEST/llama-server.version"
echo "simulacra: built $DEST/llama-server (llama.cpp from llama-cpp-python $VERSION)" >&2
