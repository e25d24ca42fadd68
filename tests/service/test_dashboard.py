"""docs/grafana-dashboard.json asks only for metrics the service exposes."""

from __future__ import annotations

import json
import re

from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import REPO

DASHBOARD = REPO / "docs" / "grafana-dashboard.json"
_NAME = re.compile(r"\bpolysearch_[a-z_]+")


def test_every_dashboard_metric_is_on_the_metrics_page(client: TestClient[Litestar]) -> None:
    search = client.get("/search", params={"q": "Shanghai"}).json()
    client.get("/ask", params={"q": "Who visited St. Petersburg?"})
    client.post("/feedback", json={"query_id": search["query_id"], "verdict": "yes"})
    exposed = {line.split()[2] for line in client.get("/metrics").text.splitlines() if line.startswith("# TYPE")}
    panels = json.loads(DASHBOARD.read_text(encoding="utf-8"))["panels"]
    wanted = {
        re.sub(r"_(bucket|sum|count)$", "", name)
        for panel in panels
        for target in panel["targets"]
        for name in _NAME.findall(target["expr"])
    }
    new = {"polysearch_ask_outcomes_total", "polysearch_feedback_total", "polysearch_query_log_dropped_total"}
    assert new <= wanted
    assert wanted - exposed == set()
