#!/usr/bin/env bash
# Provision what the container tests need on a Debian machine, as root:
#   - podman, buildah and runc (a daemonless engine; no Docker daemon needed),
#   - a local Python base image, $BASE_IMAGE (Debian bookworm minbase + python3.11 + venv),
#     built with debootstrap so that no registry is needed,
#   - Debian's docker-registry (a local OCI registry), podman-docker (a docker CLI) and
#     docker-compose (what the SageMaker SDK's local mode runs images with).
#
#   bash scripts/provision-containers.sh          # idempotent; about a minute the first time
#   eval "$(bash scripts/provision-containers.sh --env)"   # print the variables only
#
# runc is configured instead of crun, and container ulimits are kept below the host's,
# because some kernels here have a hybrid cgroup layout crun cannot use and do not let a
# container raise its rlimits.
set -euo pipefail

BASE_IMAGE="${BASE_IMAGE:-localhost/debian-python:3.11}"

if [[ "${1:-}" == "--env" ]]; then
  echo "export CONTAINER_ENGINE=podman BASE_IMAGE=$BASE_IMAGE"
  exit 0
fi

say() { echo "[provision] $*" >&2; }

if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  say "needs root and apt-get (Debian); nothing done"
  exit 1
fi

apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

missing=()
for tool in podman buildah runc debootstrap docker-registry docker-compose; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
dpkg -s podman-docker >/dev/null 2>&1 || missing+=(podman-docker)
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  apt_install podman buildah runc debootstrap uidmap slirp4netns fuse-overlayfs \
    docker-registry podman-docker docker-compose
fi

conf=/etc/containers/containers.conf
mkdir -p /etc/containers
if ! grep -q 'runtime = "runc"' "$conf" 2>/dev/null; then
  say "configuring $conf: runc, container ulimits nofile=1024 nproc=4096"
  cat >"$conf" <<'EOF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]

[engine]
runtime = "runc"
EOF
fi

# The mirror this machine's apt already uses (deb822 .sources or a classic sources.list),
# so that the base image comes from where the host's packages come from.
debian_mirror() {
  local uri
  uri="$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' \
    | grep -v -- '-security' | head -1)"
  if [[ -z "$uri" ]]; then
    uri="$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
      | awk '{print ($2 ~ /^\[/) ? $3 : $2}' | grep -v -- '-security' | head -1)"
  fi
  echo "$uri"
}

if podman image exists "$BASE_IMAGE"; then
  say "$BASE_IMAGE is present"
else
  mirror="${TIFFIN_DEBIAN_MIRROR:-$(debian_mirror)}"
  if [[ -z "$mirror" ]]; then
    echo "error: found no Debian mirror in /etc/apt/sources.list(.d)" >&2
    echo "hint: set TIFFIN_DEBIAN_MIRROR to the URL of a Debian mirror" >&2
    exit 1
  fi
  rootfs="$(mktemp -d /tmp/tiffin-base-rootfs.XXXXXX)"
  log=/tmp/tiffin-debootstrap.log
  say "debootstrap bookworm into $rootfs (about 40 s; log: $log)"
  if ! debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
    bookworm "$rootfs" "$mirror" >"$log" 2>&1; then
    tail -20 "$log" >&2
    exit 1
  fi
  ln -sf /usr/bin/python3 "$rootfs/usr/local/bin/python"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  say "importing the root file system as $BASE_IMAGE"
  tar -C "$rootfs" -c . | podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]' - "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
fi

version="$(podman run --rm "$BASE_IMAGE" python3 -c 'import sys; print(sys.version.split()[0])')"
say "ready: podman runs $BASE_IMAGE (python $version)"
