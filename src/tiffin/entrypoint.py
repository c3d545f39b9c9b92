"""The entrypoint of every tiffin image; it dispatches on its first argument.

::

    docker run IMAGE                -> serve (the default CMD of most images)
    docker run IMAGE serve          -> every protocol on 0.0.0.0:8080, or $SAGEMAKER_BIND_TO_PORT;
                                       gRPC on 8081 (or $GRPC_PORT) with tiffin[grpc]
    docker run IMAGE train          -> SageMaker training under /opt/ml; the model goes to
                                       /opt/ml/model
    docker run IMAGE batch [OPTS]   -> tiffin batch: /opt/ml/input/data/<channel> ->
                                       /opt/ml/output/data (TIFFIN_BATCH_INPUT/_OUTPUT/_CHANNEL)
    docker run IMAGE healthcheck    -> exit 0 when /ping answers 200 (the HEALTHCHECK)
    docker run IMAGE --OPTION ...   -> serve with these options (a KServe manifest's args)
    docker run IMAGE CMD ...        -> any other command, run as it is (bash, python...)

Options after the mode go to ``tiffin serve|train|batch``. ``serve`` also takes KServe's
model-server flags (``--model_name=NAME --http_port=8080 --grpc_port=8081 --workers=2
--max_threads=4 --model_dir=DIR --max_buffer_size=BYTES``), mapped to tiffin's settings;
the flags that mean nothing to tiffin (``--enable_docs_url``...) are named once on stderr
and ignored. ``GRPC_PORT`` (KServe's variable) or ``TIFFIN_GRPC_PORT`` also sets the gRPC
port; ``--grpc_port=0`` turns gRPC off.

The process is replaced (exec), so signals (SIGTERM from ``docker stop`` or SageMaker)
reach tiffin directly.
Started as root (SageMaker, ``docker run`` without ``--user``), it makes the mounted
``/opt/ml`` directories the mode needs usable by the image's user and drops to that
user before the exec (:mod:`tiffin.privileges`).
Only the standard library is imported at the top: the HEALTHCHECK runs this module often.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from tiffin.privileges import Need, prepare

APP_DIR = "/opt/tiffin/app"
ML_DIR = "/opt/ml"
PORT_VARIABLES = ("TIFFIN_PORT", "HTTP_PORT", "SAGEMAKER_BIND_TO_PORT")
DEFAULT_PORT = "8080"
SAGEMAKER_SETTINGS = {
    "SAGEMAKER_MODEL_SERVER_WORKERS": "TIFFIN_WORKERS",
    "SAGEMAKER_MODEL_SERVER_TIMEOUT": "TIFFIN_TIMEOUT",
}
KSERVE_SETTINGS = {
    "model_name": "MODEL_NAME",
    "http_port": "TIFFIN_PORT",
    "grpc_port": "TIFFIN_GRPC_PORT",
    "workers": "TIFFIN_WORKERS",
    "max_threads": "TIFFIN_THREADS",
    "model_dir": "MODEL_DIR",
    "max_buffer_size": "TIFFIN_MAX_BODY_SIZE",
}
"""KServe model-server flags that mean something to tiffin, and the variable each sets."""
KSERVE_NUMBERS = ("http_port", "grpc_port", "workers", "max_threads", "max_buffer_size")
KSERVE_SINGLE_WORDS = ("workers", "protocol")
"""KServe flags without an underscore; every other KServe flag has one, tiffin's have none."""
MODE_FILE = Path(tempfile.gettempdir()) / "tiffin-mode"
USAGE = __doc__.split("::")[1].split("Options")[0] if __doc__ else ""

Command = tuple[list[str], dict[str, str]]


class Refused(Exception):
    """The container cannot start in this mode; the message says why."""


