"""Runs the Ray scenarios on a real two-node cluster; started by test_ray_cluster.py in a network namespace.

``python -m tests.engines.cluster_run OUT`` starts a head and a second node (both on
127.0.0.1), runs each scenario, writes ``OUT/results.json`` and stops the cluster. The
caller has already made a fresh network namespace with only loopback up, so nothing here
can reach another machine; the pytest side only reads the results.
"""

from __future__ import annotations

import functools
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
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from eval.questions import load_questions
from indexer.builder import BuildOptions, build_index
from indexer.encoder import SentenceTransformerEncoder
from indexer.retriever import Retriever
from indexer.store import live_version_dir, load_index
from tests.fakes import FakeEncoder

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
HEAD_PORT = 6399
HTTP_PORT = 8470
CLI_PORT = 8471
BATCH = 16  # small batches so the seeds make enough of them for both nodes


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


def scenario_build(out: Path) -> dict[str, Any]:
    """The distributed build of the seeds against the local build, with the real model."""
    from indexer.engines.ray_embed import RayEncoder

    options = BuildOptions(batch_size=BATCH)
    local_encoder = SentenceTransformerEncoder()
    local = build_index(SEEDS, out / "local", local_encoder, options)
    encoder = RayEncoder(local_encoder, functools.partial(SentenceTransformerEncoder, None), workers=2)
    started = time.monotonic()
    distributed = build_index(SEEDS, out / "ray", encoder, options)
    seconds = time.monotonic() - started
    a, b = load_index(out / "local"), load_index(out / "ray")
    files_a, files_b = version_files(out / "local"), version_files(out / "ray")
    top10: dict[str, bool] = {}
    ra, rb = Retriever(a, local_encoder), Retriever(b, local_encoder)
    questions = load_questions()
    vectors = local_encoder.encode([q.question for q in questions])
    for question, vector in zip(questions, vectors):
        for mode in ("dense", "hybrid"):
            ids_a = [h.passage.id for h in ra.search(question.question, k=10, mode=mode, query_vector=vector)]
            ids_b = [h.passage.id for h in rb.search(question.question, k=10, mode=mode, query_vector=vector)]
            top10[f"{question.id}/{mode}"] = ids_a == ids_b
    return {
        "versions": [local.version, distributed.version],
        "passages": [[p.id for p in a.passages] == [p.id for p in b.passages], len(a.passages)],
        "file_names": [sorted(files_a), sorted(files_b)],
        "identical_files": sorted(n for n in files_a if files_a[n] == files_b.get(n)),
        "manifests_equal_but_built_at": _manifest(files_a) == _manifest(files_b),
        "max_vector_diff": float(np.abs(a.embeddings - b.embeddings).max()),
        "max_sentence_vector_diff": float(np.abs(a.sentence_embeddings - b.sentence_embeddings).max()),
        "texts": len(encoder.last_nodes),
        "nodes_used": sorted(set(encoder.last_nodes)),
        "top10_equal": top10,
        "seconds": seconds,
    }


def _manifest(files: dict[str, bytes]) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(files["manifest.json"])
    manifest.pop("built_at")
    return manifest


def _strip(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: _strip(v) for k, v in body.items() if k not in ("took_ms",)}
    if isinstance(body, list):
        return [_strip(v) for v in body]
    return body


def _requests() -> list[tuple[str, str]]:
    questions = [q.question for q in load_questions()[:20]]
    return [("search", q) for q in questions] + [("ask", q) for q in questions]


def _call(client: httpx.Client, kind: str, question: str) -> tuple[int, Any]:
    response = client.get(f"/{kind}", params={"q": question})
    return response.status_code, response.json() if response.status_code == 200 else response.text


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
            answers = list(pool.map(lambda r: (r, _call(client, *r)), work))
        result["requests"] = len(answers)
        result["ok"] = sum(1 for _, (status, _) in answers if status == 200)
        result["equal"] = sum(1 for r, (status, body) in answers if status == 200 and _strip(body) == expected[r])
        metrics = client.get("/metrics")
        result["metrics_status"] = metrics.status_code
        result["metrics_has_requests"] = "search" in metrics.text
        result["kill"] = scenario_kill(client, ray)
    return result


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


def scenario_shards(out: Path) -> dict[str, Any]:
    """S = 2 shard deployments merged give the single flat index's results."""
    from ray import serve

    from indexer.engines.ray_serve import RemoteShard, shard_applications
    from indexer.engines.shards import ShardedDense

    index_dir = out / "fake-index"
    index = load_index(index_dir)
    flat = index.dense
    apps = shard_applications(index_dir, len(index.passages), 2, cpus_per_shard=0)
    for name, _, app in apps:
        serve.run(app, name=name, route_prefix=None, blocking=False)
    shards = [RemoteShard(serve.get_app_handle(name)) for name, _, _ in apps]
    sharded = ShardedDense(shards, [rows for _, rows, _ in apps], dimension=index.embeddings.shape[1])
    encoder = FakeEncoder()
    single = Retriever(index, encoder)
    split = Retriever(replace(index, dense=sharded), encoder)  # type: ignore[arg-type]
    dense_equal = hits_equal = 0
    questions = load_questions()
    n = len(index.passages)
    for question in questions:
        vector = encoder.encode([question.question])[0]
        # The whole ranking, so no tie straddles the cut; faiss orders exact ties arbitrarily,
        # the merge by row, so both are put in (score, row) order before comparing.
        s1, r1 = flat.search(vector, n)
        s2, r2 = sharded.search(vector, n)
        order = np.lexsort((r1, -s1))
        dense_equal += int(r1[order].tolist() == r2.tolist() and s1[order].tolist() == s2.tolist())
        a = [(h.passage.id, h.score) for h in single.search(question.question, k=10, mode="hybrid")]
        b = [(h.passage.id, h.score) for h in split.search(question.question, k=10, mode="hybrid")]
        hits_equal += int(a == b)
    return {
        "questions": len(questions),
        "dense_equal": dense_equal,
        "hybrid_equal": hits_equal,
        "rows": len(index.passages),
    }


def scenario_cli(out: Path) -> dict[str, Any]:
    """``polysearch serve --engine ray`` itself, on the cluster, over the real-model index of the build."""
    from ray import serve

    serve.shutdown()  # HTTP options are cluster-wide; the command starts Serve its own way
    index_dir = out / "local"
    log = (out / "serve-cli.log").open("w")
    command = [sys.executable, "-m", "indexer.cli", "serve", "--engine", "ray", "--replicas", "2"]
    command += ["--ray-address", f"127.0.0.1:{HEAD_PORT}", "--index", str(index_dir), "--port", str(CLI_PORT)]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{CLI_PORT}", timeout=30) as client:
            ready = wait_ready_http(client, timeout_s=240)
            search = client.get("/search", params={"q": "When was the office in Shanghai opened?"})
            ask = client.get("/ask", params={"q": "When was the office in Shanghai opened?"})
        return {
            "ready": ready,
            "search_status": search.status_code,
            "search_version": search.json().get("index_version") if search.status_code == 200 else None,
            "search_hits": len(search.json().get("hits", [])) if search.status_code == 200 else 0,
            "ask_status": ask.status_code,
            "version": load_index(index_dir).version,
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
    main()
