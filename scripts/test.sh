#!/usr/bin/env bash
# Run the whole test suite: creates .venv if needed, installs tiffin with its test
# extras, checks lint and types, then runs pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if [[ ! -x .venv/bin/python ]]; then
  echo "[test] creating .venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv .venv
fi
echo "[test] installing tiffin[test]"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'

echo "[test] ruff"
.venv/bin/ruff check src tests bench examples
.venv/bin/ruff format --check src tests bench examples

echo "[test] mypy src"
.venv/bin/mypy

# The end-to-end image tests (pytest marker `container`) need podman, buildah, a base
# image, Debian's docker-registry and a docker client; scripts/provision-containers.sh
# installs them as root on Debian (CI). Elsewhere those tests skip and say why.
# TIFFIN_SKIP_PROVISION=1 skips this step.
provision_containers() {
  if [[ "${TIFFIN_SKIP_PROVISION:-}" == 1 ]]; then
    echo "[test] TIFFIN_SKIP_PROVISION=1: not provisioning the container tests"
  elif [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "[test] not root with apt-get: the container tests run only if podman and its base image are there"
  else
    echo "[test] provisioning podman, the base image and a local registry"
    bash scripts/provision-containers.sh
    eval "$(bash scripts/provision-containers.sh --env)"
    export BASE_IMAGE
  fi
}
provision_containers
# The console's browser tests (tests/console) drive Debian's Chromium; elsewhere they skip.
[[ "${TIFFIN_SKIP_PROVISION:-}" == 1 ]] || bash scripts/provision-browser.sh

# The feedback tests (tests/feedback) run PostgreSQL and Prometheus for real;
# scripts/provision-services.sh installs them as root on Debian. Elsewhere they skip.
if [[ "${TIFFIN_SKIP_PROVISION:-}" != 1 && "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "[test] provisioning PostgreSQL and Prometheus"
  bash scripts/provision-services.sh
fi

# The SageMaker Python SDK (v2) drives a built image in its local mode in one test; it
# lives in its own virtualenv so that its pins never meet the test extras.
if [[ ! -x .venv-sagemaker/bin/python ]] || ! .venv-sagemaker/bin/python -c 'import sagemaker' 2>/dev/null; then
  echo "[test] installing the SageMaker SDK into .venv-sagemaker"
  "$PYTHON" -m venv .venv-sagemaker
  .venv-sagemaker/bin/python -m pip install --quiet --disable-pip-version-check 'sagemaker>=2.200,<3'
fi

# kserve's own clients (InferenceGRPCClient, the InferenceService models) run in their own
# virtualenv too: kserve's generated protobuf stubs and tritonclient's both define the
# `inference` package, and kserve pins what the test extras also need.
if [[ ! -x .venv-kserve/bin/python ]] || ! .venv-kserve/bin/python -c 'import kserve' 2>/dev/null; then
  echo "[test] installing kserve into .venv-kserve"
  "$PYTHON" -m venv .venv-kserve
  .venv-kserve/bin/python -m pip install --quiet --disable-pip-version-check 'kserve>=0.14'
fi

echo "[test] pytest"
exec .venv/bin/python -m pytest -q "$@"
