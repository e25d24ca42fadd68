"""The index follower: a worker serves each new version CURRENT names, with no call and no failed request."""

from __future__ import annotations

import time
from pathlib import Path

from indexer.store.layout import live_version_dir
from indexer.store.merging import merge_once
from indexer.store.plan import MAX_SEGMENTS
from service.follower import STATUS_DIR, StatusBoard, WorkerStatus
from tests.damage import poison_vectors
from tests.fakes import FakeEncoder
from tests.service.conftest import AUTH, FOLLOW_POLLS, ClientFactory, add_article, served_version_after
from tests.service.test_reload import NEW_ARTICLE


def test_a_new_version_on_disk_is_served_without_a_call(
    make_client: ClientFactory, tiny_seeds: Path, tiny_index: Path, fake_encoder: FakeEncoder
) -> None:
    client = make_client(follow_interval_ms=20)
    old = client.get("/ready").json()["index_version"]
    new = add_article(tiny_seeds, "d_robots.txt", NEW_ARTICLE, tiny_index, fake_encoder)
    assert served_version_after(client, old) == new
    assert client.get("/articles/d_robots").status_code == 200
    board = client.get("/metrics").text
    assert 'polysearch_index_reloads_total{outcome="ok"} 1' in board


def test_a_broken_version_is_not_served_and_a_same_named_repair_is(
    make_client: ClientFactory, tiny_seeds: Path, tiny_index: Path, fake_encoder: FakeEncoder
) -> None:
    client = make_client()  # the follower stays idle: each step here is an explicit reload
    old = client.get("/ready").json()["index_version"]
    new = add_article(tiny_seeds, "d_robots.txt", NEW_ARTICLE, tiny_index, fake_encoder)
    version_dir = live_version_dir(tiny_index)
    # Rewrite the new version's vectors with NaN and re-sign the manifest, as a buggy build would.
    poison_vectors(version_dir)
    assert client.post("/admin/reload", headers=AUTH).status_code == 409
    assert client.get("/ready").json()["index_version"] == old
    # The next build repairs it under the same name, and a reload of that name now succeeds.
    assert add_article(tiny_seeds, "d_robots.txt", NEW_ARTICLE, tiny_index, fake_encoder) == new
    reload = client.post("/admin/reload", headers=AUTH)
    assert reload.status_code == 200 and reload.json()["index_version"] == new
    assert client.get("/articles/d_robots").status_code == 200


def test_a_merged_version_is_followed_with_the_same_answers(
    make_client: ClientFactory, tiny_seeds: Path, tiny_index: Path, fake_encoder: FakeEncoder
) -> None:
    for number in range(MAX_SEGMENTS):  # one segment per update: one more than a merge allows
        add_article(
            tiny_seeds,
            f"n{number}.txt",
            f"Lab {number}\n\nA joint lab number {number} opened.",
            tiny_index,
            fake_encoder,
        )
    client = make_client(follow_interval_ms=20)
    version = client.get("/ready").json()["index_version"]
    queries = ["joint lab opened", "ATURC summit", "Gao Jun"]
    before = [client.get("/search", params={"q": q, "k": 5}).json()["hits"] for q in queries]
    old_dir = live_version_dir(tiny_index)
    assert f"polysearch_index_segments {MAX_SEGMENTS + 1}" in client.get("/metrics").text
    merged = merge_once(tiny_index)
    assert merged is not None and not old_dir.exists()
    reloaded = 'polysearch_index_reloads_total{outcome="ok"} 1'
    for _ in range(FOLLOW_POLLS):
        if reloaded in client.get("/metrics").text:
            break
        time.sleep(0.02)
    assert reloaded in client.get("/metrics").text
    assert f"polysearch_index_segments {merged.segments_after}" in client.get("/metrics").text
    assert client.get("/ready").json()["index_version"] == version  # same content, same version
    assert [client.get("/search", params={"q": q, "k": 5}).json()["hits"] for q in queries] == before


def test_reload_reports_every_live_worker(make_client: ClientFactory, tiny_index: Path) -> None:
    client = make_client()
    board = StatusBoard(tiny_index / STATUS_DIR, "other-host-1")
    # Another worker that answers the reload request as a live one would.
    board.publish(WorkerStatus(worker="other-host-1", pid=1, version="v1", error=None, handled_request="", updated=0))
    body = client.post("/admin/reload", headers=AUTH).json()
    names = [w["worker"] for w in body["workers"]]
    # The stale heartbeat (updated at the epoch) is not reported; this worker is, on its version.
    assert "other-host-1" not in names
    assert len(names) == 1 and body["workers"][0]["index_version"] == body["index_version"]
