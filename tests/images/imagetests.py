"""Helpers of the end-to-end image tests: podman, tags unique to this run, readiness."""

from __future__ import annotations

import os
import subprocess
import time
import uuid

import httpx

BASE_IMAGE = os.environ.get("BASE_IMAGE", "localhost/debian-python:3.11")
"""The base image of the end-to-end builds (a local stand-in for python:3.11-slim)."""
RUN_ID = uuid.uuid4().hex[:8]


def podman(*args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run podman, capturing its output."""
    return subprocess.run(
        ["podman", *args], capture_output=True, text=True, check=check, timeout=timeout
    )


def image_tag(name: str) -> str:
    """A tag no other run uses: ``localhost/tiffin-test-NAME:RUNID``."""
    return f"localhost/tiffin-test-{name}:{RUN_ID}"


def wait_for_ping(url: str, timeout: float = 90) -> float:
    """Seconds until GET /ping answers 200."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if httpx.get(f"{url}/ping", timeout=2).status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url}/ping did not answer 200 within {timeout}s")


def image_names() -> dict[str, set[str]]:
    """Every local image (intermediate ones too) and its ``repository:tag`` names."""
    listing = podman(
        "images", "--all", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}", check=False
    ).stdout
    names: dict[str, set[str]] = {}
    for line in listing.splitlines():
        image, _, name = line.partition(" ")
        names.setdefault(image, set()).add(name)
    return names


def remove_leftovers(before: set[str]) -> None:
    """Remove the images builds made since ``before``: dependencies images, build cache.

    Tagged images of the tests are removed by the tests themselves; anything else stays.
    """
    for _ in range(4):
        left = sorted(
            image
            for image, names in image_names().items()
            if image not in before and all(_leftover(name) for name in names)
        )
        if not left:
            return
        podman("rmi", *left, check=False)


def _leftover(name: str) -> bool:
    repository = name.rpartition(":")[0]
    return name == "<none>:<none>" or repository.endswith("-deps")