def serve_command(args: list[str], environ: Mapping[str, str]) -> Command:
    """``tiffin serve APP`` on port 8080 unless a port variable (or ``--http_port``) says
    otherwise; KServe's model-server flags become settings, or are named and ignored."""
    args, settings, ignored = kserve_options(args)
    if ignored:
        print(f"tiffin: ignoring KServe options tiffin has no use for: {', '.join(ignored)}",
              file=sys.stderr)  # fmt: skip
    env = {**environ, **settings}
    if not any(env.get(name, "").strip() for name in PORT_VARIABLES):
        env["TIFFIN_PORT"] = DEFAULT_PORT
    for sagemaker, tiffin in SAGEMAKER_SETTINGS.items():
        if env.get(sagemaker, "").strip() and not env.get(tiffin, "").strip():
            env[tiffin] = env[sagemaker]
    return ["serve", _app(env), *args], env


def kserve_options(args: list[str]) -> tuple[list[str], dict[str, str], list[str]]:
    """Split KServe's ``--flag_name=value`` (or ``--flag_name value``) out of ``args``.

    Returns the other arguments, the variables the meaningful flags set, and the
    ignored flags as ``--flag=value``. Raises :class:`Refused` for a flag without a
    value, or a number that is not one.
    """
    rest: list[str] = []
    settings: dict[str, str] = {}
    ignored: list[str] = []
    pending = list(args)
    while pending:
        arg = pending.pop(0)
        name, has_value, value = arg[2:].partition("=")
        if not (arg.startswith("--") and ("_" in name or name in KSERVE_SINGLE_WORDS)):
            rest.append(arg)
            continue
        if not has_value:
            if not pending or pending[0].startswith("--"):
                raise Refused(f"--{name} needs a value: --{name}=VALUE")
            value = pending.pop(0)
        if name not in KSERVE_SETTINGS:
            ignored.append(f"--{name}={value}")
            continue
        if name in KSERVE_NUMBERS and not value.strip().isdigit():
            raise Refused(f"--{name}={value}: expected a whole number")
        settings[KSERVE_SETTINGS[name]] = value.strip()
    return rest, settings, ignored


def train_command(args: list[str], environ: Mapping[str, str]) -> Command:
    """``tiffin train APP`` in the SageMaker tree (``/opt/ml`` or ``$SAGEMAKER_BASE_DIR``)."""
    env = dict(environ)
    base = Path(env.setdefault("SAGEMAKER_BASE_DIR", ML_DIR))
    if os.getuid() != 0:
        for directory in (base / "model", base / "output"):
            if directory.exists() and not os.access(directory, os.W_OK):
                raise Refused(
                    f"{directory} is not writable by uid {os.getuid()}: run the container "
                    "as the owner of the mounted directory (`tiffin run` does: --user "
                    "UID:GID), start it without --user, or make the directory writable"
                )
    return ["train", _app(env), *args], env


def batch_command(args: list[str], environ: Mapping[str, str]) -> Command:
    """``tiffin batch APP --input ... --output ...`` with the container's conventions."""
    env = dict(environ)
    extra = list(args)
    if _option_value(extra, "--input", "-i") is None:
        extra += ["--input", batch_input(env)]
    if _option_value(extra, "--output", "-o") is None:
        base = Path(env.get("SAGEMAKER_BASE_DIR", ML_DIR))
        extra += ["--output", env.get("TIFFIN_BATCH_OUTPUT") or str(base / "output" / "data")]
    return ["batch", _app(env), *extra], env


def batch_input(environ: Mapping[str, str]) -> str:
    """``TIFFIN_BATCH_INPUT``, else the channel ``TIFFIN_BATCH_CHANNEL`` (or the only one)."""
    if environ.get("TIFFIN_BATCH_INPUT"):
        return environ["TIFFIN_BATCH_INPUT"]
    data = Path(environ.get("SAGEMAKER_BASE_DIR", ML_DIR)) / "input" / "data"
    channel = environ.get("TIFFIN_BATCH_CHANNEL")
    if channel:
        return str(data / channel)
    channels = sorted(p.name for p in data.iterdir() if p.is_dir()) if data.is_dir() else []
    if len(channels) == 1:
        return str(data / channels[0])
    if not channels:
        raise Refused(
            f"no input: mount a directory at {data}/<channel> "
            "(tiffin run IMAGE batch --channel input=DIR), or set TIFFIN_BATCH_INPUT"
        )
    raise Refused(
        f"several channels in {data} ({', '.join(channels)}): "
        "set TIFFIN_BATCH_CHANNEL to the one to score"
    )


