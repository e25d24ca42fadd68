"""Runs the Ray scenarios on a real two-node cluster; started by test_ray_cluster.py in a network namespace.

``python -m tests.engines.cluster_run OUT`` starts a head and a second node (both on
127.0.0.1), runs each scenario, writes ``OUT/results.json`` and stops the cluster. The
caller has already made a fresh network namespace with only loopback up, so nothing here
can reach another machine; the pytest side only reads the results.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from eval.questions import load_questions
from indexer.build.builder import BuildOptions, build_index
from indexer.encoders.registry import DEFAULT_BACKEND, encoder_cache_dir, load_encoder
from indexer.search.retriever import Retriever
from indexer.store.layout import live_version_dir
from indexer.store.reader import load_index
from service.ray_app import REPLICA_HEADER
from tests.fakes import FakeEncoder

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
HEAD_PORT = 6399
HTTP_PORT = 8470
CLI_PORT = 8471


def _max_diff(x: Any, y: Any) -> float:
    """The largest elementwise difference of two vector stores (segmented ones read as arrays)."""
    return float(np.abs(np.asarray(x, dtype=np.float32) - np.asarray(y, dtype=np.float32)).max())


def start_cluster(temp: Path) -> None:
    from indexer.engines.ray_cluster import start_local_nodes

    start_local_nodes(2, temp_dir=temp, port=HEAD_PORT)


def wait_nodes(ray: Any, n: int, timeout_s: float = 60) -> list[str]:
    deadline = time.monotonic() + timeout_s
    while True:
        alive = [node["NodeID"] for node in ray.nodes() if node["Alive"]]
        if len(alive) >= n or time.monotonic() > deadline:
            return alive
        time.sleep(0.5)


def version_files(index_dir: Path) -> dict[str, bytes]:
    root = live_version_dir(index_dir)
    return {p.name: p.read_bytes() for p in sorted(root.iterdir()) if p.is_file()}


def polysearch(*args: str | Path, log: Path) -> subprocess.CompletedProcess[str]:
    """One ``polysearch`` command with INFO logs (JSON lines on stderr, also kept in ``log``)."""
    command = [sys.executable, "-m", "indexer.commands", "--log-level", "INFO", *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    log.write_text(f"$ {' '.join(command)}\nexit {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done


def ray_events(stderr: str) -> list[dict[str, Any]]:
    """The ``ray_embedded`` log events of a command: one per call that went to the cluster."""
    events = []
    for line in stderr.splitlines():
        if line.startswith("{") and '"ray_embedded"' in line:
            with contextlib.suppress(ValueError):
                events.append(json.loads(line))
    return events


def scenario_build(out: Path) -> dict[str, Any]:
    """``polysearch index --engine ray`` against ``polysearch index``, both with default options.

    The default backend is ONNX: each command exports the model into its own ``<index>/encoders``
    and the actors, on both nodes, load the export by that path.
    """
    head = f"127.0.0.1:{HEAD_PORT}"
    # Neither names a backend: the local default and the cluster's must be one, whatever the CPU.
    local_run = polysearch(
        "index", "--seeds", SEEDS, "--out", out / "local", "--quiet", log=out / "index-local.log",
    )  # fmt: skip
    started = time.monotonic()
    ray_run = polysearch(
        "index", "--seeds", SEEDS, "--out", out / "ray", "--quiet", "--engine", "ray", "--ray-address", head,
        log=out / "index-ray.log",
    )  # fmt: skip
    seconds = time.monotonic() - started
    if local_run.returncode != 0 or ray_run.returncode != 0:
        return {"error": f"index failed: local {local_run.stderr[-1500:]}\nray {ray_run.stderr[-1500:]}"}
    events = ray_events(ray_run.stderr)
    a, b = load_index(out / "local"), load_index(out / "ray")
    files_a, files_b = version_files(out / "local"), version_files(out / "ray")
    local_encoder = load_encoder(None, backend=DEFAULT_BACKEND, cache_dir=encoder_cache_dir(out / "local"))
    top10: dict[str, bool] = {}
    ra, rb = Retriever(a, local_encoder), Retriever(b, local_encoder)
    questions = load_questions()
    vectors = local_encoder.encode([q.question for q in questions])
    for question, vector in zip(questions, vectors):
        for mode in ("dense", "hybrid"):
            query = ra.read(question.question).with_vector(vector)
            ids_a = [h.passage.id for h in ra.search(query, k=10, mode=mode)]
            ids_b = [h.passage.id for h in rb.search(query, k=10, mode=mode)]
            top10[f"{question.id}/{mode}"] = ids_a == ids_b
    return {
        "versions": [a.version, b.version],
        "backends": [a.manifest.model.backend, b.manifest.model.backend],
        "passages": [[p.id for p in a.passages] == [p.id for p in b.passages], len(a.passages)],
        "file_names": [sorted(files_a), sorted(files_b)],
        "identical_files": sorted(n for n in files_a if files_a[n] == files_b.get(n)),
        "manifests_equal_but_built_at": _manifest(files_a) == _manifest(files_b),
        "max_vector_diff": _max_diff(a.embeddings, b.embeddings),
        "max_sentence_vector_diff": _max_diff(a.sentence_embeddings, b.sentence_embeddings),
        "texts": sum(int(e["texts"]) for e in events),
        "batches": sum(int(e["batches"]) for e in events),
        "nodes_used": max((int(e["nodes"]) for e in events), default=0),
        "actor_backends": sorted({str(e["backend"]) for e in events}),
        "telemetry_off": bool(events) and all(e["telemetry_off"] is True for e in events),
        "top10_equal": top10,
        "seconds": seconds,
    }


def scenario_sync(out: Path) -> dict[str, Any]:
    """``polysearch sync --engine ray`` against ``polysearch sync`` of a folder, over two passes.

    The second pass adds an article, so only its passages are encoded (on the cluster).
    """
    head = f"127.0.0.1:{HEAD_PORT}"
    folder = out / "sync-source"
    folder.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    for path in seeds[:2]:
        shutil.copy(path, folder / path.name)
    passes = []
    for number in (1, 2):
        if number == 2:
            shutil.copy(seeds[2], folder / seeds[2].name)
        local_run = polysearch(
            "sync", "--source", folder, "--out", out / "sync-local", "--quiet", "--json",
            log=out / f"sync-local-{number}.log",
        )  # fmt: skip
        ray_run = polysearch(
            "sync", "--source", folder, "--out", out / "sync-ray", "--quiet", "--json", "--engine", "ray",
            "--ray-address", head, log=out / f"sync-ray-{number}.log",
        )  # fmt: skip
        if local_run.returncode != 0 or ray_run.returncode != 0:
            return {"error": f"sync {number} failed: local {local_run.stderr[-1500:]}\nray {ray_run.stderr[-1500:]}"}
        local_report, ray_report = json.loads(local_run.stdout), json.loads(ray_run.stdout)
        files_a, files_b = version_files(out / "sync-local"), version_files(out / "sync-ray")
        a, b = load_index(out / "sync-local"), load_index(out / "sync-ray")
        events = ray_events(ray_run.stderr)
        passes.append(
            {
                "versions": [local_report["version"], ray_report["version"]],
                "encoded": [local_report["encoded"], ray_report["encoded"]],
                "added": [local_report["added"], ray_report["added"]],
                "manifests_equal_but_built_at": _manifest(files_a) == _manifest(files_b),
                "file_names_equal": sorted(files_a) == sorted(files_b),
                "passages_equal": [p.id for p in a.passages] == [p.id for p in b.passages],
                "max_vector_diff": _max_diff(a.embeddings, b.embeddings),
                "max_sentence_vector_diff": _max_diff(a.sentence_embeddings, b.sentence_embeddings),
                "ray_texts": sum(int(e["texts"]) for e in events),
                "backends": [a.manifest.model.backend, b.manifest.model.backend],
            }
        )
    return {"passes": passes}


def _manifest(files: dict[str, bytes]) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(files["manifest.json"])
    manifest.pop("built_at")
    return manifest


def _strip(body: Any) -> Any:
    if isinstance(body, dict):
        # Timing and the query log's id differ per request, whichever process answers.
        return {k: _strip(v) for k, v in body.items() if k not in ("took_ms", "query_id")}
    if isinstance(body, list):
        return [_strip(v) for v in body]
    return body


def _requests() -> list[tuple[str, str]]:
    questions = [q.question for q in load_questions()[:20]]
    return [("search", q) for q in questions] + [("ask", q) for q in questions]


def _call(client: httpx.Client, kind: str, question: str) -> tuple[int, Any]:
    return _call_named(client, kind, question)[:2]


def _call_named(client: httpx.Client, kind: str, question: str) -> tuple[int, Any, str | None]:
    """Status, body and the replica that answered (its ``x-polysearch-replica`` header)."""
    response = client.get(f"/{kind}", params={"q": question})
    body = response.json() if response.status_code == 200 else response.text
    return response.status_code, body, response.headers.get(REPLICA_HEADER)


def metrics_by_replica(client: httpx.Client, replicas: int, *, scrapes: int = 200) -> dict[str, str]:
    """The latest /metrics page of each replica, by the replica label its samples carry.

    The proxy sends each scrape to one replica; scraping until every replica has answered
    (bounded) is what a Prometheus scraping the proxy sees over a few intervals. The bound is
    generous: on a loaded machine the proxy has sent dozens of calls in a row to one replica.
    """
    pages: dict[str, str] = {}
    for _ in range(scrapes):
        response = client.get("/metrics")
        named = response.headers.get(REPLICA_HEADER)
        if response.status_code == 200 and named:
            pages[named] = response.text
        if len(pages) >= replicas:
            break
    return pages


def _sample(page: str, prefix: str) -> float:
    """The sum of the samples of ``page`` whose line starts with ``prefix``."""
    return sum(float(line.rsplit(" ", 1)[1]) for line in page.splitlines() if line.startswith(prefix))


def expected_answers(index_dir: Path) -> dict[tuple[str, str], Any]:
    from litestar.testing import TestClient

    from service.app import create_app
    from service.config import Settings

    app = create_app(Settings(index_dir=index_dir), encoder=FakeEncoder())
    with TestClient(app) as client:
        deadline = time.monotonic() + 60
        while client.get("/ready").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        return {(kind, q): _strip(client.get(f"/{kind}", params={"q": q}).json()) for kind, q in _requests()}


def replica_actors(ray: Any) -> dict[str, dict[str, str]]:
    """Live replica actors of the app: id -> name, namespace and node (from the GCS; no dashboard)."""
    from ray._private import state

    found = {}
    for actor_id, info in state.actors().items():
        if "PolysearchApp" in str(info.get("ActorClassName", "")) + str(info.get("Name", "")) and (
            info.get("State") in ("ALIVE", 2)
        ):
            found[actor_id] = {
                "name": str(info.get("Name", "")),
                "namespace": str(info.get("RayNamespace", "serve")),
                "node": str((info.get("Address") or {}).get("NodeID", "")),
            }
    return found


def replica_nodes(ray: Any) -> dict[str, str]:
    return {actor_id: info["node"] for actor_id, info in replica_actors(ray).items()}


def wait_ready_http(client: httpx.Client, timeout_s: float = 120) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            # Every replica loads on its own; ask several times in a row so each has answered ready.
            if all(client.get("/ready").status_code == 200 for _ in range(6)):
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return False


def scenario_serve(out: Path, ray: Any) -> dict[str, Any]:
    """Two replicas on two nodes answer concurrent /search and /ask as one process does."""
    from indexer.engines import ray_serve
    from service.config import Settings
    from service.ray_app import application

    index_dir = out / "fake-index"
    build_index(SEEDS, index_dir, FakeEncoder(), BuildOptions())
    expected = expected_answers(index_dir)
    settings = Settings(index_dir=index_dir, host="127.0.0.1", port=HTTP_PORT, compute_threads=2)
    ray_serve.start_http(host="127.0.0.1", port=HTTP_PORT)
    ray_serve.run(application(settings, replicas=2, encoder_factory=FakeEncoder), blocking=False)
    ray_serve.wait_replicas(2, timeout_s=120)
    result: dict[str, Any] = {"replica_nodes": sorted(replica_nodes(ray).values())}
    with httpx.Client(base_url=f"http://127.0.0.1:{HTTP_PORT}", timeout=30) as client:
        result["ready"] = wait_ready_http(client)
        work = _requests() * 2
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda r: (r, _call_named(client, *r)), work))
        result["requests"] = len(answers)
        result["ok"] = sum(1 for _, (status, _, _) in answers if status == 200)
        result["equal"] = sum(1 for r, (status, body, _) in answers if status == 200 and _strip(body) == expected[r])
        metrics = client.get("/metrics")
        result["metrics_status"] = metrics.status_code
        result["metrics_has_requests"] = "search" in metrics.text
        # Per replica: the /search requests each replica answered, by the header on the answers,
        # against the /search counter on that replica's own /metrics page (labelled with its id).
        answered: dict[str, int] = {}
        for (kind, _), (status, _, named) in answers:
            if kind == "search" and status == 200 and named:
                answered[named] = answered.get(named, 0) + 1
        pages = metrics_by_replica(client, 2)
        prefix = 'polysearch_http_requests_total{method="GET",route="/search",status="200",'
        result["per_replica"] = {
            "answered": answered,
            "counted": {named: _sample(page, prefix) for named, page in pages.items()},
            "labelled": {named: f'replica="{named}"' in page for named, page in pages.items()},
            "replica_actors": len(replica_actors(ray)),
        }
        result["follow"] = scenario_follow(client, out, index_dir)
        result["kill"] = scenario_kill(client, ray)
    return result


def _versions_seen(client: httpx.Client, path: str, times: int, *, replicas: int = 2) -> dict[str, list[str | None]]:
    """The index version at least ``times`` answers of ``path`` name, by the replica that answered each.

    The proxy picks a replica per request, and on a loaded machine it once sent 16 calls in a
    row to one of two; so it asks on (up to 4x ``times``) until ``replicas`` of them have answered.
    """
    seen: dict[str, list[str | None]] = {}
    for attempt in range(4 * times):
        if attempt >= times and len(seen) >= replicas:
            break
        response = client.get(path)
        if path == "/metrics":
            found = [line.split('version="', 1)[1].split('"', 1)[0] for line in response.text.splitlines()
                     if "index_info{" in line and 'version="' in line]  # fmt: skip
            version = found[0] if found else None
        else:
            version = response.json().get("index_version") if response.status_code == 200 else None
        seen.setdefault(str(response.headers.get(REPLICA_HEADER)), []).append(version)
    return seen


def scenario_follow(client: httpx.Client, out: Path, index_dir: Path) -> dict[str, Any]:
    """A new version built into the served index under load: both replicas take it, nothing fails.

    No /admin/reload: each replica's follower watches ``CURRENT`` and says what it serves on the
    status board (``<index>/.serving/<host>-<pid>.json``, one file per replica).
    """
    from service.follower import STATUS_DIR, StatusBoard

    board = StatusBoard(index_dir / STATUS_DIR, "reader")
    before = {w.worker: w.version for w in board.workers(max_age_s=15)}
    seeds = out / "seeds-v2"
    shutil.copytree(SEEDS, seeds)
    source = sorted(SEEDS.glob("*.txt"))[0]
    (seeds / "999_follow.txt").write_text(
        "Follower test article\n\n1 December 2026 News 1\n\n" + source.read_text().split("\n", 4)[-1],
        encoding="utf-8",
    )
    statuses: list[int] = []
    versions: set[str] = set()
    stop = threading.Event()
    lock = threading.Lock()

    def load() -> None:
        questions = _requests()
        for number in range(2000):  # bounded: stopped long before, once both replicas follow
            if stop.is_set():
                return
            kind, question = questions[number % len(questions)]
            try:
                response = client.get(f"/{kind}", params={"q": question})
                status, version = response.status_code, response.json().get("index_version")
            except (httpx.HTTPError, ValueError):
                status, version = -1, None
            with lock:
                statuses.append(status)
                if version:
                    versions.add(str(version))

    threads = [threading.Thread(target=load) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        new = build_index(seeds, index_dir, FakeEncoder(), BuildOptions())
        switched = time.monotonic()
        followed_s = None
        deadline = switched + 60
        while time.monotonic() < deadline:
            workers = board.workers(max_age_s=15)
            if len(workers) >= 2 and all(w.version == new.version for w in workers):
                followed_s = round(time.monotonic() - switched, 2)
                break
            time.sleep(0.1)
        time.sleep(2)  # keep the load on a moment after the switch
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    workers = board.workers(max_age_s=15)
    return {
        "old_versions": sorted({str(v) for v in before.values()}),
        "replicas_before": len(before),
        "new_version": new.version,
        "followed_s": followed_s,
        "replica_versions": {w.worker: w.version for w in workers},
        "requests": len(statuses),
        "failed": sum(1 for status in statuses if status != 200),
        "versions_served": sorted(versions),
        "ready_by_replica": _versions_seen(client, "/ready", 16),
        "metrics_by_replica": _versions_seen(client, "/metrics", 16),
    }


def scenario_kill(client: httpx.Client, ray: Any) -> dict[str, Any]:
    """A replica killed mid-load: Serve replaces it and only the requests it held fail."""
    from indexer.engines import ray_serve

    before = replica_nodes(ray)
    statuses: list[int] = []
    lock = threading.Lock()
    work = _requests() * 4
    killed = threading.Event()

    def one(request: tuple[str, str]) -> None:
        try:
            status = _call(client, *request)[0]
        except httpx.HTTPError:
            status = -1
        with lock:
            statuses.append(status)
            if len(statuses) == len(work) // 4 and not killed.is_set():
                killed.set()
                victim = replica_actors(ray)[sorted(before)[0]]
                ray.kill(ray.get_actor(victim["name"], namespace=victim["namespace"]), no_restart=True)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, work))
    victim_id = sorted(before)[0]
    # Serve notices the death at its next health check and starts a new replica: wait (bounded)
    # until the victim is gone from the live actors and two replicas run again.
    deadline = time.monotonic() + 120
    after = replica_nodes(ray)
    while (victim_id in after or len(after) < 2) and time.monotonic() < deadline:
        time.sleep(1)
        after = replica_nodes(ray)
    ray_serve.wait_replicas(2, timeout_s=120)
    ready_again = wait_ready_http(client)
    settled = [_call(client, *r)[0] for r in _requests()]
    return {
        "requests": len(statuses),
        "failed": sum(1 for s in statuses if s != 200),
        "concurrency": 4,
        "killed": killed.is_set(),
        "replaced": len(after) == 2 and victim_id not in after,
        "ready_again": ready_again,
        "after_ok": sum(1 for s in settled if s == 200),
        "after_total": len(settled),
    }


def _search_ids(client: httpx.Client, question: str, mode: str) -> tuple[str | None, list[tuple[str, float]]]:
    return _search_named(client, question, mode)[0]


def _search_named(
    client: httpx.Client, question: str, mode: str
) -> tuple[tuple[str | None, list[tuple[str, float]]], str | None]:
    response = client.get("/search", params={"q": question, "mode": mode, "k": 10})
    if response.status_code != 200:
        return (None, []), response.headers.get(REPLICA_HEADER)
    body = response.json()
    hits = [(hit["passage_id"], round(hit["score"], 6)) for hit in body["hits"]]
    return (body["index_version"], hits), response.headers.get(REPLICA_HEADER)


def _single_ids(retriever: Retriever, question: str, mode: str) -> tuple[str, list[tuple[str, float]]]:
    hits = retriever.search(question, k=10, mode=mode)  # type: ignore[arg-type]
    return retriever.version, [(hit.passage.id, round(hit.score, 6)) for hit in hits]


def scenario_shards(out: Path) -> dict[str, Any]:
    """``serve`` with S = 2 dense shards, through the HTTP entry point, against the single index.

    Two replicas (one keyword index each) take their dense candidates from two shard
    deployments; every eval question's /search (dense and hybrid) must equal the single
    index's hits. Then a new version is built into the served index: replicas and shards
    follow it, and a sample of questions is compared again on the new version.
    """
    from ray import serve

    from indexer.engines import ray_serve
    from service.config import Settings
    from service.ray_app import application

    index_dir = out / "fake-index"
    settings = Settings(index_dir=index_dir, host="127.0.0.1", port=HTTP_PORT, compute_threads=2)
    app = application(settings, replicas=2, shards=2, cpus_per_shard=0, encoder_factory=FakeEncoder)
    serve.run(app, name=ray_serve.APP_NAME, route_prefix="/", blocking=False)
    ray_serve.wait_replicas(2, timeout_s=180)
    shards = ray_serve.shard_handles(2)
    questions = [q.question for q in load_questions()]
    result: dict[str, Any] = {"questions": len(questions)}
    with httpx.Client(base_url=f"http://127.0.0.1:{HTTP_PORT}", timeout=60) as client:
        result["ready"] = wait_ready_http(client, timeout_s=180)
        single = Retriever(load_index(index_dir), FakeEncoder())
        work = [(question, mode) for question in questions for mode in ("dense", "hybrid")]
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda job: _search_named(client, *job), work))
        for mode in ("dense", "hybrid"):
            result[f"{mode}_equal"] = sum(
                int(got == _single_ids(single, question, m))
                for (question, m), (got, _) in zip(work, answers)
                if m == mode
            )
        result["replicas_answering"] = len({named for _, named in answers})
        result["shards_before"] = [h.status.remote().result(timeout_s=60) for h in shards]
        # A new version into the served index: both replicas and both shards follow it.
        seeds = out / "seeds-v3"
        shutil.copytree(out / "seeds-v2", seeds)
        (seeds / "998_shards.txt").write_text(
            "Shard test article\n\n2 December 2026 News 1\n\nThe sharded library opened a reading room for robots.",
            encoding="utf-8",
        )
        new = build_index(seeds, index_dir, FakeEncoder(), BuildOptions()).version
        deadline = time.monotonic() + 90
        ready: dict[str, list[str | None]] = {}
        while time.monotonic() < deadline:
            ready = _versions_seen(client, "/ready", 8)
            if len(ready) == 2 and all(set(v) == {new} for v in ready.values()):
                break
            time.sleep(0.5)
        single = Retriever(load_index(index_dir), FakeEncoder())
        sample = [*questions[::10], "reading room for robots"]
        result["follow"] = {
            "new_version": new,
            "ready_by_replica": ready,
            "questions": len(sample),
            "hybrid_equal": sum(
                int(_search_ids(client, q, "hybrid") == _single_ids(single, q, "hybrid")) for q in sample
            ),
            "shards": [h.status.remote().result(timeout_s=60) for h in shards],
        }
    result["rows"] = len(single.index.passages)
    return result


def scenario_cli(out: Path) -> dict[str, Any]:
    """``polysearch serve --engine ray`` itself, on the cluster, over the real-model index of the build."""
    from ray import serve

    serve.shutdown()  # HTTP options are cluster-wide; the command starts Serve its own way
    index_dir = out / "local"
    log = (out / "serve-cli.log").open("w")
    # Two replicas take both nodes' CPUs (one each); the shards reserve none. (Fractional shard
    # CPUs could be split over both nodes and leave neither a whole CPU for a replica.)
    command = [sys.executable, "-m", "indexer.commands", "serve", "--engine", "ray", "--replicas", "2", "--shards", "2"]
    command += ["--shard-cpus", "0"]
    command += ["--ray-address", f"127.0.0.1:{HEAD_PORT}", "--index", str(index_dir), "--port", str(CLI_PORT)]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{CLI_PORT}", timeout=30) as client:
            ready = wait_ready_http(client, timeout_s=240)
            search = client.get("/search", params={"q": "When was the office in Shanghai opened?"})
            ask = client.get("/ask", params={"q": "When was the office in Shanghai opened?"})
            # The real model over two shards against the same index searched in this process.
            questions = [q.question for q in load_questions()[:10]]
            encoder = load_encoder(None, backend=DEFAULT_BACKEND, cache_dir=encoder_cache_dir(index_dir))
            single = Retriever(load_index(index_dir), encoder)
            equal = sum(
                int(_search_ids(client, q, mode) == _single_ids(single, q, mode))
                for q in questions
                for mode in ("dense", "hybrid")
            )
        return {
            "ready": ready,
            "search_status": search.status_code,
            "search_version": search.json().get("index_version") if search.status_code == 200 else None,
            "search_hits": len(search.json().get("hits", [])) if search.status_code == 200 else 0,
            "ask_status": ask.status_code,
            "version": load_index(index_dir).version,
            "sharded_equal": equal,
            "sharded_compared": 2 * len(questions),
            "log_tail": (out / "serve-cli.log").read_text()[-1500:],
        }
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def main() -> None:
    out = Path(sys.argv[1])
    temp = Path(sys.argv[2])
    results: dict[str, Any] = {}
    timings: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], Any]) -> None:
        started = time.monotonic()
        try:
            results[name] = fn()
        except Exception:
            results[name] = {"error": traceback.format_exc()}
        timings[name] = round(time.monotonic() - started, 1)

    try:
        timed("cluster", lambda: start_cluster(temp))
        if "error" in (results.get("cluster") or {}):
            return
        import ray

        ray.init(address=f"127.0.0.1:{HEAD_PORT}", logging_level="WARNING", log_to_driver=False)
        results["nodes"] = wait_nodes(ray, 2)
        timed("build", lambda: scenario_build(out))
        timed("sync", lambda: scenario_sync(out))
        timed("serve", lambda: scenario_serve(out, ray))
        timed("shards", lambda: scenario_shards(out))
        timed("cli", lambda: scenario_cli(out))
    finally:
        results["timings"] = timings
        (out / "results.json").write_text(json.dumps(results, indent=2))
        try:
            from ray import serve

            serve.shutdown()
        except Exception:
            pass
        from indexer.engines.ray_cluster import stop_local_nodes

        stop_local_nodes()
        shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    # As a real cluster runs: every node and the driver present the same token.
    os.environ["RAY_AUTH_MODE"] = "token"
    os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)
    # Ray Serve's proxy sends a request to a replica on its own node while that one has room, so
    # one client's calls one after another (the per-replica /metrics and /ready scrapes) could all
    # land on the head node's replica. Without the preference it picks by queue length among all.
    os.environ["RAY_SERVE_PROXY_PREFER_LOCAL_NODE_ROUTING"] = "0"
    main()
