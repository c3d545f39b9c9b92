#!/usr/bin/env bash
# Regenerate tiffin's gRPC stubs (src/tiffin/protocols/grpc_stubs/) from the vendored
# proto/open_inference_grpc.proto:
#
#   bash scripts/generate-grpc-stubs.sh
#
# grpcio-tools is pinned: 1.64.3 writes protobuf gencode 5.26.1, and a protobuf runtime
# refuses only gencode newer than itself, so the stubs load on every protobuf from 5.26.1
# on (5.x, 6.x and 7.x; see the grpc extra in pyproject.toml). It runs in a throwaway
# virtualenv so that its own protobuf pin never meets the project's. Needs Python 3.8-3.12
# (grpcio-tools 1.64.3 has wheels for those); PYTHON picks the interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
GRPCIO_TOOLS="1.64.3"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "[grpc-stubs] installing grpcio-tools==$GRPCIO_TOOLS into a throwaway virtualenv"
"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  "grpcio-tools==$GRPCIO_TOOLS"
"$WORK/venv/bin/python" scripts/generate_grpc_stubs.py --grpcio-tools "$GRPCIO_TOOLS"
