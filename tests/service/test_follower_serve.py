"""``polysearch serve --workers 2``: a new index version is served by every worker, with no call and no failure."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import msgspec
import pytest

from service.follower import STATUS_DIR, WorkerStatus
from tests.conftest import REPO, SEEDS
from tests.service.test_serve import _free_port, _polysearch

TOKEN = "follower-test-admin-token-01"
NEW_ARTICLE = (
    "Robotics lab opens\n\n2 February 2024 Science 3\n\n"
    "The new robotics laboratory opened its doors to students. Quadruped robots were demonstrated."
)
# Bounds on polling (half a second apart) and on the requests the load thread may send.
READY_POLLS = 480
MAX_REQUESTS = 5000
CONSECUTIVE = 50


def _index(seeds: Path, out: Path) -> None:
    subprocess.run(
        _polysearch("index", "--seeds", str(seeds), "--out", str(out), "--quiet"),
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=600,
    )


@pytest.fixture
def two_workers(tmp_path: Path, session_real_index: Path) -> Iterator[tuple[str, Path, Path]]:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    index = tmp_path / "index"
    shutil.copytree(session_real_index, index)
    port = _free_port()
    env = {**os.environ, "POLYSEARCH_ADMIN_TOKEN": TOKEN}
    env.pop("POLYSEARCH_INDEX_DIR", None)
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            _polysearch("serve", "--index", str(index), "--port", str(port), "--workers", "2"),
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for_workers(index, process, log_path, count=2)
            yield f"http://127.0.0.1:{port}", seeds, index
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _workers(index: Path) -> list[WorkerStatus]:
    found = []
    for path in (index / STATUS_DIR).glob("*.json"):
        status = msgspec.json.decode(path.read_bytes(), type=WorkerStatus)
        if time.time() - status.updated < 5 and status.version is not None:
            found.append(status)
    return found


def _wait_for_workers(index: Path, process: subprocess.Popen[bytes], log_path: Path, *, count: int) -> None:
    for _ in range(READY_POLLS):
        if process.poll() is not None:
            raise AssertionError(f"serve exited:\n{log_path.read_text()[-3000:]}")
        if len(_workers(index)) >= count:
            return
        time.sleep(0.5)
    raise AssertionError(f"workers never all ready:\n{log_path.read_text()[-3000:]}")


@pytest.mark.model
@pytest.mark.timeout(900)
def test_every_worker_follows_a_new_version_with_no_failed_request(two_workers: tuple[str, Path, Path]) -> None:
    url, seeds, index = two_workers
    old = {w.version for w in _workers(index)}
    assert len(old) == 1
    seen: list[tuple[int, str | None]] = []
    stamps: list[float] = []
    stop = threading.Event()

    def load() -> None:
        # A new connection per request, so the kernel spreads them over both workers.
        while not stop.is_set() and len(seen) < MAX_REQUESTS:
            try:
                response = httpx.get(
                    f"{url}/search", params={"q": "robotics laboratory"}, headers={"Connection": "close"}
                )
                seen.append((response.status_code, response.json().get("index_version")))
            except httpx.TransportError as exc:
                seen.append((-1, type(exc).__name__))
            stamps.append(time.monotonic())

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    (seeds / "zz_robots.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    _index(seeds, index)
    built_at, built_count = time.monotonic(), len(seen)
    new = (index / "CURRENT").read_text().strip().removeprefix("v-")
    assert new not in old
    while len(seen) < MAX_REQUESTS and not (
        len(seen) - built_count >= CONSECUTIVE and all(v == new for _, v in seen[-CONSECUTIVE:])
    ):
        time.sleep(0.05)
    stop.set()
    thread.join(timeout=60)
    assert all(status == 200 for status, _ in seen), [s for s in seen if s[0] != 200][:5]
    assert all(v == new for _, v in seen[-CONSECUTIVE:]), "not every worker serves the new version"
    last_old = max((i for i, (_, v) in enumerate(seen) if v != new), default=None)
    lag = 0.0 if last_old is None else max(0.0, stamps[last_old] - built_at)
    print(f"{len(seen)} requests, none failed; last answer from the old version {lag:.1f} s after the build ended")
    reload = httpx.post(f"{url}/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120)
    workers = reload.json()["workers"]
    assert reload.status_code == 200 and len(workers) == 2
    assert {w["index_version"] for w in workers} == {new} and all(w["error"] is None for w in workers)
