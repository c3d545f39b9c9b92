"""What a ``tiffin kserve`` command serves: a package (PATH) or an image (IMAGE).

For a package the image is the one ``tiffin build PATH`` tags (``NAME:VERSION`` of its
spec), or where ``tiffin push`` put it (``--registry``, as push's REGISTRY[/REPO][:TAG]),
or ``--image``; the model is served under the package's name. For an image reference
the name comes from its repository and the image decides the model's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tiffin.deploy.kserve.names import image_reference, to_rfc1035
from tiffin.errors import DeployError
from tiffin.spec import load_spec
from tiffin.spec.tags import default_tag


@dataclass(frozen=True)
class Source:
    """The image to run, a default resource name and model name, and whether the image
    is only the local tag of a build (which a cluster cannot pull unless it was pushed)."""

    image: str
    name: str
    model_name: str | None = None
    local_tag: bool = False


def resolve_source(text: str, *, image: str | None = None, registry: str | None = None) -> Source:
    """The :class:`Source` of SOURCE (an existing path is a package, else an image)."""
    if Path(text).exists():
        return package_source(Path(text), image=image, registry=registry)
    if image or registry:
        flag = "--image" if image else "--registry"
        raise DeployError(
            f"{flag} is for a package PATH, and {text!r} is an image (no such file here)",
            hint=f"pass the image's full reference as SOURCE and drop {flag}",
        )
    if image_reference(text):
        raise DeployError(
            f"{text!r} is neither a package (no such file or directory) nor an image "
            "reference (REGISTRY/REPOSITORY:TAG, lowercase repository)",
            hint="pass a package directory or its tiffin.yaml, or an image such as "
            "registry.example.com/iris:1",
        )
    repository = text.split("@")[0].rsplit("/", 1)[-1].split(":")[0]
    return Source(text, to_rfc1035(repository))


def package_source(path: Path, *, image: str | None, registry: str | None) -> Source:
    """The image of the package in ``path`` and its name (spec errors are raised as such)."""
    spec = load_spec(path).spec
    tag = default_tag(spec.name, spec.version)
    if image:
        chosen = image
    elif registry:
        from tiffin.build.push import destination_for

        chosen = destination_for(tag, registry)
    else:
        chosen = tag
    local = not (image or registry)
    return Source(chosen, to_rfc1035(spec.name), model_name=spec.name, local_tag=local)
