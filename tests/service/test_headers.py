"""Security headers on every response, no file paths in error bodies, and how uvicorn is run."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from litestar import Litestar
from litestar.testing import TestClient

from indexer.store.layout import CURRENT
from service.app import create_app
from service.cli import server_options
from service.config import Settings
from service.observability import configure_service_logging
from service.server import HeaderTimeoutProtocol
from tests.fakes import FakeEncoder
from tests.service.conftest import AUTH, ClientFactory

API_PATHS = ["/health", "/ready", "/metrics", "/search?q=", "/search?q=office", "/no/such/page", "/schema/openapi.json"]


def _policy(response: httpx.Response) -> dict[str, str]:
    directives = [d.strip().split(" ", 1) for d in response.headers["content-security-policy"].split(";")]
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


@pytest.mark.parametrize("path", API_PATHS)
def test_api_responses_refuse_sniffing_framing_and_content(client: TestClient[Litestar], path: str) -> None:
    response = client.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    policy = _policy(response)
    assert policy["default-src"] == "'none'" and policy["frame-ancestors"] == "'none'"


def test_the_swagger_ui_runs_only_its_own_code_and_cannot_be_framed(client: TestClient[Litestar]) -> None:
    response = client.get("/schema/swagger")
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    policy = _policy(response)
    assert policy["frame-ancestors"] == "'none'" and "unsafe-inline" not in response.headers["content-security-policy"]
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", response.text, re.DOTALL)
    assert inline, "the page has its inline start-up script"
    for code in inline:
        digest = base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy["script-src"]


def test_pages_keep_their_own_policy(client: TestClient[Litestar]) -> None:
    page = client.get("/")
    assert _policy(page)["script-src"] == "'self'" and page.headers["x-content-type-options"] == "nosniff"


def test_not_ready_bodies_name_no_server_paths(make_client: ClientFactory, tmp_path: Path) -> None:
    client = make_client(index_dir=tmp_path / "missing" / "index", ready=False)
    for _ in range(200):
        ready = client.get("/ready").json()
        if ready["detail"] != "the index is loading":
            break
        time.sleep(0.01)
    search = client.get("/search", params={"q": "office"})
    assert search.status_code == 503
    for text in (ready["detail"], search.json()["detail"]):
        assert str(tmp_path) not in text and "/" not in text.replace("`polysearch index`", ""), text


def test_a_failed_reload_names_no_server_paths(client: TestClient[Litestar], tiny_index: Path) -> None:
    (tiny_index / CURRENT).write_text("v-0000000000000000\n", encoding="utf-8")
    response = client.post("/admin/reload", headers=AUTH)
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert str(tiny_index) not in detail and "v-0000000000000000" in detail and "/" not in detail, detail


@pytest.fixture
def live_server(tiny_index: Path, fake_encoder: FakeEncoder, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app under uvicorn, configured exactly as ``polysearch serve`` configures it."""
    monkeypatch.setattr(HeaderTimeoutProtocol, "header_timeout_s", 0.5)
    configure_service_logging("INFO")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(Settings(index_dir=tiny_index), encoder=fake_encoder)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **server_options()))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(500):
        try:
            if httpx.get(f"{url}/ready").status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    yield url
    server.should_exit = True
    thread.join(timeout=30)


def test_the_server_does_not_name_itself(live_server: str) -> None:
    response = httpx.get(f"{live_server}/health")
    assert "server" not in response.headers and response.headers["x-content-type-options"] == "nosniff"


def test_slow_request_headers_are_cut_off(live_server: str) -> None:
    host, port = live_server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.settimeout(30)  # a bound on the test, far above the server's header timeout
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # ...and never the blank line
        assert sock.recv(100) == b"", "the server kept waiting for the headers"
    # A complete request on a fresh connection is still served.
    assert httpx.get(f"{live_server}/health").status_code == 200


def _settled_err(capfd: pytest.CaptureFixture[str]) -> str:
    """stderr once the server stopped writing: a line still being written when read is cut in two.

    The request line of a POST may come after the /health barrier's (it is logged once its
    handler's task ends), so the capture is read until a read brings nothing new (bounded).
    """
    err = ""
    for _ in range(250):
        chunk = capfd.readouterr().err
        err += chunk
        if not chunk and err.endswith("\n"):
            return err
        time.sleep(0.02)
    return err


def test_a_chunked_post_logs_one_json_line(live_server: str, capfd: pytest.CaptureFixture[str]) -> None:
    configure_service_logging("INFO")  # again, so the log handlers write where this test captures
    host, port = live_server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.settimeout(30)
        sock.sendall(
            b"POST /search HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
            b"5\r\nhello\r\n0\r\n\r\n"
        )
        assert sock.recv(4096).startswith(b"HTTP/1.1 405")
    httpx.get(f"{live_server}/health")  # logged after the POST: its line is out by now
    err = _settled_err(capfd)
    assert "Traceback" not in err
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]
    posts = [line for line in lines if line.get("event") == "request" and line.get("method") == "POST"]
    assert len(posts) == 1 and posts[0]["status"] == 405


