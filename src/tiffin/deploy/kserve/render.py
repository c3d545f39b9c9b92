"""Kubernetes objects as YAML for ``kubectl apply -f``: keys in the order they were built,
lists indented under their key, one document per object."""

from __future__ import annotations

from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, indenting a list under its key as kubectl prints it."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def to_yaml(objects: list[dict[str, Any]]) -> str:
    """The objects as a multi-document YAML stream (``---`` between objects)."""
    return yaml.dump_all(
        objects, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=100
    )
