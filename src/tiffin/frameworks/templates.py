"""Render the editable model classes that adapters write, from ``templates/frameworks/``.

Each adapter keeps its model class as a ``<name>.py.jinja`` template: plain Python a user
would write by hand, with the saved versions and file names filled in.
"""

from __future__ import annotations

from typing import Any

from tiffin.templating import template_environment


def render_model_class(template: str, **context: Any) -> str:
    """Render ``templates/frameworks/<template>`` (e.g. ``"sklearn.py.jinja"``) with ``context``."""
    return template_environment("frameworks").get_template(template).render(context)
