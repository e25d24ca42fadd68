"""The real service as a child process: ``polysearch serve`` on a free loopback port, timed to /ready."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

from eval.errors import EvalError

LOOPBACK = "127.0.0.1"
READY_TIMEOUT_S = 180.0
_POLL_S = 0.02


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it; only loopback is touched)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def proc_status_kib(pid: int, field: str) -> int | None:
    """A ``/proc/<pid>/status`` memory field (VmHWM: peak resident, VmRSS: now) in KiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def polysearch_command() -> list[str]:
    """The installed ``polysearch`` script beside this interpreter, else the module form."""
    script = Path(sys.executable).with_name("polysearch")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "indexer.commands"]


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    """What the benchmark varies; ``None`` leaves the service's own default in force."""

    torch_threads: int | None = None
    compute_threads: int | None = None
    # The service's own default (INFO) by default: the request log is part of the real cost.
    log_level: str | None = None


class ServiceProcess:
    """Start with ``start()`` (returns seconds to /ready); always ``stop()`` (or use ``with``)."""

    def __init__(self, index_dir: Path, log_path: Path, settings: ServiceSettings | None = None) -> None:
        self.index_dir = index_dir
        self.log_path = log_path
        self.settings = settings or ServiceSettings()
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self._process is None:
            raise EvalError("the service is not running")
        return self._process.pid

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.settings.log_level is not None:
            env["POLYSEARCH_LOG_LEVEL"] = self.settings.log_level
        if self.settings.torch_threads is not None:
            env["POLYSEARCH_TORCH_THREADS"] = str(self.settings.torch_threads)
        if self.settings.compute_threads is not None:
            env["POLYSEARCH_COMPUTE_THREADS"] = str(self.settings.compute_threads)
        return env

    def start(self) -> float:
        """Launch and wait for /ready; the seconds from process start to the first 200."""
        command = [
            *polysearch_command(),
            "serve",
            "--index",
            str(self.index_dir),
            "--host",
            LOOPBACK,
            "--port",
            str(self.port),
            "--workers",
            "1",
        ]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            started = time.perf_counter()
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=self._environment())
        deadline = started + READY_TIMEOUT_S
        with httpx.Client(timeout=2.0) as client:
            while time.perf_counter() < deadline:
                if self._process.poll() is not None:
                    raise EvalError(f"the service exited with {self._process.returncode}; see {self.log_path}")
                try:
                    if client.get(f"{self.url}/ready").status_code == 200:
                        return time.perf_counter() - started
                except httpx.TransportError:
                    pass  # not listening yet
                time.sleep(_POLL_S)
        self.stop()
        raise EvalError(f"the service was not ready within {READY_TIMEOUT_S:.0f} s; see {self.log_path}")

    def peak_memory_mib(self) -> float | None:
        kib = proc_status_kib(self.pid, "VmHWM")
        return None if kib is None else kib / 1024

    def memory_mib(self) -> float | None:
        kib = proc_status_kib(self.pid, "VmRSS")
        return None if kib is None else kib / 1024

    def logged_setting(self, name: str) -> object:
        """A field of the service's ``serving`` log line (its effective settings), if it logged one."""
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return None
        for line in reversed(lines):
            if '"serving"' not in line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and record.get("event") == "serving":
                return record.get(name)
        return None

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def __enter__(self) -> ServiceProcess:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