_CHUNKED_HEAD = b"POST %s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
_QUESTION = b'{"question": "summit"}'
# (name, path, bytes sent first, bytes sent once the server answered or after the first part)
_CHUNKED_VARIANTS = [
    ("malformed size after the 405", b"/search", b"5\r\nhello\r\n", b"zz\r\nabc\r\n0\r\n\r\n"),
    ("cut off after the 405", b"/search", b"40\r\nhello", None),
    ("malformed size", b"/ask", b"zz\r\nabc\r\n0\r\n\r\n", b""),
    ("negative size", b"/ask", b"-5\r\nabc\r\n0\r\n\r\n", b""),
    ("size of 21 digits", b"/ask", b"1" + b"0" * 20 + b"\r\nabc\r\n", b""),
    ("malformed size mid-body", b"/ask", b"5\r\n" + _QUESTION[:5] + b"\r\n", b"zz\r\nabc\r\n0\r\n\r\n"),
    ("missing chunk end", b"/ask", b"%x\r\n" % len(_QUESTION) + _QUESTION + b"XX0\r\n\r\n", b""),
    ("chunk extension", b"/ask", b"%x;name=value\r\n" % len(_QUESTION) + _QUESTION + b"\r\n0\r\n\r\n", b""),
    ("trailer", b"/ask", b"%x\r\n" % len(_QUESTION) + _QUESTION + b"\r\n0\r\nX-Trailer: 1\r\n\r\n", b""),
    ("cut off mid-body", b"/ask", b"40\r\n" + _QUESTION[:10], None),
]


def _responses(received: bytes) -> list[tuple[int, bytes, bytes]]:
    """``(status, head, body)`` of each response in ``received`` (every one has a Content-Length)."""
    found = []
    while received:
        head, _, rest = received.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?im)^content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
        found.append((int(head.split(b" ", 2)[1]), head, rest[:length]))
        received = rest[length:]
    return found


def _read_all(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


@pytest.mark.parametrize(("name", "path", "first", "then"), _CHUNKED_VARIANTS, ids=[v[0] for v in _CHUNKED_VARIANTS])
def test_chunked_posts_get_json_errors_and_log_json_lines(
    live_server: str,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    name: str,
    path: bytes,
    first: bytes,
    then: bytes | None,
) -> None:
    configure_service_logging("INFO")  # again, so the log handlers write where this test captures
    host, port = live_server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.settimeout(30)  # a bound on the test only
        sock.sendall(_CHUNKED_HEAD % path + first)
        received = sock.recv(65536) if path == b"/search" else b""  # the 405, sent before the body is read
        if then is None:
            sock.shutdown(socket.SHUT_WR)  # the client gives up mid-body
        else:
            sock.sendall(then)
        received += _read_all(sock)
    httpx.get(f"{live_server}/health")  # logged after the POST: its lines are out by now
    responses = _responses(received)
    for status, head, body in responses:
        assert status < 500, (name, received)
        if status != 200:
            assert b"application/json" in head.lower() and b"nosniff" in head.lower(), (name, received)
            assert "error" in json.loads(body), (name, received)
    assert len(responses) <= 1, f"{name}: more than one response to one request: {received!r}"
    err = _settled_err(capfd)
    assert "Traceback" not in err, err
    for line in err.splitlines():
        assert isinstance(json.loads(line), dict), line
    # Outside pytest, asyncio's records (with their tracebacks) went to Python's last-resort
    # handler; here pytest's own handler takes them, so they are checked here.
    assert not [r.getMessage() for r in caplog.records if r.exc_info], name


def test_other_libraries_log_one_json_line_too() -> None:
    # In a process of its own: pytest puts its own handlers on the root logger and on warnings.
    script = (
        "import logging, warnings\n"
        "from service.observability import configure_service_logging\n"
        "configure_service_logging('INFO')\n"
        "try:\n"
        "    raise RuntimeError('boom')\n"
        "except RuntimeError as exc:\n"
        "    logging.getLogger('asyncio').error('Fatal error: protocol.data_received() call failed.', exc_info=exc)\n"
        "warnings.warn('a library warning', UserWarning, stacklevel=1)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    lines = result.stderr.splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["logger"] for r in records] == ["asyncio", "py.warnings"], lines
    assert records[0]["error"] == "RuntimeError: boom"  # the traceback's last line, not the traceback
