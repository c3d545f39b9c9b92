"""The in-image entrypoint: what each mode runs, and the HEALTHCHECK."""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from servers import free_port
from tiffin import entrypoint
from tiffin.entrypoint import Refused, batch_command, healthcheck, serve_command, train_command


def test_serve_listens_on_8080_by_default() -> None:
    argv, env = serve_command([], {})
    assert argv == ["serve", "/opt/tiffin/app"]
    assert env["TIFFIN_PORT"] == "8080"


def test_serve_honours_sagemaker_port_and_settings() -> None:
    environ = {"SAGEMAKER_BIND_TO_PORT": "9090", "SAGEMAKER_MODEL_SERVER_WORKERS": "3"}
    argv, env = serve_command(["--access-log"], environ)
    assert "TIFFIN_PORT" not in env
    assert env["TIFFIN_WORKERS"] == "3"
    assert argv == ["serve", "/opt/tiffin/app", "--access-log"]


def test_train_uses_the_sagemaker_tree(tmp_path: Path) -> None:
    argv, env = train_command([], {"TIFFIN_APP": "/app"})
    assert argv == ["train", "/app"]
    assert env["SAGEMAKER_BASE_DIR"] == "/opt/ml"
    _, env = train_command([], {"SAGEMAKER_BASE_DIR": str(tmp_path)})
    assert env["SAGEMAKER_BASE_DIR"] == str(tmp_path)


CHECK_AS_USER = (
    "import sys\n"
    "from tiffin.entrypoint import Refused, train_command\n"
    "try:\n"
    "    train_command([], {'SAGEMAKER_BASE_DIR': sys.argv[1]})\n"
    "except Refused as exc:\n"
    "    print(exc)\n"
)


def test_train_refuses_an_unwritable_model_dir() -> None:
    """Checked as an unprivileged user (root, as in CI, may write anywhere)."""
    base = Path(tempfile.mkdtemp(prefix="tiffin-unwritable-"))
    try:
        base.chmod(0o755)
        (base / "model").mkdir(mode=0o555)
        as_user = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        prefix = as_user if os.geteuid() == 0 else []
        result = subprocess.run([*prefix, sys.executable, "-c", CHECK_AS_USER, str(base)],
                                capture_output=True, text=True, timeout=60)  # fmt: skip
        assert "is not writable" in result.stdout, result.stdout + result.stderr
    finally:
        (base / "model").chmod(0o755)
        shutil.rmtree(base)


def test_batch_reads_the_only_channel_and_writes_output_data(tmp_path: Path) -> None:
    (tmp_path / "input" / "data" / "records").mkdir(parents=True)
    argv, _ = batch_command(["--on-error", "skip"], {"SAGEMAKER_BASE_DIR": str(tmp_path)})
    assert argv == [
        "batch",
        "/opt/tiffin/app",
        "--on-error",
        "skip",
        "--input",
        str(tmp_path / "input" / "data" / "records"),
        "--output",
        str(tmp_path / "output" / "data"),
    ]


def test_batch_options_and_variables_win(tmp_path: Path) -> None:
    argv, _ = batch_command(["-i", "/in", "--output=/out"], {"SAGEMAKER_BASE_DIR": str(tmp_path)})
    assert argv == ["batch", "/opt/tiffin/app", "-i", "/in", "--output=/out"]
    environ = {"TIFFIN_BATCH_INPUT": "/data/x.csv", "TIFFIN_BATCH_OUTPUT": "/results"}
    argv, _ = batch_command([], environ)
    assert argv[2:] == ["--input", "/data/x.csv", "--output", "/results"]


def test_batch_without_one_clear_channel_says_what_to_do(tmp_path: Path) -> None:
    environ = {"SAGEMAKER_BASE_DIR": str(tmp_path)}
    with pytest.raises(Refused, match="no input: mount a directory"):
        batch_command([], environ)
    for name in ("a", "b"):
        (tmp_path / "input" / "data" / name).mkdir(parents=True)
    with pytest.raises(Refused, match=r"several channels .* \(a, b\): set TIFFIN_BATCH_CHANNEL"):
        batch_command([], environ)
    argv, _ = batch_command([], {**environ, "TIFFIN_BATCH_CHANNEL": "b"})
    assert argv[3] == str(tmp_path / "input" / "data" / "b")


