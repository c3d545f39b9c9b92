#!/usr/bin/env bash
# Run the whole test suite: creates .venv if needed, installs tiffin with its test
# extras, checks lint, then runs pytest. Extra arguments go to pytest.
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

# The end-to-end image tests (pytest marker `container`) need podman, buildah, a base
# image, Debian's docker-registry and a docker client. As root with apt-get (CI), install
# them first; elsewhere those tests skip and say why. TIFFIN_SKIP_PROVISION=1 skips this.
provision_containers() {
  local setup=../shared/containers/setup-podman.sh
  if [[ "${TIFFIN_SKIP_PROVISION:-}" == 1 ]]; then
    echo "[test] TIFFIN_SKIP_PROVISION=1: not provisioning the container tests"
  elif [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "[test] not root with apt-get: the container tests run only if podman and its base image are there"
  elif [[ ! -f "$setup" ]]; then
    echo "[test] $setup not found: the container tests will skip"
  else
    echo "[test] provisioning podman and the base image ($setup)"
    bash "$setup"
    eval "$(bash "$setup" --env)"
    export BASE_IMAGE
    if ! dpkg -s docker-registry podman-docker >/dev/null 2>&1; then
      echo "[test] installing docker-registry and podman-docker"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry podman-docker >/dev/null
    fi
  fi
}
provision_containers

echo "[test] pytest"
exec .venv/bin/python -m pytest -q "$@"
