"""``polysearch serve`` as a user runs it: a real process, the packaged model, HTTP on loopback."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO

TOKEN = "serve-test-admin-token-0123"
# Polls of /ready, half a second apart: loading torch and the model on a busy 2-core CI box.
READY_POLLS = 480
JITRI_ARTICLE = "004_65cc03ef8546c71e"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _polysearch(*args: str) -> list[str]:
    return [sys.executable, "-m", "indexer.commands", *args]


@pytest.fixture
def real_index(session_real_index: Path) -> Path:
    return session_real_index


@pytest.fixture
def server(real_index: Path, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    port = _free_port()
    env = {**os.environ, "POLYSEARCH_ADMIN_TOKEN": TOKEN}
    env.pop("POLYSEARCH_INDEX_DIR", None)
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            _polysearch("serve", "--index", str(real_index), "--host", "127.0.0.1", "--port", str(port)),
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield f"http://127.0.0.1:{port}", process, log_path
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _wait_ready(client: httpx.Client, process: subprocess.Popen[bytes], log_path: Path) -> dict[str, object]:
    for _ in range(READY_POLLS):
        if process.poll() is not None:
            raise AssertionError(f"serve exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            response = client.get("/ready")
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code == 200:
            body: dict[str, object] = response.json()
            return body
        time.sleep(0.5)
    raise AssertionError(f"never ready:\n{log_path.read_text()[-3000:]}")


@pytest.mark.model
@pytest.mark.timeout(600)
def test_serve_answers_the_jitri_question_over_http(server: tuple[str, subprocess.Popen[bytes], Path]) -> None:
    url, process, log_path = server
    with httpx.Client(base_url=url, timeout=120) as client:
        ready = _wait_ready(client, process, log_path)
        assert ready["ready"] is True and isinstance(ready["passages"], int) and ready["passages"] > 0
        response = client.get("/ask", params={"q": "Who led the JITRI delegation"})
        assert response.status_code == 200
        body = response.json()
        answer = body["answer"]
        assert body["abstained"] is False and "Gao Jun" in answer["text"]
        assert answer["article_id"] == JITRI_ARTICLE
        article = client.get(f"/articles/{JITRI_ARTICLE}").json()
        assert article["body"][answer["start"] : answer["end"]] == answer["text"]
        assert body["index_version"] == ready["index_version"]
        unanswerable = client.get("/ask", params={"q": "What will the weather be like in St. Petersburg tomorrow?"})
        assert unanswerable.json()["abstained"] is True
        assert client.get("/schema").status_code == 200
        reload = client.post("/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"})
        assert reload.status_code == 200 and reload.json()["index_version"] == ready["index_version"]
    process.send_signal(signal.SIGTERM)
    # uvicorn shuts down gracefully, then re-raises the signal so the exit status reports it.
    assert process.wait(timeout=60) in (0, -signal.SIGTERM)
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    assert "Application shutdown complete." in [line.get("event") for line in lines]
    requests = [line for line in lines if line.get("event") == "request" and line.get("path") == "/ask"]
    assert len(requests) == 2 and all(line["status"] == 200 for line in requests)
    assert "JITRI" not in json.dumps(requests)  # no query text at the default level


def test_serve_without_an_index_fails_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        _polysearch("serve", "--index", str(tmp_path / "missing"), "--port", str(_free_port())),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"polysearch serve: error: no index at {tmp_path / 'missing'} (run `polysearch index` first)"
    ]


def test_serve_refuses_a_bad_setting(tmp_path: Path) -> None:
    env = {**os.environ, "POLYSEARCH_ADMIN_TOKEN": "short"}
    result = subprocess.run(
        _polysearch("serve", "--index", str(tmp_path)), cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2 and "admin token" in result.stderr
