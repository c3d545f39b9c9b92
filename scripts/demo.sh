#!/usr/bin/env bash
# End to end: install tiffin, train the iris example, serve it with `tiffin serve`,
# and print real predictions over the SageMaker, KServe V1 and Open Inference V2 routes.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
PORT="${PORT:-8080}"
[[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
echo "[demo] installing tiffin with scikit-learn"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[sklearn]'

echo "[demo] training the iris example"
.venv/bin/python examples/iris/train.py

echo "[demo] tiffin serve examples/iris --port $PORT"
.venv/bin/tiffin serve examples/iris --port "$PORT" > /tmp/tiffin-demo.log 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT

for _ in $(seq 1 300); do
  if curl -sf "http://127.0.0.1:$PORT/ping" > /dev/null; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then cat /tmp/tiffin-demo.log; exit 1; fi
  sleep 0.1
done

row='[[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]'
echo "[demo] SageMaker  POST /invocations            $row"
curl -s "http://127.0.0.1:$PORT/invocations" -H 'Content-Type: application/json' -d "$row"; echo
echo "[demo] KServe V1  POST /v1/models/iris:predict"
curl -s "http://127.0.0.1:$PORT/v1/models/iris:predict" -H 'Content-Type: application/json' \
  -d "{\"instances\": $row}"; echo
echo "[demo] OIP V2     POST /v2/models/iris/infer"
curl -s "http://127.0.0.1:$PORT/v2/models/iris/infer" -H 'Content-Type: application/json' \
  -d '{"id": "demo", "inputs": [{"name": "features", "shape": [2, 4], "datatype": "FP64",
       "data": [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]}]}'; echo
echo "[demo] species ids: 0 setosa, 1 versicolor, 2 virginica"
