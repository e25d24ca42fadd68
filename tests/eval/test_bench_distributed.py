"""The distributed bench row: its table, and that it only runs inside the namespace it makes."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.bench.distributed import NAMESPACE_FLAG, DistributedResult, render_distributed, run_distributed
from indexer.errors import BuildError


def test_render_puts_each_engine_beside_the_local_build() -> None:
    result = DistributedResult(
        passages=300,
        texts=1600,
        repetitions=1,
        local_per_s=10.0,
        ray1_per_s=5.0,
        ray2_per_s=9.0,
        idle_cluster_mib=600.4,
        max_vector_diff=0.0,
        nodes_used_by_2=2,
    )
    table = render_distributed(result, command="polysearch bench --distributed")
    assert "| local (one process, all cores) | 10.0 | 1.00x |" in table
    assert "| ray, 1 worker (1 CPU) | 5.0 | 0.50x |" in table
    assert "| ray, 2 workers on 2 nodes (1 CPU each) | 9.0 | 0.90x |" in table
    assert "600 MiB" in table and "used 2 nodes" in table


def test_refuses_to_start_a_cluster_outside_its_namespace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(NAMESPACE_FLAG, raising=False)
    with pytest.raises(BuildError, match="network namespace"):
        run_distributed(tmp_path, tmp_path, n_passages=10, repetitions=1, say=lambda line: None)
