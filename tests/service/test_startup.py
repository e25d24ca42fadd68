"""``polysearch serve`` as a person starts it: one line when it is ready, one line when it cannot start."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from indexer.store.layout import live_version_dir
from service.errors import ListenError
from service.observability import configure_service_logging
from service.startup import PROBE_HEADER, listening_socket, probe_host, ready_url
from tests.conftest import REPO
from tests.service.conftest import ClientFactory

# Reads of the served process's stdout, 50 ms apart, before a test decides the ready line never came.
READY_POLLS = 2400


def _serve(*args: str) -> list[str]:
    """``polysearch serve`` with the fake encoder behind every backend (tests/fake_cli.py)."""
    return [sys.executable, "-m", "tests.fake_cli", "serve", *args]


def _environment() -> dict[str, str]:
    env = {**os.environ, "POLYSEARCH_LOG_LEVEL": "INFO"}
    env.pop("POLYSEARCH_INDEX_DIR", None)
    return env


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_serve(*args), cwd=REPO, env=_environment(), capture_output=True, text=True, timeout=300)


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_ready_url_and_where_a_local_client_connects() -> None:
    assert ready_url("127.0.0.1", 8000) == "http://127.0.0.1:8000/"
    assert ready_url("::1", 8000) == "http://[::1]:8000/"
    assert ready_url("0.0.0.0", 80) == "http://0.0.0.0:80/"
    assert [probe_host(h) for h in ("0.0.0.0", "::", "::1", "10.1.2.3")] == ["127.0.0.1", "::1", "::1", "10.1.2.3"]


def test_a_taken_port_is_a_named_error(taken_port: int) -> None:
    with pytest.raises(ListenError, match=f"cannot listen on 127.0.0.1:{taken_port}: the port is in use"):
        listening_socket("127.0.0.1", taken_port)


def test_an_address_that_is_not_here_is_a_named_error() -> None:
    # 192.0.2.1 is TEST-NET-1, documentation's address: no machine has it.
    why = "that address is not one of this machine's (see --host)"
    with pytest.raises(ListenError, match=f"cannot listen on 192.0.2.1:8000: {re.escape(why)}"):
        listening_socket("192.0.2.1", 8000)


def test_serve_on_a_taken_port_is_one_line_and_a_failure(tiny_index: Path, taken_port: int) -> None:
    result = _run("--index", str(tiny_index), "--host", "127.0.0.1", "--port", str(taken_port))
    assert result.returncode != 0
    assert result.stderr.splitlines() == [
        f"polysearch serve: error: cannot listen on 127.0.0.1:{taken_port}: "
        "the port is in use (another polysearch? choose another with --port)"
    ]
    assert result.stdout == ""


def test_serve_with_a_damaged_index_is_one_line_and_a_failure(tiny_index: Path) -> None:
    version_dir = live_version_dir(tiny_index)
    damaged = next(path for path in sorted(version_dir.rglob("*")) if path.is_file() and path.name != "manifest.json")
    damaged.write_bytes(damaged.read_bytes()[:-1])
    result = _run("--index", str(tiny_index), "--port", "1")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"polysearch serve: error: {damaged} has {damaged.stat().st_size} bytes, "
        f"the manifest says {damaged.stat().st_size + 1} (truncated?)"
    ]


def test_serve_without_an_index_is_one_line(tmp_path: Path) -> None:
    result = _run("--index", str(tmp_path / "missing"), "--port", "1")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"polysearch serve: error: no index at {tmp_path / 'missing'} (run `polysearch index` first)"
    ]


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_line(stdout: Path, process: subprocess.Popen[bytes]) -> str:
    for _ in range(READY_POLLS):
        text = stdout.read_text(encoding="utf-8")
        if text.endswith("\n"):
            return text
        if process.poll() is not None:
            raise AssertionError(f"serve exited with {process.returncode} before it was ready")
        time.sleep(0.05)
    raise AssertionError("serve never printed its ready line")


@pytest.mark.parametrize(
    ("host", "options", "logged"),
    [
        ("127.0.0.1", [], [("/ready", 200), ("/search", 200)]),
        ("::1", [], [("/ready", 200), ("/search", 200)]),
        # Given after the subcommand, the global option overrides POLYSEARCH_LOG_LEVEL (INFO here).
        ("127.0.0.1", ["--log-level", "warning"], []),
    ],
)
def test_serve_says_where_it_is_ready_and_keeps_static_files_out_of_the_log(
    host: str, options: list[str], logged: list[tuple[str, int]], tiny_index: Path, tmp_path: Path
) -> None:
    port = _free_port(host)
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        args = ("--index", str(tiny_index), "--host", host, "--port", str(port), *options)
        process = subprocess.Popen(_serve(*args), cwd=REPO, env=_environment(), stdout=stdout, stderr=stderr)
    try:
        url = ready_url(host, port)
        assert _wait_for_line(out, process) == f"polysearch is ready: {url}\n"
        with httpx.Client(base_url=url, timeout=30) as client:
            assert client.get("/ready").status_code == 200
            assert client.get("/static/css/page.css").status_code == 200
            assert client.get("/widget.js").status_code == 200
            assert client.get("/search", params={"q": "summit"}).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    assert process.returncode == 0
    assert out.read_text(encoding="utf-8") == f"polysearch is ready: {url}\n"
    lines = [json.loads(line) for line in err.read_text(encoding="utf-8").splitlines()]
    requests = [(line["path"], line["status"]) for line in lines if line["event"] == "request"]
    # The startup's own polls of /ready are not there either: only the client's requests.
    assert requests == logged
    if options:
        assert lines == []


@pytest.fixture
def _restore_logging() -> Iterator[None]:
    yield
    for name in ("indexer", "service", "eval"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True


@pytest.mark.usefixtures("_restore_logging")
def test_static_files_and_startup_polls_are_logged_at_debug(
    make_client: ClientFactory, capfd: pytest.CaptureFixture[str]
) -> None:
    client = make_client()
    configure_service_logging("DEBUG")
    capfd.readouterr()
    client.get("/static/css/page.css")
    client.get("/schema/assets/swagger-ui-bundle.js")
    client.get("/ready", headers={PROBE_HEADER: "startup"})
    client.get("/")
    records = [json.loads(line) for line in capfd.readouterr().err.splitlines()]
    logged = [(r["level"], r["path"], r["status"]) for r in records if r["event"] == "request"]
    assert logged == [
        ("debug", "/static/css/page.css", 200),
        ("debug", "/schema/assets/swagger-ui-bundle.js", 200),
        ("debug", "/ready", 200),
        ("info", "/", 200),
    ]
