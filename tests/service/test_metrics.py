"""The Prometheus text rendering, checked on hand-computed counts."""

from __future__ import annotations

from service.metrics import Gauge, Metrics


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
