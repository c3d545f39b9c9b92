#!/usr/bin/env bash
# End to end: install tiffin, train the iris example, serve it with `tiffin serve`,
# and print real predictions over the SageMaker, KServe V1 and Open Inference V2 routes,
# and over Open Inference V2 gRPC.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
PORT="${PORT:-8080}"
GRPC_PORT="${GRPC_PORT:-$((PORT + 1))}"
[[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
echo "[demo] installing tiffin with scikit-learn and gRPC"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[sklearn,grpc]'

echo "[demo] training the iris example"
.venv/bin/python examples/iris/train.py

echo "[demo] tiffin serve examples/iris --port $PORT --grpc-port $GRPC_PORT"
.venv/bin/tiffin serve examples/iris --port "$PORT" --grpc-port "$GRPC_PORT" > /tmp/tiffin-demo.log 2>&1 &
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
echo "[demo] OIP V2     gRPC ModelInfer on port $GRPC_PORT"
.venv/bin/python - "$GRPC_PORT" <<'PY'
import sys

import grpc
from tiffin.protocols.grpc_stubs import open_inference_grpc_pb2 as pb
from tiffin.protocols.grpc_stubs import open_inference_grpc_pb2_grpc as pb_grpc

stub = pb_grpc.GRPCInferenceServiceStub(grpc.insecure_channel(f"127.0.0.1:{sys.argv[1]}"))
features = pb.ModelInferRequest.InferInputTensor(
    name="features", datatype="FP64", shape=[2, 4],
    contents=pb.InferTensorContents(fp64_contents=[5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]),
)
reply = stub.ModelInfer(pb.ModelInferRequest(model_name="iris", inputs=[features]), timeout=10)
output = reply.outputs[0]
values = output.contents.int64_contents or output.contents.int32_contents
print({"model_name": reply.model_name, "output": output.name, "datatype": output.datatype,
       "data": list(values)})
PY
echo "[demo] species ids: 0 setosa, 1 versicolor, 2 virginica"