def _app(environ: Mapping[str, str]) -> str:
    return environ.get("TIFFIN_APP") or APP_DIR


MODES = {"serve": serve_command, "train": train_command, "batch": batch_command}


def needs_for(mode: str, tiffin_args: list[str], environ: Mapping[str, str]) -> list[Need]:
    """The directories ``mode`` reads or writes, for :func:`tiffin.privileges.prepare`."""
    base = Path(environ.get("SAGEMAKER_BASE_DIR", ML_DIR))
    if mode == "train":
        needs = [Need(base / "input", write=False)]
        needs += [Need(base / name, write=True) for name in ("model", "output")]
        if (base / "checkpoints").exists():
            needs.append(Need(base / "checkpoints", write=True))
        return needs
    model_dir = Path(environ.get("MODEL_DIR") or environ.get("SM_MODEL_DIR") or base / "model")
    # a STORAGE_URI is fetched into MODEL_DIR when one is set (else into the user's cache)
    from tiffin.storage.marker import fetched_by_cluster  # not for the HEALTHCHECK

    fetches = (
        bool(environ.get("STORAGE_URI", "").strip())
        and model_dir != base / "model"
        and fetched_by_cluster(model_dir) is None
    )
    needs = [Need(model_dir, write=fetches)]
    if mode == "serve":
        return needs
    for names, write in ((("--input", "-i"), False), (("--output", "-o"), True)):
        value = _option_value(tiffin_args, *names)
        if value and "://" not in value:
            needs.append(Need(Path(value), write=write))
    return needs


def _option_value(args: list[str], *names: str) -> str | None:
    for index, arg in enumerate(args):
        if arg in names:  # a trailing option without a value is still given
            return args[index + 1] if index + 1 < len(args) else ""
        for name in names:
            if arg.startswith(f"{name}="):
                return arg.split("=", 1)[1]
    return None


def healthcheck(environ: Mapping[str, str], timeout: float = 4.0) -> int:
    """0 when the server answers ``/ping`` with 200, or when the container is not serving."""
    try:
        mode = MODE_FILE.read_text().strip()
    except OSError:
        mode = "serve"
    if mode != "serve":
        return 0
    port = next(
        (environ[n].strip() for n in PORT_VARIABLES if environ.get(n, "").strip()), DEFAULT_PORT
    )
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=timeout) as answer:
            return 0 if answer.status == 200 else 1
    except (urllib.error.URLError, OSError):
        return 1


def main(argv: list[str] | None = None) -> int:
    """Dispatch on the first argument; returns only on error (or for healthcheck/help)."""
    args = list(sys.argv[1:] if argv is None else argv)
    mode, rest = (args[0], args[1:]) if args else ("serve", [])
    if mode == "healthcheck":
        return healthcheck(os.environ)
    if mode in ("help", "-h", "--help"):
        print(f"modes:{USAGE}")
        return 0
    if mode.startswith("--"):
        mode, rest = "serve", args
    if mode not in MODES:
        return _exec_other(args)
    try:
        tiffin_args, env = MODES[mode](rest, os.environ)
    except Refused as exc:
        print(f"tiffin: {exc}", file=sys.stderr)
        return 2
    env = prepare(needs_for(mode, tiffin_args, env), env)
    _remember(mode)
    os.execve(sys.executable, [sys.executable, "-m", "tiffin", *tiffin_args], env)
    return 1  # pragma: no cover - exec does not return


def _exec_other(args: list[str]) -> int:
    try:
        os.execvp(args[0], args)
    except OSError as exc:
        print(
            f"tiffin: {args[0]!r} is neither a mode (serve, train, batch) nor a command: "
            f"{exc.strerror or exc}\nmodes:{USAGE}",
            file=sys.stderr,
        )
        return 2
    return 1  # pragma: no cover - exec does not return


def _remember(mode: str) -> None:
    """Tell the HEALTHCHECK which mode runs (only ``serve`` has a /ping to check)."""
    with contextlib.suppress(OSError):
        MODE_FILE.write_text(mode)


if __name__ == "__main__":
    sys.exit(main())
