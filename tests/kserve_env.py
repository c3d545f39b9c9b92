"""kserve's own Python package, run in its own virtualenv (``.venv-kserve``).

kserve's generated protobuf stubs and tritonclient's both define the ``inference``
package, so kserve's clients and models run in a child interpreter, never in pytest's.
``scripts/test.sh`` creates the virtualenv.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
KSERVE_PYTHON = ROOT / ".venv-kserve" / "bin" / "python"


def kserve_missing() -> str | None:
    """Why kserve's interpreter cannot run, or None when it can."""
    if not KSERVE_PYTHON.is_file():
        return "no .venv-kserve (scripts/test.sh creates it with kserve)"
    return None


requires_kserve = pytest.mark.skipif(kserve_missing() is not None, reason=kserve_missing() or "")


def run_kserve_script(script: Path, *args: str, timeout: float = 120) -> Any:
    """Run ``script`` with kserve's interpreter; return the JSON it prints on its last line."""
    done = subprocess.run(
        [str(KSERVE_PYTHON), str(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise AssertionError(
            f"{script.name} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])
