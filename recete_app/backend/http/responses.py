"""The JSON error shape of DESIGN §4: {"error": {"code": ..., "message": ...}}."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import JSONResponse


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def error_bytes(code: str, message: str) -> bytes:
    return json.dumps(error_body(code, message)).encode()
