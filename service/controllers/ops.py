"""Operations endpoints: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from litestar import Controller, MediaType, Request, Response, get

from indexer.store.held import gate_rejections
from service.admission import Admission
from service.errors import redact_paths
from service.metrics import Gauge, Metrics
from service.querylog import query_log_gauges
from service.schemas import Health, Readiness
from service.state import IndexState

PROMETHEUS_TEXT = "text/plain; version=0.0.4"


class OpsController(Controller):
    tags = ("operations",)

    @get("/health", summary="The process is alive", sync_to_thread=False)
    def health(self) -> Health:
        return Health(status="ok")

    @get("/ready", summary="A verified index is loaded (503 until then)", sync_to_thread=False)
    def ready(self, index_state: IndexState) -> Response[Readiness]:
        engine = index_state.peek()
        if engine is None:
            detail = redact_paths(index_state.load_error, index_state.index_dir) if index_state.load_error else None
            detail = detail or "the index is loading"
            body = Readiness(ready=False, index_version=None, passages=None, detail=detail)
            return Response(body, status_code=503, headers={"Retry-After": "5"})
        return Response(Readiness(ready=True, index_version=engine.version, passages=engine.passages))

    @get("/metrics", summary="Prometheus metrics", media_type=MediaType.TEXT, sync_to_thread=False)
    def metrics(
        self, request: Request[Any, Any, Any], metrics: Metrics, index_state: IndexState, admission: Admission
    ) -> Response[str]:
        engine = index_state.peek()
        gauges = [
            Gauge("index_ready", "1 when a verified index is serving.", 1.0 if engine else 0.0),
            Gauge("index_passages", "Passages in the serving index.", float(engine.passages if engine else 0)),
        ]
        if engine is not None:
            gauges.append(Gauge("index_info", "The serving index version.", 1.0, {"version": engine.version}))
            # Grows by one per update until a merge (indexer.store.merging): a count that keeps growing means none runs.
            segments = len(engine.retriever.index.manifest.segments)
            gauges.append(Gauge("index_segments", "Segments of the serving index version.", float(segments)))
        # Written by `polysearch index/sync --gate` into the index folder; read per scrape (one small file),
        # so the count survives restarts of either process.
        rejected = gate_rejections(index_state.index_dir)
        gauges.append(
            Gauge("gate_rejections_total", "New index versions the quality gate kept aside.", float(rejected),
                  kind="counter")
        )  # fmt: skip
        for outcome, count in sorted(index_state.reloads.items()):
            gauges.append(
                Gauge("index_reloads_total", "Reloads by outcome.", float(count), {"outcome": outcome}, kind="counter")
            )
        gauges += [
            Gauge("compute_requests_in_progress", "Search and ask requests admitted and not finished.",
                  float(admission.in_flight)),
            Gauge("compute_requests_capacity", "Admission limit (POLYSEARCH_MAX_QUEUE).", float(admission.capacity)),
            Gauge("compute_requests_rejected_total", "Requests refused with 503 at the admission gate.",
                  float(admission.rejected), kind="counter"),
        ]  # fmt: skip
        gauges += query_log_gauges(request.app.state)
        return Response(metrics.render(gauges), media_type=PROMETHEUS_TEXT)
