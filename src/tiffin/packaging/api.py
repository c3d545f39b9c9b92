"""``tiffin.package(model, target_dir)``: turn an in-memory model into a package directory.

``target_directory=`` is accepted for ``target_dir``, as Baseten's Scaffold spells it.
"""

from __future__ import annotations

import datetime
import inspect
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tiffin.errors import PackagingError
from tiffin.frameworks import Framework, detect_framework, get_framework, registered_frameworks
from tiffin.packaging.contents import DataFiles, PackagePlan, data_file_pairs, write_contents
from tiffin.packaging.package import SERVING_MODULE, Package
from tiffin.packaging.requirements import infer_requirements
from tiffin.packaging.writer import check_target, staging
from tiffin.spec import ProjectSpec


def package(
    model: Any,
    target_dir: str | os.PathLike[str] | None = None,
    *,
    target_directory: str | os.PathLike[str] | None = None,
    name: str | None = None,
    requirements: list[str] | None = None,
    data_files: DataFiles | None = None,
    python_version: str | None = None,
    overwrite: bool = False,
    probabilities: bool = False,
    framework: str | None = None,
    options: Mapping[str, Any] | None = None,
) -> Package:
    """Write ``model`` as a package directory at ``target_dir`` and return the Package.

    The directory holds ``tiffin.yaml``, ``serving.py`` (an editable model class),
    ``model/`` (the model in its framework's own format), ``data/`` (``data_files``),
    a pinned ``requirements.txt``, a ``README.md`` and ``.tiffin/package.json``.

    Args:
        model: a fitted model object (scikit-learn, xgboost, lightgbm, pytorch, keras,
            onnx), or any object with a ``predict`` method or any callable (cloudpickle).
        target_dir: where to write; must not exist or be empty, unless ``overwrite``.
        target_directory: another name for ``target_dir`` (give one of the two).
        name: the model's name in URLs; defaults to the target directory's name.
        requirements: pip requirements added to the inferred pins (and replacing a pin
            of the same name), e.g. ``["pandas>=2"]``.
        data_files: paths copied into ``data/``, or ``{name: path}``.
        python_version: the image's Python, e.g. ``"3.11"``; defaults to the running one.
        overwrite: replace a non-empty ``target_dir`` (atomically).
        probabilities: also return class probabilities (``predict_proba``).
        framework: the adapter to use (e.g. ``"generic"``) instead of detecting it.
        options: adapter options, e.g. ``{"file_format": "ubj"}`` (xgboost) or
            ``{"file_format": "state_dict"}`` (pytorch); see docs/frameworks.md.

    Raises:
        PackagingError: no adapter recognises ``model``, ``target_dir`` is not empty, ...
        TypeError: neither or both of ``target_dir`` and ``target_directory`` are given.
    """
    target = _target(target_dir, target_directory)
    adapter = choose_framework(model, framework)
    save_options = check_options(adapter, options or {})
    check_target(target, overwrite=overwrite)
    data = data_file_pairs(data_files)
    plan = _plan(model, target, adapter, name, python_version, probabilities,
                         requirements or [])  # fmt: skip
    with staging(target, overwrite=overwrite) as root:
        (root / "model").mkdir()
        (root / "data").mkdir()
        try:
            artifact = adapter.save(
                model, root / "model", probabilities=probabilities, **save_options
            )
        except ValueError as exc:
            raise PackagingError(f"{adapter.name}: {exc}") from exc
        write_contents(root, plan, artifact, data)
    return Package(target)


def _target(
    target_dir: str | os.PathLike[str] | None, target_directory: str | os.PathLike[str] | None
) -> Path:
    if target_dir is not None and target_directory is not None:
        raise TypeError("package() takes target_dir or target_directory, not both")
    chosen = target_dir if target_dir is not None else target_directory
    if chosen is None:
        raise TypeError("package() is missing the target directory: package(model, 'my_pkg')")
    return Path(chosen).expanduser().absolute()


