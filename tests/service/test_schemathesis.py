"""The OpenAPI document says exactly what the service does: schemathesis, every check, against ``polysearch serve``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO
from tests.service.test_serve import _free_port, _polysearch, real_index  # noqa: F401 - a fixture

TOKEN = "schemathesis-admin-token-0123"
SEED = 14
# Examples per operation and phase: bounded, so the run takes about a minute on two cores.
MAX_EXAMPLES = 25
READY_POLLS = 480
ST = Path(sys.executable).with_name("st")


@pytest.fixture
def served(real_index: Path, tmp_path: Path) -> Iterator[str]:  # noqa: F811 - the imported fixture
    port = _free_port()
    env = {**os.environ, "POLYSEARCH_ADMIN_TOKEN": TOKEN, "POLYSEARCH_LOG_LEVEL": "WARNING"}
    env.pop("POLYSEARCH_INDEX_DIR", None)
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            _polysearch("serve", "--index", str(real_index), "--port", str(port)),
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(READY_POLLS):
                if process.poll() is not None:
                    raise AssertionError(f"serve exited:\n{log_path.read_text()[-3000:]}")
                try:
                    if httpx.get(f"{url}/ready").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.5)
            yield url
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    assert "Traceback" not in log_path.read_text()


@pytest.mark.model
@pytest.mark.timeout(900)
@pytest.mark.skipif(not ST.exists(), reason="schemathesis is not installed (pip install -e '.[test]')")
def test_the_service_conforms_to_its_openapi_document(served: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            str(ST),
            "run",
            f"{served}/schema/openapi.json",
            "--checks",
            "all",
            "--seed",
            str(SEED),
            "--max-examples",
            str(MAX_EXAMPLES),
            "--header",
            f"Authorization: Bearer {TOKEN}",
            "--no-color",
        ],
        cwd=tmp_path,  # schemathesis keeps its cache of failures in the working directory
        capture_output=True,
        text=True,
        timeout=850,
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout
