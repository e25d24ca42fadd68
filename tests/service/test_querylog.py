"""The query log: what each /search and /ask writes, the keyed-hash mode, and a log that cannot be written."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from indexer.insights import store
from service.querylog import query_log_of
from tests.service.conftest import ClientFactory


def _flush(client: TestClient[Litestar]) -> None:
    query_log = query_log_of(client.app.state)
    assert query_log is not None
    assert query_log.flush()


def _rows(path: Path) -> list[store.LoggedQuery]:
    connection = store.open_readonly(path)
    try:
        return list(store.read_queries(connection))
    finally:
        connection.close()


def _metric(client: TestClient[Litestar], name: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rpartition(" ")[2])
    raise AssertionError(f"{name} not on /metrics")


def test_search_and_ask_are_logged_beside_the_index(make_client: ClientFactory, tiny_index: Path) -> None:
    client = make_client()
    search = client.get("/search", params={"q": "office in Shanghai", "k": 3, "mode": "keyword",
                                            "date_from": "2020-01-01"})  # fmt: skip
    ask = client.post("/ask", json={"question": "When did the office in Shanghai open?"})
    unanswerable = client.get("/ask", params={"q": "zzzz qqqq"})
    assert search.status_code == ask.status_code == unanswerable.status_code == 200
    _flush(client)
    rows = {row.id: row for row in _rows(tiny_index / store.LOG_FILE)}
    logged = rows[search.json()["query_id"]]
    assert (logged.endpoint, logged.query, logged.mode) == ("search", "office in Shanghai", "keyword")
    assert logged.lang == "en"
    assert logged.filters == {"date_from": "2020-01-01"}
    assert logged.top_ids == list(dict.fromkeys(h["article_id"] for h in search.json()["hits"]))
    assert logged.hits == len(search.json()["hits"]) and logged.answered is None
    asked = rows[ask.json()["query_id"]]
    assert asked.endpoint == "ask" and asked.answered is (not ask.json()["abstained"])
    failed = rows[unanswerable.json()["query_id"]]
    assert failed.answered is False and failed.reason == unanswerable.json()["reason"]
    assert failed.reason_kind in store.REASON_KINDS
    assert all(row.latency_ms > 0 for row in rows.values())


def test_a_key_stores_the_keyed_hash_not_the_text(make_client: ClientFactory, tiny_index: Path) -> None:
    client = make_client(query_log_key="k" * 32)
    first = client.get("/search", params={"q": "Shanghai office"}).json()["query_id"]
    second = client.get("/search", params={"q": "Shanghai office"}).json()["query_id"]
    _flush(client)
    rows = {row.id: row for row in _rows(tiny_index / store.LOG_FILE)}
    assert rows[first].hashed and rows[first].query == store.keyed_hash("Shanghai office", "k" * 32)
    assert rows[first].query == rows[second].query
    assert b"Shanghai office" not in (tiny_index / store.LOG_FILE).read_bytes()


def test_off_writes_nothing_and_gives_no_query_id(make_client: ClientFactory, tiny_index: Path) -> None:
    client = make_client(query_log="off")
    assert client.get("/search", params={"q": "Shanghai"}).json()["query_id"] is None
    assert not (tiny_index / store.LOG_FILE).exists()


def test_another_path(make_client: ClientFactory, tmp_path: Path) -> None:
    client = make_client(query_log=str(tmp_path / "elsewhere.db"))
    query_id = client.get("/search", params={"q": "Shanghai"}).json()["query_id"]
    _flush(client)
    assert [row.id for row in _rows(tmp_path / "elsewhere.db")] == [query_id]


def test_a_full_disk_drops_rows_and_counts_them(make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*_: object, **__: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store, "write_rows", full)
    client = make_client()
    for _ in range(3):
        assert client.get("/search", params={"q": "Shanghai"}).status_code == 200
    assert client.post("/ask", json={"question": "Who visited?"}).status_code == 200
    _flush(client)
    assert _metric(client, "polysearch_query_log_dropped_total") == 4
    assert _metric(client, "polysearch_query_log_written_total") == 0


def test_a_locked_file_drops_rows_and_counts_them(make_client: ClientFactory, tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    holder = store.connect(path)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        client = make_client(query_log=str(path))
        assert client.get("/search", params={"q": "Shanghai"}).status_code == 200
        assert client.get("/ask", params={"q": "Who visited?"}).status_code == 200
        _flush(client)
        assert _metric(client, "polysearch_query_log_dropped_total") == 2
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    # Released: later rows are written again.
    assert client.get("/search", params={"q": "Shanghai"}).status_code == 200
    _flush(client)
    assert _metric(client, "polysearch_query_log_written_total") == 1


def test_an_unwritable_folder_drops_rows(make_client: ClientFactory, tmp_path: Path) -> None:
    # A path under a regular file can never be created, whoever runs the test (root ignores modes).
    (tmp_path / "not-a-folder").write_text("x", encoding="utf-8")
    client = make_client(query_log=str(tmp_path / "not-a-folder" / "log.db"))
    assert client.get("/search", params={"q": "Shanghai"}).status_code == 200
    _flush(client)
    assert _metric(client, "polysearch_query_log_dropped_total") == 1


def test_ask_outcomes_are_counted(make_client: ClientFactory) -> None:
    client = make_client(query_log="off")
    body = client.get("/ask", params={"q": "zzzz qqqq"}).json()
    kind = store.reason_kind(body["reason"], len(body["citations"]))
    client.get("/ask", params={"q": "zzzz qqqq"})
    text = client.get("/metrics").text
    assert f'polysearch_ask_outcomes_total{{outcome="abstained",reason="{kind}"}} 2' in text
    assert 'outcome="answered"' not in text


def test_old_rows_are_pruned(tmp_path: Path) -> None:
    connection = store.connect(tmp_path / "log.db")
    old = store.LoggedQuery(id="old", ts=1000.0, endpoint="search", query="a", hashed=False, lang="en", mode="hybrid")
    new = store.LoggedQuery(id="new", ts=1000.0 + 89 * 86400, endpoint="search", query="b", hashed=False,
                            lang="en", mode="hybrid")  # fmt: skip
    feedback = store.Feedback(ts=1000.0, query_id="old", article_id=None, verdict="yes")
    store.write_rows(connection, [old, new, feedback])
    assert store.prune(connection, days=90, now=1000.0 + 90 * 86400 + 1) == 1
    assert [row.id for row in store.read_queries(connection)] == ["new"]
    assert list(store.read_feedback(connection)) == []


def test_a_read_only_log_is_never_created(tmp_path: Path) -> None:
    with pytest.raises(sqlite3.Error):
        store.open_readonly(tmp_path / "absent.db").execute("SELECT 1 FROM queries")


def test_a_window_read_from_the_words_is_logged_as_inferred(make_client: ClientFactory, tiny_index: Path) -> None:
    client = make_client()
    timed = client.get("/search", params={"q": "news about the office in Shanghai published in 2023"})
    plain = client.get("/ask", params={"q": "When did the office in Shanghai open?"})
    assert timed.json()["interpreted"]["date_from"] == "2023-01-01"
    _flush(client)
    rows = {row.id: row for row in _rows(tiny_index / store.LOG_FILE)}
    inferred = rows[timed.json()["query_id"]].inferred
    assert inferred is not None and (inferred["date_from"], inferred["date_to"]) == ("2023-01-01", "2023-12-31")
    assert inferred["text"] and rows[timed.json()["query_id"]].filters is None
    assert rows[plain.json()["query_id"]].inferred is None
