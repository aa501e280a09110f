"""A real Recete (the `recete run --prod` launcher, Reflex production build) on the test
database, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from recete_app.backend.config import PROJECT_ROOT
from tests.support import free_port

CHROMIUM = os.environ.get("RECETE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    if shutil.which("bun") is None and not os.environ.get("REFLEX_BUN_PATH"):
        missing.append("bun is not set up (run the tests through scripts/test)")
    if not missing:
        return
    for item in items:
        if "e2e" in str(item.path):
            item.add_marker(pytest.mark.skip(reason="; ".join(missing)))


# Package scope: the app runs the dispatcher and the agent on the shared test database, so it
# must stop before the integration tests, or it sends their due rows (their inbox reply test
# saw its reply already claimed by this app's dispatcher).
@pytest.fixture(scope="package")
def app_url(database_url: str) -> Iterator[str]:
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / "e2e-server.log"
    env = {
        **os.environ,
        "RECETE_DATABASE_URL": database_url,
        "RECETE_LOG_LEVEL": "INFO",
        # The Products test's shop is a local server: let the scraper reach exactly that.
        "RECETE_SCRAPE_ALLOWED_NETWORKS": "127.0.0.1/32",
        "RECETE_SCRAPE_POLITENESS_SECONDS": "0",
        # A customer with a long history (the Customers test's Zeynep) is exported by a worker.
        "RECETE_EXPORT_INLINE_MAX_ROWS": "20",
    }
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "recete_app.cli", "run", "--prod", "--frontend-port", str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, server, log_path)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def _wait_until_up(url: str, server: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 600  # the first build installs the frontend packages
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log_path.read_text()[-4000:]}")
        try:
            if httpx.get(f"{url}/login/", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError(f"server did not come up:\n{log_path.read_text()[-4000:]}")


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


# Chromium reports a CSP violation in the console ("Refused to execute inline script because
# it violates the following Content Security Policy directive: ..."); the listener below
# reports the securitypolicyviolation event too, in case a message is worded otherwise.
CSP_WORDS = ("Content Security Policy", "Refused to")
REPORT_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (e) =>
  console.error(`Content Security Policy violation: ${e.effectiveDirective} ${e.blockedURI}`));
"""


def csp_violations(messages: list[str]) -> list[str]:
    return [m for m in messages if any(word in m for word in CSP_WORDS)]


@pytest.fixture()
def console() -> list[str]:
    """What the page printed to its console, and its uncaught errors, in order."""
    return []


@pytest.fixture()
def page(browser: object, console: list[str]) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    context.add_init_script(REPORT_VIOLATIONS)
    tab = context.new_page()
    tab.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    tab.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    tab.set_default_timeout(20_000)
    yield tab
    context.close()
    # Every browser test fails on a CSP violation: a page the policy broke.
    assert not csp_violations(console), "\n".join(csp_violations(console))
