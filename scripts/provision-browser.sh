#!/usr/bin/env bash
# Provision what the console's browser tests (tests/console) need on a Debian machine, as
# root: Debian's Chromium, at /usr/bin/chromium. Playwright, the Python package in tiffin's
# test extra, drives it; Playwright's own browser downloads are never used.
#
#   bash scripts/provision-browser.sh      # idempotent; nothing to do once Chromium is there
#
# Without root and apt-get it does nothing, and the browser tests skip, saying why.
set -euo pipefail

say() { echo "[provision] $*" >&2; }

if [[ -x /usr/bin/chromium ]]; then
  exit 0
fi
if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  say "Chromium is missing and installing it needs root and apt-get (Debian); the browser tests will skip"
  exit 0
fi

say "installing Debian's chromium for the console's browser tests"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq chromium >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
