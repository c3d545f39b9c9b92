"""`tiffin push`: name the destination of an image in a registry, and push it there."""

from __future__ import annotations

from tiffin.build.engines import Engine
from tiffin.build.process import LineSink
from tiffin.errors import PushError


def split_reference(image: str) -> tuple[str | None, str, str | None]:
    """``registry:5000/team/iris:1`` -> (``registry:5000``, ``team/iris``, ``1``).

    The first component is a registry when it holds a '.' or a ':' or is ``localhost``.
    """
    name, _, _digest = image.partition("@")
    first, slash, rest = name.partition("/")
    registry = None
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, name = first, rest
    repository, colon, tag = name.rpartition(":")
    if not colon or "/" in tag:
        repository, tag = name, ""
    return registry, repository, tag or None


def destination_for(image: str, target: str) -> str:
    """Where ``image`` goes for ``REGISTRY[/REPO][:TAG]``; REPO and TAG default to the image's."""
    registry, _, rest = target.partition("/")
    _, repository, tag = split_reference(image)
    repository = repository.removeprefix("library/")
    if not rest:
        return f"{registry}/{repository}:{tag or 'latest'}"
    _, wanted, wanted_tag = split_reference(f"{registry}/{rest}")
    return f"{registry}/{wanted}:{wanted_tag or tag or 'latest'}"


def push_image(
    engine: Engine,
    image: str,
    target: str,
    *,
    tls_verify: bool = True,
    on_line: LineSink | None = None,
) -> str:
    """Push ``image`` to ``target``; returns the full destination. Raises :class:`PushError`."""
    destination = destination_for(image, target)
    done = engine.push(image, destination, tls_verify=tls_verify, on_line=on_line)
    if not done.ok:
        raise PushError(image, destination, done.tail(8))
    return destination
