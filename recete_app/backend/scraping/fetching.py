"""Fetching a page from any link a merchant gives us without that becoming a way into our own
network (SSRF): every hop is resolved once, every resolved address is checked, and the connection
goes to the checked address, so a second DNS answer cannot swap in an internal one.

Any port is allowed: shops do run on :8080 or :8443, and the address check, not the port, is what
keeps internal services out of reach."""

from __future__ import annotations

import codecs
import logging
import threading
import time
from collections.abc import Callable, Sequence
from http.cookiejar import DefaultCookiePolicy
from ipaddress import ip_address
from types import TracebackType
from urllib.robotparser import RobotFileParser

import httpx
from prometheus_client import Counter

from recete_app.backend.http_client import Failure, answered, build_client, unanswered
from recete_app.backend.scraping.addresses import AddressPolicy, Resolver, system_resolver
from recete_app.backend.scraping.errors import ScrapeError
from recete_app.backend.scraping.pages import Page

log = logging.getLogger(__name__)
PAGES = Counter(
    "recete_scrape_pages_total",
    "Product pages the scraper asked for, by outcome: read, refused (never requested: the "
    "link, its address or robots.txt), failed (requested, no usable page).",
    ["outcome"],
)

PAGE_TYPES = ("text/html", "application/xhtml+xml", "application/json", "application/ld+json")
ROBOTS_AGENT = "Recete"
_ROBOTS_LIMIT = 512 * 1024  # RFC 9309 asks crawlers to read at least 500 KiB of robots.txt
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class Fetcher:
    """Fetches pages safely; one instance per scrape job (it caches robots.txt and paces hosts).
    Thread-safe."""

    def __init__(
        self,
        *,
        resolver: Resolver = system_resolver,
        transport: httpx.BaseTransport | None = None,
        max_bytes: int = 5 * 1024 * 1024,
        timeout: float = 10.0,
        max_redirects: int = 5,
        politeness_delay: float = 1.0,
        allowed_networks: Sequence[str] = (),
        respect_robots: bool = True,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        # brotli/zstd could expand one network chunk without bound before the size cap sees it;
        # deflate tops out near 1000:1, so one 64 KB chunk stays a bounded spike.
        self._client = build_client(
            timeout=timeout,
            transport=transport,
            headers={"Accept-Encoding": "gzip, deflate"},
            trust_env=False,
        )
        # Stateless on purpose: cookies would be stored against the pinned IP, not the host.
        self._client.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        self._resolver = resolver
        self._policy = AddressPolicy(allowed_networks)
        self._max_bytes = max_bytes
        self._timeout = timeout
        self._max_redirects = max_redirects
        self._delay = politeness_delay
        self._respect_robots = respect_robots
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_turn: dict[str, float] = {}
        self._robots: dict[str, RobotFileParser] = {}

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def fetch(self, url: str, *, accept: tuple[str, ...] = PAGE_TYPES) -> Page:
        """The page at url, or a ScrapeError saying why not (see errors.py for the codes)."""
        try:
            page = self._fetch(url, accept)
        except ScrapeError as error:
            PAGES.labels("refused" if not error.request_sent else "failed").inc()
            raise
        PAGES.labels("read").inc()
        return page

    def _fetch(self, url: str, accept: tuple[str, ...]) -> Page:
        final_url, response = self._follow(parse_url(url), obey_robots=self._respect_robots)
        try:
            _check_status(final_url, response)
            media_type, charset = _content_type(response)
            if media_type not in accept:
                shown = media_type or "no content type"
                raise _failure(
                    "unsupported_content", f"The link is not a web page ({shown}).", final_url
                )
            body = self._read_body(final_url, response, self._max_bytes, truncate=False)
        finally:
            response.close()
        return Page(str(final_url), response.status_code, media_type, body, charset)

    def _follow(self, url: httpx.URL, *, obey_robots: bool) -> tuple[httpx.URL, httpx.Response]:
        """The first non-redirect response, still open; every hop gets the full check."""
        for _ in range(self._max_redirects + 1):
            if obey_robots:
                self._check_robots(url)
            response = self._send(url)
            if response.status_code not in _REDIRECTS:
                return url, response
            response.close()
            location = response.headers.get("location")
            if not location:
                message = f"The site redirected without saying where ({response.status_code})."
                raise _failure("http_status", message, url)
            url = _redirect_target(url, location)
        message = f"The link redirected more than {self._max_redirects} times."
        raise _failure("too_many_redirects", message, url)

    def _send(self, url: httpx.URL) -> httpx.Response:
        addresses = self._checked_addresses(url)
        host = url.raw_host.decode("ascii")
        self._wait_turn(host)
        extensions = {"sni_hostname": host} if url.scheme == "https" else {}
        for position, address in enumerate(addresses, start=1):
            request = self._client.build_request(
                "GET",
                url.copy_with(host=address),
                headers={"Host": url.netloc.decode("ascii")},
                extensions=extensions,
            )
            try:
                return self._client.send(request, stream=True)
            except httpx.ConnectError as exc:
                # Every address was checked, so trying the next one keeps the guarantee.
                if position == len(addresses):
                    raise _network_failure(url, exc) from exc
            except httpx.RequestError as exc:
                raise _network_failure(url, exc) from exc
        raise AssertionError("unreachable: the resolver returned no addresses")

    def _checked_addresses(self, url: httpx.URL) -> list[str]:
        host = url.raw_host.decode("ascii")
        try:
            addresses = [host] if _is_ip_literal(host) else self._resolver(host, _port(url))
        except (OSError, UnicodeError) as exc:
            raise _failure("unresolvable", f"The site {host} could not be found.", url) from exc
        if not addresses:
            raise _failure("unresolvable", f"The site {host} could not be found.", url)
        for address in addresses:
            reason = self._policy.refusal(address)
            if reason is not None:
                message = f"Refused: {host} points to {address} ({reason}), not the public web."
                raise _failure("refused_address", message, url)
        return addresses

    def _wait_turn(self, host: str) -> None:
        # Reserve the slot under the lock and sleep outside it, so threads queue per host
        # without blocking other hosts.
        if self._delay <= 0:
            return
        with self._lock:
            now = self._clock()
            turn = max(now, self._next_turn.get(host, now))
            self._next_turn[host] = turn + self._delay
        if turn > now:
            self._sleep(turn - now)

    def _check_robots(self, url: httpx.URL) -> None:
        origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
        rules = self._robots.get(origin)
        if rules is None:
            rules = self._robots[origin] = self._load_robots(httpx.URL(origin + "/robots.txt"))
        if not rules.can_fetch(ROBOTS_AGENT, str(url)):
            raise _failure("robots_disallowed", "The site's robots.txt asks us not to.", url)

    def _load_robots(self, robots_url: httpx.URL) -> RobotFileParser:
        # RFC 9309 (as Google does): 4xx or too many redirects means no rules; 5xx means keep
        # out for now (not cached, so a later job retries). Network failures surface as
        # unreachable/timeout: the page itself would fail the same way.
        rules = RobotFileParser()
        try:
            final_url, response = self._follow(robots_url, obey_robots=False)
        except ScrapeError as error:
            if error.code != "too_many_redirects":
                raise
            rules.parse([])
            return rules
        try:
            if response.status_code >= 500:
                status = response.status_code
                message = f"The site's robots.txt is failing ({status}), so we keep out for now."
                later = Failure(request_sent=False, retryable=True)  # the page was not asked for
                raise _failure("robots_disallowed", message, robots_url, failure=later)
            body = b""
            if response.status_code < 400:
                body = self._read_body(final_url, response, _ROBOTS_LIMIT, truncate=True)
        finally:
            response.close()
        rules.parse(body.decode("utf-8", errors="replace").splitlines())
        return rules

    def _read_body(
        self, url: httpx.URL, response: httpx.Response, limit: int, *, truncate: bool
    ) -> bytes:
        declared = response.headers.get("content-length", "")
        if not truncate and declared.isdigit() and int(declared) > limit:
            raise _too_large(url, limit)
        deadline = self._clock() + self._timeout
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:
                    if truncate:
                        return b"".join(chunks)[:limit]
                    raise _too_large(url, limit)
                # httpx times each read; this bounds a server that drips bytes forever.
                if self._clock() > deadline:
                    raise httpx.ReadTimeout("total time exceeded")
        except httpx.RequestError as exc:
            raise _network_failure(url, exc) from exc
        return b"".join(chunks)


def parse_url(url: str) -> httpx.URL:
    """A link we are willing to fetch: http(s), a host name, no credentials."""
    try:
        parsed = httpx.URL(url.strip())
    except httpx.InvalidURL as exc:
        raise _failure("bad_url", "The link is not a valid web address.", None) from exc
    if parsed.scheme not in ("http", "https"):
        shown = f"{parsed.scheme}:" if parsed.scheme else "no scheme"
        message = f"Only http:// and https:// links can be scraped (got {shown})."
        raise _failure("bad_scheme", message, None)
    if not parsed.raw_host:
        raise _failure("bad_url", "The link has no site name in it.", None)
    if parsed.userinfo:
        # Not echoed back: the link carries a password.
        message = "Links with a user name or password in them are refused."
        raise _failure("bad_url", message, None)
    return parsed


def _redirect_target(current: httpx.URL, location: str) -> httpx.URL:
    try:
        target = current.join(location)
    except httpx.InvalidURL as exc:
        raise _failure("bad_url", "The site redirected to an invalid address.", current) from exc
    return parse_url(str(target))


def _check_status(url: httpx.URL, response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    if status == 404:
        message = "The page was not found (404)."
    elif status == 410:
        message = "The page has been removed (410)."
    elif status in (401, 403):
        message = f"The site refused access to the page ({status})."
    elif status == 429:
        message = "The site is asking us to slow down (429); try again later."
    elif status >= 500:
        message = f"The site had a server error ({status}); try again later."
    else:
        message = f"The site answered with HTTP status {status}."
    raise _failure("http_status", message, url, status=status)


def _content_type(response: httpx.Response) -> tuple[str, str | None]:
    media_type, _, params = response.headers.get("content-type", "").partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'").lower() or None
    if charset is not None:
        try:
            codecs.lookup(charset)
        except LookupError:
            charset = None  # an unknown charset would make Page.text() raise
    return media_type.strip().lower(), charset


def _is_ip_literal(host: str) -> bool:
    try:
        ip_address(host)
    except ValueError:
        return False
    return True


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def _too_large(url: httpx.URL, limit: int) -> ScrapeError:
    megabytes = limit / (1024 * 1024)
    return _failure("too_large", f"The page is larger than {megabytes:g} MB.", url)


def _network_failure(url: httpx.URL, exc: httpx.RequestError) -> ScrapeError:
    host = url.host
    if isinstance(exc, httpx.TimeoutException):
        code, message = "timeout", f"The site {host} took too long to answer."
    elif isinstance(exc, httpx.ConnectError) and "certificate" in str(exc).lower():
        code, message = "unreachable", f"The site {host} has an invalid TLS certificate."
    elif isinstance(exc, httpx.ConnectError):
        code, message = "unreachable", f"Could not connect to the site {host}."
    else:
        code, message = "unreachable", f"The connection to {host} failed mid-way."
    return _failure(code, message, url, failure=unanswered(exc))


def _failure(
    code: str,
    message: str,
    url: httpx.URL | None,
    *,
    status: int | None = None,
    failure: Failure | None = None,
) -> ScrapeError:
    details: dict[str, object] = {"url": str(url) if url is not None else None}
    if status is not None:
        details["status"] = status
        failure = answered(status)
    log.warning("scrape refused code=%s url=%s reason=%s", code, details["url"], message)
    return ScrapeError(message, code=code, details=details, failure=failure)