class _Ping(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/ping" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def ping_server() -> Iterator[int]:
    port = free_port()
    server = http.server.HTTPServer(("127.0.0.1", port), _Ping)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield port
    server.shutdown()
    server.server_close()


def test_healthcheck(ping_server: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(entrypoint, "MODE_FILE", tmp_path / "mode")
    assert healthcheck({"TIFFIN_PORT": str(ping_server)}) == 0
    assert healthcheck({"TIFFIN_PORT": str(free_port())}, timeout=1) == 1
    (tmp_path / "mode").write_text("train")
    assert healthcheck({"TIFFIN_PORT": str(free_port())}) == 0


def test_main_help_and_unknown_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert entrypoint.main(["help"]) == 0
    assert "serve" in capsys.readouterr().out
    assert entrypoint.main(["tiffin-no-such-command"]) == 2
    assert "neither a mode (serve, train, batch) nor a command" in capsys.readouterr().err


def test_main_refuses_batch_without_input(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SAGEMAKER_BASE_DIR", str(tmp_path))
    monkeypatch.delenv("TIFFIN_BATCH_INPUT", raising=False)
    assert entrypoint.main(["batch"]) == 2
    assert "no input" in capsys.readouterr().err


# --- KServe model-server flags ------------------------------------------------------------


def test_kserve_flags_map_to_tiffin_settings(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--model_name=churn", "--http_port=8081", "--grpc_port=8082", "--workers=2",
            "--model_dir=/mnt/models", "--enable_docs_url=false", "--max_threads", "4",
            "--max_buffer_size=104857600", "--access-log"]  # fmt: skip
    argv, env = serve_command(args, {"HTTP_PORT": "9000", "MODEL_NAME": "from-env"})
    assert argv == ["serve", "/opt/tiffin/app", "--access-log"]
    assert env["MODEL_NAME"] == "churn"
    assert env["TIFFIN_PORT"] == "8081"
    assert env["TIFFIN_GRPC_PORT"] == "8082"
    assert env["TIFFIN_WORKERS"] == "2"
    assert env["TIFFIN_THREADS"] == "4"
    assert env["MODEL_DIR"] == "/mnt/models"
    assert env["TIFFIN_MAX_BODY_SIZE"] == "104857600"
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "ignoring KServe options tiffin has no use for: --enable_docs_url=false\n" in err


def test_kserve_flags_with_bad_values_are_refused() -> None:
    with pytest.raises(Refused, match=r"--http_port=eighty: expected a whole number"):
        serve_command(["--http_port=eighty"], {})
    with pytest.raises(Refused, match=r"--workers needs a value"):
        serve_command(["--workers"], {})


def test_main_treats_leading_options_as_serve(tmp_path, monkeypatch, capsys) -> None:
    """`docker run IMAGE --max_buffer_size=104857600`, as a KServe manifest's args do."""
    execs: list[tuple[str, list[str], dict[str, str]]] = []
    monkeypatch.setattr(entrypoint, "MODE_FILE", tmp_path / "mode")
    monkeypatch.setattr(entrypoint, "prepare", lambda needs, env: env)
    monkeypatch.setattr(entrypoint.os, "execve", lambda *call: execs.append(call))
    monkeypatch.delenv("TIFFIN_PORT", raising=False)
    entrypoint.main(["--max_buffer_size=104857600", "--enable_docs_url", "false"])
    [(_, argv, env)] = execs
    assert argv[1:] == ["-m", "tiffin", "serve", "/opt/tiffin/app"]
    assert env["TIFFIN_MAX_BODY_SIZE"] == "104857600"
    assert (tmp_path / "mode").read_text() == "serve"
    assert "--enable_docs_url=false" in capsys.readouterr().err


def test_each_mode_names_the_directories_it_reads_and_writes(tmp_path: Path) -> None:
    from tiffin.entrypoint import needs_for
    from tiffin.privileges import Need

    base = {"SAGEMAKER_BASE_DIR": str(tmp_path)}
    assert needs_for("train", [], base) == [
        Need(tmp_path / "input", write=False),
        Need(tmp_path / "model", write=True),
        Need(tmp_path / "output", write=True),
    ]
    assert needs_for("serve", [], base) == [Need(tmp_path / "model", write=False)]
    batch = needs_for("batch", ["--input", "/in", "-o", "/out"], base)
    assert batch[1:] == [Need(Path("/in"), write=False), Need(Path("/out"), write=True)]

    # a STORAGE_URI fetched into MODEL_DIR needs it writable, unless the cluster filled it
    fetched = tmp_path / "mnt"
    fetched.mkdir()
    environ = {**base, "STORAGE_URI": "s3://b/m.tar.gz", "MODEL_DIR": str(fetched)}
    assert needs_for("serve", [], environ) == [Need(fetched, write=True)]
    (fetched / "model.joblib").write_bytes(b"weights")
    assert needs_for("serve", [], environ) == [Need(fetched, write=False)]