def check_options(adapter: Framework, options: Mapping[str, Any]) -> dict[str, Any]:
    """Refuse options the adapter's ``save`` does not take, naming the ones it does."""
    accepted = [
        p.name
        for p in inspect.signature(adapter.save).parameters.values()
        if p.kind is p.KEYWORD_ONLY and p.name != "probabilities"
    ]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise PackagingError(
            f"the {adapter.name} adapter takes no option {', '.join(map(repr, unknown))}",
            hint=f"its options: {', '.join(accepted) or 'none'}",
        )
    return dict(options)


def choose_framework(model: Any, name: str | None = None) -> Framework:
    """The adapter named ``name``, or the first that recognises ``model``."""
    if name is not None:
        try:
            adapter = get_framework(name)
        except KeyError as exc:
            raise PackagingError(str(exc.args[0])) from None
        if not adapter.detects(model):
            raise PackagingError(f"the {name} adapter does not handle {_describe(model)}",
                                 hint="leave out framework= to detect it")  # fmt: skip
        return adapter
    detected = detect_framework(model)
    if detected is None:
        raise unsupported(model)
    return detected


def unsupported(model: Any) -> PackagingError:
    """The error for an object no adapter recognises: what it is, and how to wrap it."""
    why = (
        "it is a class, not an instance"
        if inspect.isclass(model)
        else "it has no predict method and is not callable"
    )
    known = ", ".join(cls.name for cls in registered_frameworks())
    return PackagingError(
        f"cannot package {_describe(model)}: {why}, and no framework adapter ({known}) "
        "recognises it",
        hint="wrap it in a model class (class MyModel: def load(self): ...; "
        "def predict(self, inputs): ...) and `tiffin serve` a file holding it; "
        "or package an object with a predict(inputs) method",
    )


def _plan(
    model: Any,
    target: Path,
    adapter: Framework,
    name: str | None,
    python_version: str | None,
    probabilities: bool,
    extra: list[str],
) -> PackagePlan:
    name = name or default_name(model, target)
    python_version = python_version or f"{sys.version_info.major}.{sys.version_info.minor}"
    class_name = class_name_for(model)
    _validate(name, python_version, class_name)
    width = getattr(model, "n_features_in_", None)
    return PackagePlan(
        name=name,
        directory=target.name,
        class_name=class_name,
        python_version=python_version,
        framework=adapter,
        model_type=f"{type(model).__module__}.{type(model).__qualname__}",
        probabilities=probabilities,
        requirements=infer_requirements(model, adapter, extra),
        example_width=width if isinstance(width, int) else None,
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    )


def default_name(model: Any, target: Path) -> str:
    """The target directory's name made URL-safe, else the model's class name, lowercased."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", target.name).strip("-._")
    return name or re.sub(r"[^A-Za-z0-9]+", "", type(model).__name__).lower() or "model"


def class_name_for(model: Any) -> str:
    """The generated class's name: ``Pipeline`` -> ``PipelineModel``, ``Iris`` -> ``IrisModel``,
    and ``IrisModel`` -> ``ServedIrisModel``."""
    base = re.sub(r"\W+", "", type(model).__name__) or "Custom"
    base = base[0].upper() + base[1:]
    return f"Served{base}" if base.endswith("Model") else f"{base}Model"


def _validate(name: str, python_version: str, class_name: str) -> None:
    values = {"name": name, "python_version": python_version,
              "model": f"{SERVING_MODULE}:{class_name}"}  # fmt: skip
    try:
        ProjectSpec.model_validate(values)
    except ValidationError as exc:
        problem = exc.errors()[0]
        field = str(problem["loc"][0])
        raise PackagingError(
            f"invalid {field} {values.get(field)!r}: {problem['msg']}",
            hint="see docs/spec.md for what a spec accepts",
        ) from None


def _describe(model: Any) -> str:
    kind = model if inspect.isclass(model) else type(model)
    return f"{kind.__qualname__} (from module {kind.__module__})"
