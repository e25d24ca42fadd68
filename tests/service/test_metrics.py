"""The Prometheus text rendering, checked on hand-computed counts."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient

from service.metrics import Gauge, Metrics
from tests.service.conftest import AUTH


def test_counts_and_cumulative_buckets() -> None:
    metrics = Metrics(buckets=(0.1, 1.0))
    metrics.observe("GET", "/search", 200, 0.05)
    metrics.observe("GET", "/search", 200, 0.5)
    metrics.observe("GET", "/search", 200, 5.0)
    metrics.observe("POST", "/ask", 400, 0.01)
    text = metrics.render()
    labels = 'method="GET",route="/search",status="200"'
    assert f"polysearch_http_requests_total{{{labels}}} 3" in text
    assert f'polysearch_http_request_duration_seconds_bucket{{{labels},le="0.1"}} 1' in text
    assert f'polysearch_http_request_duration_seconds_bucket{{{labels},le="1"}} 2' in text
    assert f'polysearch_http_request_duration_seconds_bucket{{{labels},le="+Inf"}} 3' in text
    assert f"polysearch_http_request_duration_seconds_sum{{{labels}}} 5.55" in text
    assert f"polysearch_http_request_duration_seconds_count{{{labels}}} 3" in text
    assert 'polysearch_http_requests_total{method="POST",route="/ask",status="400"} 1' in text
    assert metrics.requests("GET", "/search", 200) == 3


def test_gauges_and_label_escaping() -> None:
    text = Metrics().render([Gauge("index_info", "Version.", 1.0, {"version": 'a"b\\c'}), Gauge("x", "X.", 2.5)])
    assert 'polysearch_index_info{version="a\\"b\\\\c"} 1' in text
    assert "# TYPE polysearch_x gauge\npolysearch_x 2.5" in text
    assert text.endswith("\n")


def test_made_up_methods_and_paths_collapse_and_the_page_parses(client: TestClient[Litestar]) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    client.get("/health")
    client.post("/admin/reload", headers=AUTH)
    before = client.get("/metrics").text
    for i in range(60):
        client.request(f"BREW{i}", "/search")
        client.get(f"/no/such/path/{i}")
    client.request("BREW", "/health")
    text = client.get("/metrics").text
    # 60 invented methods and 60 unknown paths add a handful of series, not 120.
    assert len(text.splitlines()) - len(before.splitlines()) < 60
    families = list(text_string_to_metric_families(text))
    names = [family.name for family in families]
    assert len(names) == len(set(names)), "a metric family is declared twice"
    requests = next(f for f in families if f.name == "polysearch_http_requests")
    methods = {sample.labels["method"] for sample in requests.samples}
    assert methods <= {"GET", "POST", "OTHER"} and "OTHER" in methods
    routes = {sample.labels["route"] for sample in requests.samples}
    assert not any(route.startswith("/no/") for route in routes) and "unmatched" in routes
    reloads = next(f for f in families if f.name == "polysearch_index_reloads")
    assert reloads.type == "counter" and {s.labels["outcome"] for s in reloads.samples} == {"ok", "failed", "unchanged"}
    assert text.count("# TYPE polysearch_index_reloads_total ") == 1
