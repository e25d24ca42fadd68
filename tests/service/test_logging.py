"""One JSON log line per request, with a request id, and query text only when configured."""

from __future__ import annotations

import json
import logging

import pytest

from service.observability import configure_service_logging
from tests.service.conftest import ClientFactory


def _request_lines(err: str) -> list[dict[str, object]]:
    records = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    return [r for r in records if r.get("event") == "request"]


@pytest.fixture(autouse=True)
def _restore_logging() -> object:
    yield
    for name in ("indexer", "service", "eval"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True


def test_one_line_per_request_without_query_text(make_client: ClientFactory, capfd: pytest.CaptureFixture[str]) -> None:
    client = make_client()
    configure_service_logging("INFO")
    capfd.readouterr()
    client.get("/search", params={"q": "secret office query"}, headers={"X-Request-ID": "req-1"})
    client.post("/ask", json={"question": "secret question"})
    client.get("/no/such/page")
    err = capfd.readouterr().err
    lines = _request_lines(err)
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("GET", "/search", 200),
        ("POST", "/ask", 200),
        ("GET", "/no/such/page", 404),
    ]
    assert lines[0]["request_id"] == "req-1" and lines[0]["route"] == "/search"
    assert all(isinstance(line["duration_ms"], float) for line in lines)
    assert "secret" not in err


def test_query_text_is_logged_when_configured(make_client: ClientFactory, capfd: pytest.CaptureFixture[str]) -> None:
    client = make_client(log_queries=True)
    configure_service_logging("INFO")
    capfd.readouterr()
    client.get("/search", params={"q": "  office\x00 query "})
    client.post("/ask", json={"question": "who led it?"})
    lines = _request_lines(capfd.readouterr().err)
    assert [line.get("query") for line in lines] == ["office query", "who led it?"]
