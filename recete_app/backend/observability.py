"""Sentry, when SENTRY_DSN is set: errors (and traces, at RECETE_SENTRY_TRACES_SAMPLE_RATE) from
the web processes and the workers (Dramatiq's integration names the actor of a failed message).

No personal data leaves. The SDK sends no request bodies, cookies, users or frames' local
variables (they hold SQL parameters and webhook bodies), and `scrub_event` removes, from
whatever is left (messages, exception values, breadcrumbs, tags, extra context, request URLs):
phone numbers, email addresses, the values of keys that name a secret (tokens, passwords, API
keys, authorization, cookies) and of keys that hold a message or webhook body.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Mapping
from typing import Any

from recete_app.backend.config import PROJECT_ROOT, Settings

FILTERED = "[Filtered]"
SECRET_KEYS = re.compile(
    r"secret|token|password|passwd|authorization|cookie|api[_-]?key|signature|hmac|session",
    re.IGNORECASE,
)
BODY_KEYS = frozenset(
    {"body", "raw_body", "text", "caption", "payload", "message_body", "query_string"}
)
# A phone as written with its country code (+90 532 123 45 67), a bare run of 10 to 15 digits
# (905321234567), or a Turkish local number (0532 123 45 67). Dates and times stay readable.
PHONE = re.compile(
    r"\+\d[\d ().\-]{6,20}\d"
    r"|(?<!\d)\d{10,15}(?!\d)"
    r"|(?<!\d)0\d{3}[ .\-]?\d{3}[ .\-]?\d{2}[ .\-]?\d{2}(?!\d)"
)
EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")


def init_sentry(settings: Settings) -> bool:
    if not settings.sentry_dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.dramatiq import DramatiqIntegration

    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        environment=settings.env,
        release=release_of(settings),
        traces_sample_rate=settings.sentry_traces_sample_rate,
        # Before the broker is built (tasks/broker.py), so every worker's broker reports.
        integrations=[DramatiqIntegration()],
        include_local_variables=False,
        send_default_pii=False,
        max_request_body_size="never",
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        before_breadcrumb=lambda crumb, _hint: scrub(crumb),
    )
    return True


def release_of(settings: Settings) -> str | None:
    """SENTRY_RELEASE, else the checked-out commit (`recete@<sha>`), else none."""
    if settings.sentry_release:
        return settings.sentry_release
    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = subprocess.run(  # noqa: S603  (git, found on PATH, with fixed arguments)
            [git, "rev-parse", "--short=12", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return f"recete@{commit}" if commit else None


def scrub_event(event: Any, _hint: Any) -> Any:
    return scrub(event)


def scrub(value: Any, key: str = "") -> Any:
    """`value` without personal data or secrets (see the module's docstring)."""
    if key and (SECRET_KEYS.search(key) or key.lower() in BODY_KEYS):
        return FILTERED if value not in (None, "", [], {}) else value
    if isinstance(value, str):
        return EMAIL.sub("[email]", PHONE.sub("[phone]", value))
    if isinstance(value, Mapping):
        return {k: scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        # Header lists come as [name, value] pairs: the name says what the value is.
        if len(value) == 2 and isinstance(value[0], str) and SECRET_KEYS.search(value[0]):
            return [value[0], FILTERED]
        return [scrub(item) for item in value]
    return value
