"""Liveness, readiness and metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from recete_app.backend.health import readiness
from recete_app.backend.http.responses import error_response

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
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
