"""Liveness, readiness and metrics."""

from __future__ import annotations

import functools

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from recete_app.backend.health import readiness
from recete_app.backend.http.responses import error_response
from recete_app.backend.services.operations_metrics import exposition_registry

router = APIRouter()


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", response_model=None)
def ready() -> Response | dict[str, object]:
    checks = readiness()
    failing = {name: problem for name, problem in checks.items() if problem}
    if failing:
        return error_response(
            503,
            "not_ready",
            "; ".join(f"{k}: {v}" for k, v in failing.items()),
            details={"checks": checks},
        )
    return {"status": "ready", "checks": {name: "ok" for name in checks}}


@router.get("/metrics")
def metrics() -> Response:
    """Every process's metrics and the work's state (services.operations_metrics)."""
    return Response(generate_latest(_exposition()), media_type=CONTENT_TYPE_LATEST)


@functools.cache
def _exposition() -> CollectorRegistry:
    return exposition_registry()
