"""A real two-node Ray cluster, inside a network namespace only loopback reaches (marked ``ray``).

One run of ``cluster_run.py`` starts the cluster once and runs every scenario; each test
below checks one scenario's results.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from indexer.encoders.registry import DEFAULT_BACKEND

REPO = Path(__file__).resolve().parents[2]
# `model` too: the build scenario embeds with the real packaged model, which is its point.
pytestmark = [pytest.mark.ray, pytest.mark.model, pytest.mark.timeout(900)]
NAMESPACE = ["unshare", "--net", "--pid", "--fork", "--mount-proc"]


def _namespace_problem() -> str | None:
    if importlib.util.find_spec("ray") is None:
        return "the [ray] extra is not installed (make test installs it)"
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "unshare or ip is missing, so no network namespace can be made"
    probe = subprocess.run([*NAMESPACE, "ip", "link", "set", "lo", "up"], capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        return f"cannot create a network namespace here: {probe.stderr.strip()[:200]}"
    return None


@pytest.fixture(scope="module")
def cluster() -> Iterator[dict[str, Any]]:
    problem = _namespace_problem()
    if problem:
        pytest.skip(problem)
    out = Path(tempfile.mkdtemp(prefix="polysearch-ray-"))
    # Short: Ray's socket paths live under it and a Unix socket path has ~107 characters.
    temp = Path(tempfile.mkdtemp(prefix="psray-", dir="/tmp"))
    env = os.environ | {"PYTHONPATH": str(REPO), "RAY_USAGE_STATS_ENABLED": "0"}
    script = f"ip link set lo up && exec {sys.executable} -m tests.engines.cluster_run {out} {temp}"
    # A new PID namespace too: when the run ends, every Ray process it started dies with it.
    run = subprocess.run(
        [*NAMESPACE, "bash", "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=840
    )
    results_file = out / "results.json"
    if not results_file.exists():
        pytest.fail(f"the cluster run wrote no results (exit {run.returncode}):\n{run.stderr[-4000:]}")
    results: dict[str, Any] = json.loads(results_file.read_text())
    (REPO / "test-output").mkdir(exist_ok=True)
    (REPO / "test-output" / "ray-cluster.json").write_text(json.dumps(results, indent=2))
    yield results
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(temp, ignore_errors=True)


def scenario(results: dict[str, Any], name: str) -> dict[str, Any]:
    part: dict[str, Any] = results.get(name) or {}
    assert "error" not in part, part.get("error")
    assert part, f"scenario {name} did not run: {results}"
    return part


def test_cluster_has_two_nodes(cluster: dict[str, Any]) -> None:
    assert "error" not in (cluster.get("cluster") or {}), cluster["cluster"]
    assert len(cluster["nodes"]) == 2


def test_distributed_build_equals_local_build(cluster: dict[str, Any]) -> None:
    build = scenario(cluster, "build")
    local_version, ray_version = build["versions"]
    assert local_version == ray_version
    same_passages, n_passages = build["passages"]
    assert same_passages and n_passages > 0
    assert build["file_names"][0] == build["file_names"][1]
    # The manifest differs only in its build time; the vectors are also compared numerically
    # so that a last-bit difference is reported as a figure, not only as a file mismatch.
    assert build["manifests_equal_but_built_at"]
    assert build["max_vector_diff"] <= 1e-5
    assert build["max_sentence_vector_diff"] <= 1e-5
    assert all(build["top10_equal"].values()), [q for q, same in build["top10_equal"].items() if not same]
    assert build["nodes_used"] == 2, "batches must have run on both nodes"
    # Both builds ran with default options, so on the one default backend; the actors ran it too.
    assert build["backends"] == [DEFAULT_BACKEND, DEFAULT_BACKEND]
    assert build["actor_backends"] == [DEFAULT_BACKEND]
    assert build["telemetry_off"], "an actor imported onnxruntime before its telemetry was switched off"


def test_ray_sync_equals_local_sync(cluster: dict[str, Any]) -> None:
    passes = scenario(cluster, "sync")["passes"]
    assert len(passes) == 2
    for number, sync in enumerate(passes, start=1):
        local_version, ray_version = sync["versions"]
        assert local_version == ray_version, number
        assert sync["encoded"][0] == sync["encoded"][1] > 0, number
        assert sync["added"][0] == sync["added"][1], number
        # What the ray sync encoded went to the cluster (passages and their sentences).
        assert sync["ray_texts"] >= sync["encoded"][1], number
        assert sync["manifests_equal_but_built_at"] and sync["file_names_equal"] and sync["passages_equal"], number
        assert sync["max_vector_diff"] <= 1e-5 and sync["max_sentence_vector_diff"] <= 1e-5, number
        assert sync["backends"][0] == sync["backends"][1], number
    # The second pass added one article and encoded only its texts.
    assert len(passes[1]["added"][1]) == 1 and passes[1]["encoded"][1] < passes[0]["encoded"][1]
    assert passes[1]["ray_texts"] < passes[0]["ray_texts"]


def test_two_replicas_on_two_nodes_answer_like_one_process(cluster: dict[str, Any]) -> None:
    serve = scenario(cluster, "serve")
    assert serve["ready"]
    assert len(serve["replica_nodes"]) == 2 and len(set(serve["replica_nodes"])) == 2
    assert serve["ok"] == serve["requests"] > 0
    assert serve["equal"] == serve["requests"]
    assert serve["metrics_status"] == 200 and serve["metrics_has_requests"]


def test_each_replica_metrics_count_what_that_replica_answered(cluster: dict[str, Any]) -> None:
    """A scrape through the proxy reaches one replica; its samples name it and hold its counts."""
    per_replica = scenario(cluster, "serve")["per_replica"]
    assert len(per_replica["answered"]) == 2 == per_replica["replica_actors"]
    assert all(per_replica["labelled"].values())
    # Exactly the /search answers that carried the replica's header, on that replica's page.
    assert per_replica["counted"] == {name: float(n) for name, n in per_replica["answered"].items()}


def test_both_replicas_follow_a_new_version_without_a_failed_request(cluster: dict[str, Any]) -> None:
    follow = scenario(cluster, "serve")["follow"]
    assert follow["replicas_before"] == 2 and follow["new_version"] not in follow["old_versions"]
    assert follow["followed_s"] is not None, follow["replica_versions"]
    assert list(follow["replica_versions"].values()) == [follow["new_version"]] * 2
    assert follow["requests"] > 0 and follow["failed"] == 0
    # Requests were answered from the old version and then the new one, with no call in between.
    assert follow["new_version"] in follow["versions_served"] and len(follow["versions_served"]) == 2
    # Each replica's own /ready and /metrics (told apart by the replica header) name the new version.
    for seen in (follow["ready_by_replica"], follow["metrics_by_replica"]):
        assert len(seen) == 2 and all(set(versions) == {follow["new_version"]} for versions in seen.values()), seen


def test_killed_replica_is_replaced_and_loses_only_what_it_held(cluster: dict[str, Any]) -> None:
    kill = scenario(cluster, "serve")["kill"]
    assert kill["killed"]
    assert kill["replaced"] and kill["ready_again"]
    # At most `concurrency` requests are in flight at once, so the victim held at most that many.
    assert kill["failed"] <= kill["concurrency"]
    assert kill["after_ok"] == kill["after_total"]


def test_two_shards_served_over_http_give_the_single_index_results(cluster: dict[str, Any]) -> None:
    """`serve` with S = 2: /search through the entry point equals the single index, for every eval question."""
    shards = scenario(cluster, "shards")
    assert shards["ready"] and shards["replicas_answering"] == 2
    assert shards["dense_equal"] == shards["questions"] > 0
    assert shards["hybrid_equal"] == shards["questions"]
    # The dense candidates came from the shards: both answered searches.
    assert [s["shard"] for s in shards["shards_before"]] == [0, 1]
    assert all(s["searches"] > 0 for s in shards["shards_before"])


def test_shards_follow_a_new_version_with_the_replicas(cluster: dict[str, Any]) -> None:
    follow = scenario(cluster, "shards")["follow"]
    new = follow["new_version"]
    assert len(follow["ready_by_replica"]) == 2, follow["ready_by_replica"]
    assert all(set(versions) == {new} for versions in follow["ready_by_replica"].values())
    assert follow["hybrid_equal"] == follow["questions"] > 0
    assert all(s["versions"][-1] == new for s in follow["shards"])


def test_serve_command_runs_replicas_on_the_cluster(cluster: dict[str, Any]) -> None:
    cli = scenario(cluster, "cli")
    assert cli["ready"], cli["log_tail"]
    assert cli["search_status"] == 200 and cli["search_version"] == cli["version"] and cli["search_hits"] > 0
    assert cli["ask_status"] == 200
    # `--shards 2` with the real model: the shards' ranking is the single index's.
    assert cli["sharded_equal"] == cli["sharded_compared"] > 0
