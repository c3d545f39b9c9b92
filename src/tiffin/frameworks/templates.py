"""Render the editable model classes that adapters write, from ``templates/frameworks/``.

Each adapter keeps its model class as a ``<name>.py.jinja`` template: plain Python a user
would write by hand, with the saved versions and file names filled in.
"""

from __future__ import annotations

import functools
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined


@functools.cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("tiffin", "templates/frameworks"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_model_class(template: str, **context: Any) -> str:
    """Render ``templates/frameworks/<template>`` (e.g. ``"sklearn.py.jinja"``) with ``context``."""
    return _environment().get_template(template).render(context)
