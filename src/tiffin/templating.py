"""The one Jinja setup of tiffin's templates (``src/tiffin/templates/<folder>/``).

Strict (an undefined name is an error, not an empty string), no autoescape (the
output is Python, Dockerfiles, YAML and Markdown, never HTML), block tags do not
leave blank lines, and a template's last newline is kept.
"""

from __future__ import annotations

import functools

from jinja2 import Environment, PackageLoader, StrictUndefined


@functools.cache
def template_environment(folder: str) -> Environment:
    """The environment of ``templates/<folder>``, made once per folder."""
    return Environment(
        loader=PackageLoader("tiffin", f"templates/{folder}"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
