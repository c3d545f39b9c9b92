"""Derive the InferenceService schema tiffin ships from KServe's CRD, and write it.

tiffin checks the InferenceService manifests it renders against the CRD's own
``openAPIV3Schema`` (version ``v1beta1``) before it sends them to a cluster. The CRD is
2 MB of YAML; tiffin ships only that schema, without descriptions, as compact gzip'd
JSON in ``src/tiffin/deploy/kserve/inferenceservice_v1beta1.schema.json.gz``.

Origin: KServe's CRD ``serving.kserve.io_inferenceservices.yaml`` (the KServe project,
https://github.com/kserve/kserve, ``config/crd/full/``), licensed under the Apache License
2.0; the schema is a derived work of it under that licence (see NOTICE beside the
schema). The tests keep a full copy of the CRD in tests/deploy/kserve_crd/ and check that
this script derives exactly the shipped file from it.

To follow a new KServe release, save its CRD and run:

    .venv/bin/python scripts/kserve_schema.py path/to/serving.kserve.io_inferenceservices.yaml
    cp path/to/serving.kserve.io_inferenceservices.yaml tests/deploy/kserve_crd/ && \\
        gzip -9 -n -f tests/deploy/kserve_crd/serving.kserve.io_inferenceservices.yaml

With no argument it reads the copy in tests/deploy/kserve_crd/.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
VENDORED_CRD = (
    ROOT / "tests" / "deploy" / "kserve_crd" / "serving.kserve.io_inferenceservices.yaml.gz"
)
TARGET = ROOT / "src" / "tiffin" / "deploy" / "kserve" / "inferenceservice_v1beta1.schema.json.gz"
VERSION = "v1beta1"


def read_crd(path: Path) -> dict[str, Any]:
    """The CRD document of a .yaml or .yaml.gz file."""
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    return yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def derive(crd: dict[str, Any]) -> dict[str, Any]:
    """The ``v1beta1`` openAPIV3Schema of an InferenceService CRD, descriptions left out."""
    if crd.get("kind") != "CustomResourceDefinition" or crd["spec"]["names"]["kind"] != (
        "InferenceService"
    ):
        raise SystemExit("this is not the InferenceService CRD")
    for version in crd["spec"]["versions"]:
        if version["name"] == VERSION:
            return without_descriptions(version["schema"]["openAPIV3Schema"])
    raise SystemExit(f"the CRD has no version {VERSION}")


def without_descriptions(node: Any) -> Any:
    """``node`` without the text of ``description`` keywords (a field named so is kept)."""
    if isinstance(node, dict):
        return {
            key: without_descriptions(value)
            for key, value in node.items()
            if not (key == "description" and isinstance(value, str))
        }
    if isinstance(node, list):
        return [without_descriptions(item) for item in node]
    return node


def encode(schema: dict[str, Any]) -> bytes:
    """The shipped bytes: sorted compact JSON, gzip'd without a timestamp (reproducible)."""
    text = json.dumps(schema, sort_keys=True, separators=(",", ":"))
    return gzip.compress(text.encode(), compresslevel=9, mtime=0)


def main(argv: list[str]) -> None:
    source = Path(argv[0]) if argv else VENDORED_CRD
    data = encode(derive(read_crd(source)))
    TARGET.write_bytes(data)
    print(f"wrote {TARGET.relative_to(ROOT)} ({len(data)} bytes) from {source}")


if __name__ == "__main__":
    main(sys.argv[1:])
