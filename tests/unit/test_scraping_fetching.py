"""The fetcher never sends a request to an address it refuses: every refusal test checks what
reached the (fake) network, not only the error it raised."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from recete_app.backend.scraping.errors import ScrapeError
from recete_app.backend.scraping.fetching import Fetcher

PUBLIC_IP = "93.184.216.34"
OTHER_PUBLIC_IP = "151.101.1.69"
HTML = "text/html; charset=utf-8"
Answer = Callable[[httpx.Request], httpx.Response]


class FakeDns:
    def __init__(self, records: dict[str, list[str]]) -> None:
        self.records = records
        self.lookups: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host not in self.records:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(self.records[host])


class FakeWeb:
    """Answers by scheme + Host header + path, 404 otherwise; records every request it got."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.answers: dict[str, Answer] = {}

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.raw_path.decode()
        answer = self.answers.get(f"{request.url.scheme}://{request.headers['host']}{path}")
        return answer(request) if answer else httpx.Response(404, text="missing")

    def paths(self) -> list[str]:
        return [f"{r.headers['host']}{r.url.raw_path.decode()}" for r in self.requests]

    def connected_to(self) -> set[str]:
        return {r.url.host for r in self.requests}


def page(body: str = "<html>ürün</html>", content_type: str = HTML) -> Answer:
    return lambda _: httpx.Response(200, headers={"content-type": content_type}, text=body)


def redirect(location: str, status: int = 302) -> Answer:
    return lambda _: httpx.Response(status, headers={"location": location})


@pytest.fixture
def web() -> FakeWeb:
    return FakeWeb()


@pytest.fixture
def dns() -> FakeDns:
    return FakeDns({"shop.example": [PUBLIC_IP], "other.example": [OTHER_PUBLIC_IP]})


@pytest.fixture
def fetcher(web: FakeWeb, dns: FakeDns) -> Iterator[Fetcher]:
    with make_fetcher(web, dns) as made:
        yield made


def make_fetcher(web: FakeWeb, dns: FakeDns, **options: Any) -> Fetcher:
    options.setdefault("politeness_delay", 0)
    return Fetcher(resolver=dns, transport=httpx.MockTransport(web.handle), **options)


def refusal(fetcher: Fetcher, url: str, **options: Any) -> ScrapeError:
    with pytest.raises(ScrapeError) as caught:
        fetcher.fetch(url, **options)
    assert "Traceback" not in caught.value.message
    return caught.value


# --- a normal fetch, pinned to the checked address ---------------------------------------


def test_fetch_pins_the_connection_to_the_checked_address(web: FakeWeb, fetcher: Fetcher) -> None:
    web.answers["https://shop.example/urun?id=1"] = page()

    result = fetcher.fetch("https://shop.example/urun?id=1")

    assert result.url == "https://shop.example/urun?id=1"
    assert (result.status, result.content_type, result.charset) == (200, "text/html", "utf-8")
    assert result.text() == "<html>ürün</html>"
    assert web.paths() == ["shop.example/robots.txt", "shop.example/urun?id=1"]
    sent = web.requests[-1]
    assert sent.url.host == PUBLIC_IP
    assert sent.headers["host"] == "shop.example"
    assert sent.extensions["sni_hostname"] == "shop.example"
    assert sent.headers["user-agent"].startswith("Recete/")


def test_ipv6_address_is_pinned_in_brackets_with_the_port(web: FakeWeb) -> None:
    dns = FakeDns({"shop6.example": ["2606:4700::6810:84e5"]})
    web.answers["https://shop6.example:8443/p"] = page()

    with make_fetcher(web, dns) as fetcher:
        fetcher.fetch("https://shop6.example:8443/p")

    sent = web.requests[-1]
    assert str(sent.url) == "https://[2606:4700::6810:84e5]:8443/p"
    assert sent.headers["host"] == "shop6.example:8443"
    assert sent.extensions["sni_hostname"] == "shop6.example"


def test_plain_http_sends_no_sni_extension(web: FakeWeb, fetcher: Fetcher) -> None:
    web.answers["http://shop.example/"] = page()
    fetcher.fetch("http://shop.example/")
    assert "sni_hostname" not in web.requests[-1].extensions


def test_when_the_first_address_refuses_the_next_checked_one_is_tried(web: FakeWeb) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host == PUBLIC_IP:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        return httpx.Response(200, headers={"content-type": HTML}, text="ok")

    dns = FakeDns({"shop.example": [PUBLIC_IP, OTHER_PUBLIC_IP]})
    web.answers["http://shop.example/p"] = answer
    with make_fetcher(web, dns, respect_robots=False) as fetcher:
        assert fetcher.fetch("http://shop.example/p").text() == "ok"
    assert [r.url.host for r in web.requests] == [PUBLIC_IP, OTHER_PUBLIC_IP]


# --- refused addresses --------------------------------------------------------------------

REFUSED_ADDRESSES = [
    "127.0.0.1",  # loopback
    "127.8.9.10",
    "10.0.0.5",  # private
    "172.16.3.4",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "169.254.10.10",  # link-local
    "100.64.0.1",  # carrier-grade NAT
    "100.100.100.200",  # Alibaba metadata
    "192.0.0.192",  # Oracle metadata (IETF protocol block)
    "198.18.0.1",  # benchmarking
    "0.0.0.0",  # noqa: S104 -- unspecified, a target here, not a bind
    "224.0.0.1",  # multicast
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "::1",  # IPv6 loopback
    "::",  # IPv6 unspecified
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::ffff:10.1.2.3",
    "::127.0.0.1",  # IPv4-compatible (deprecated)
    "fe80::1",  # link-local
    "fe80::1%eth0",
    "fc00::1",  # unique-local
    "fd12:3456:789a::1",
    "fd00:ec2::254",  # AWS metadata over IPv6
    "fec0::1",  # site-local
    "ff02::1",  # multicast
    "2002:7f00:1::1",  # 6to4 around 127.0.0.1
    "2002:c0a8:101::1",  # 6to4 around 192.168.1.1
    "64:ff9b::7f00:1",  # NAT64 around 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 around 169.254.169.254
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
    "2001:db8::1",  # documentation
    "not-an-ip",
]


@pytest.mark.parametrize("address", REFUSED_ADDRESSES)
def test_a_host_resolving_to_a_refused_address_is_never_contacted(
    web: FakeWeb, address: str
) -> None:
    dns = FakeDns({"evil.example": [address]})
    with make_fetcher(web, dns) as fetcher:
        error = refusal(fetcher, "https://evil.example/")
    assert error.code == "refused_address"
    assert "evil.example" in error.message
    assert web.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.0.0.1:8080/admin",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://[::]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1:5432/",
        "http://[fd00::1]/",
    ],
)
def test_an_ip_literal_url_is_checked_without_dns(web: FakeWeb, dns: FakeDns, url: str) -> None:
    with make_fetcher(web, dns) as fetcher:
        assert refusal(fetcher, url).code == "refused_address"
    assert web.requests == []
    assert dns.lookups == []


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://2130706433/", "refused_address"),
        ("http://0x7f.1/", "refused_address"),
        ("http://0x7f000001/", "refused_address"),
        ("http://0/", "refused_address"),
        ("http://0177.0.0.1/", "bad_url"),  # httpx rejects leading-zero dotted quads outright
    ],
)
def test_numeric_host_forms_are_refused(web: FakeWeb, url: str, code: str) -> None:
    # The system resolver turns these into 127.0.0.1 / 0.0.0.0 without DNS: the same check.
    with Fetcher(transport=httpx.MockTransport(web.handle), politeness_delay=0) as fetcher:
        error = refusal(fetcher, url)
    assert error.code == code
    if code == "refused_address":
        assert "127.0.0.1" in error.message or "0.0.0.0" in error.message  # noqa: S104
    assert web.requests == []


def test_one_private_address_among_public_ones_refuses_the_host(web: FakeWeb) -> None:
    dns = FakeDns({"mixed.example": [PUBLIC_IP, "10.0.0.1"]})
    with make_fetcher(web, dns) as fetcher:
        assert refusal(fetcher, "https://mixed.example/").code == "refused_address"
    assert web.requests == []


def test_refusals_are_logged_as_one_structured_line(
    web: FakeWeb, fetcher: Fetcher, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="recete_app.backend.scraping.fetching"):
        refusal(fetcher, "http://127.0.0.1/")
    assert any("code=refused_address" in r.getMessage() for r in caplog.records)


# --- allowed networks ---------------------------------------------------------------------


def test_allowed_networks_open_a_local_test_shop(web: FakeWeb) -> None:
    dns = FakeDns({"shop.local": ["192.168.1.50"], "mapped.local": ["::ffff:192.168.1.51"]})
    web.answers["http://shop.local/"] = page()
    web.answers["http://mapped.local/"] = page()
    with make_fetcher(web, dns, allowed_networks=["192.168.0.0/16"]) as fetcher:
        assert fetcher.fetch("http://shop.local/").status == 200
        assert fetcher.fetch("http://mapped.local/").status == 200
        assert refusal(fetcher, "http://10.0.0.1/").code == "refused_address"


def test_metadata_stays_refused_inside_an_allowed_range_unless_listed_exactly(
    web: FakeWeb,
) -> None:
    dns = FakeDns({"metadata.example": ["169.254.169.254"]})
    with make_fetcher(web, dns, allowed_networks=["169.254.0.0/16"]) as fetcher:
        error = refusal(fetcher, "http://metadata.example/")
    assert (error.code, web.requests) == ("refused_address", [])
    assert "metadata" in error.message

    with make_fetcher(web, dns, allowed_networks=["169.254.169.254/32"]) as fetcher:
        assert refusal(fetcher, "http://metadata.example/").code == "http_status"  # reached


# --- redirects ----------------------------------------------------------------------------


def test_a_redirect_to_loopback_is_refused_before_connecting(
    web: FakeWeb, fetcher: Fetcher
) -> None:
    web.answers["https://shop.example/a"] = redirect("http://127.0.0.1/admin")

    assert refusal(fetcher, "https://shop.example/a").code == "refused_address"
    assert web.paths() == ["shop.example/robots.txt", "shop.example/a"]
    assert web.connected_to() == {PUBLIC_IP}


def test_a_redirect_to_a_name_resolving_to_metadata_is_refused(
    web: FakeWeb, dns: FakeDns, fetcher: Fetcher
) -> None:
    dns.records["metadata.example"] = ["169.254.169.254"]
    web.answers["https://shop.example/a"] = redirect("http://metadata.example/latest/")

    assert refusal(fetcher, "https://shop.example/a").code == "refused_address"
    assert web.connected_to() == {PUBLIC_IP}


def test_relative_redirects_are_followed_and_rechecked(web: FakeWeb, fetcher: Fetcher) -> None:
    web.answers["https://shop.example/old"] = redirect("/new", status=301)
    web.answers["https://shop.example/new"] = redirect("https://other.example/final")
    web.answers["https://other.example/final"] = page()

    assert fetcher.fetch("https://shop.example/old").url == "https://other.example/final"
    assert web.requests[-1].url.host == OTHER_PUBLIC_IP
    assert web.requests[-1].extensions["sni_hostname"] == "other.example"


def test_five_redirects_are_followed_and_a_sixth_is_refused(web: FakeWeb, dns: FakeDns) -> None:
    for hop in range(7):
        web.answers[f"http://shop.example/r{hop}"] = redirect(f"/r{hop + 1}")
    web.answers["http://shop.example/r5"] = page()
    with make_fetcher(web, dns, respect_robots=False) as fetcher:
        assert fetcher.fetch("http://shop.example/r0").url == "http://shop.example/r5"

        web.answers["http://shop.example/r5"] = redirect("/r6")
        web.requests.clear()
        assert refusal(fetcher, "http://shop.example/r0").code == "too_many_redirects"
    assert len(web.requests) == 6


@pytest.mark.parametrize("location", ["ftp://shop.example/x", "http://user:pw@shop.example/"])
def test_a_redirect_to_a_refused_kind_of_link_is_refused(
    web: FakeWeb, fetcher: Fetcher, location: str
) -> None:
    web.answers["http://shop.example/a"] = redirect(location)
    assert refusal(fetcher, "http://shop.example/a").code in {"bad_scheme", "bad_url"}
    assert web.paths() == ["shop.example/robots.txt", "shop.example/a"]


# --- links we refuse to read ------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["ftp://shop.example/file", "file:///etc/passwd", "javascript:alert(1)", "data:text/html,x"],
)
def test_only_http_and_https_are_fetched(web: FakeWeb, fetcher: Fetcher, url: str) -> None:
    assert refusal(fetcher, url).code == "bad_scheme"
    assert web.requests == []


@pytest.mark.parametrize("url", ["shop.example/urun", "", "http:///nohost", "http://[::1"])
def test_malformed_links_are_refused(web: FakeWeb, fetcher: Fetcher, url: str) -> None:
    assert refusal(fetcher, url).code in {"bad_scheme", "bad_url"}
    assert web.requests == []


def test_credentials_in_a_link_are_refused_and_not_echoed(web: FakeWeb, fetcher: Fetcher) -> None:
    error = refusal(fetcher, "https://admin:s3cret@shop.example/")
    assert error.code == "bad_url"
    assert "s3cret" not in error.message and "s3cret" not in str(error.details)
    assert web.requests == []


def test_an_unknown_host_is_unresolvable(web: FakeWeb, fetcher: Fetcher) -> None:
    assert refusal(fetcher, "https://nowhere.example/").code == "unresolvable"
    assert web.requests == []


# --- what comes back --------------------------------------------------------------------


def test_a_page_over_the_cap_is_cut_off_while_streaming(web: FakeWeb, fetcher: Fetcher) -> None:
    chunk = b"x" * 65536
    served: list[int] = []

    def endless() -> Iterator[bytes]:
        for index in range(200):  # 12.5 MB if read to the end
            served.append(index)
            yield chunk

    web.answers["http://shop.example/big"] = lambda _: httpx.Response(
        200, headers={"content-type": HTML}, content=endless()
    )
    error = refusal(fetcher, "http://shop.example/big")
    assert error.code == "too_large"
    assert "5 MB" in error.message
    assert "content-length" not in web.requests[-1].headers
    assert len(served) == 81  # stopped at the first chunk past 5 MB


def test_a_declared_size_over_the_cap_is_refused_without_reading(
    web: FakeWeb, fetcher: Fetcher
) -> None:
    read: list[bool] = []

    def body() -> Iterator[bytes]:
        read.append(True)
        yield b"small"

    headers = {"content-type": HTML, "content-length": str(6 * 1024 * 1024)}
    web.answers["http://shop.example/big"] = lambda _: httpx.Response(
        200, headers=headers, content=body()
    )
    assert refusal(fetcher, "http://shop.example/big").code == "too_large"
    assert read == []


def test_a_slow_drip_hits_the_total_timeout(web: FakeWeb, dns: FakeDns) -> None:
    now = [0.0]

    def drip() -> Iterator[bytes]:
        for _ in range(100):
            now[0] += 1.0
            yield b"x"

    web.answers["http://shop.example/slow"] = lambda _: httpx.Response(
        200, headers={"content-type": HTML}, content=drip()
    )
    with make_fetcher(web, dns, timeout=10.0, clock=lambda: now[0]) as fetcher:
        assert refusal(fetcher, "http://shop.example/slow").code == "timeout"


@pytest.mark.parametrize("content_type", ["image/png", "application/pdf", "text/plain", ""])
def test_only_html_and_json_are_accepted(web: FakeWeb, fetcher: Fetcher, content_type: str) -> None:
    web.answers["http://shop.example/f"] = page("data", content_type)
    error = refusal(fetcher, "http://shop.example/f")
    assert error.code == "unsupported_content"


def test_the_accept_list_can_admit_sitemaps_and_json(web: FakeWeb, fetcher: Fetcher) -> None:
    web.answers["http://shop.example/sitemap.xml"] = page("<urlset/>", "application/xml")
    web.answers["http://shop.example/p.json"] = page("{}", 'application/json; charset="UTF-8"')

    sitemap = fetcher.fetch("http://shop.example/sitemap.xml", accept=("application/xml",))
    assert (sitemap.content_type, sitemap.body) == ("application/xml", b"<urlset/>")
    assert fetcher.fetch("http://shop.example/p.json").charset == "utf-8"


def test_an_unknown_charset_is_dropped(web: FakeWeb, fetcher: Fetcher) -> None:
    web.answers["http://shop.example/"] = page("<p>hi</p>", "text/html; charset=klingon")
    result = fetcher.fetch("http://shop.example/")
    assert result.charset is None
    assert result.text() == "<p>hi</p>"


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (404, "The page was not found (404)."),
        (403, "The site refused access to the page (403)."),
        (500, "The site had a server error (500); try again later."),
    ],
)
def test_error_statuses_are_readable_failures(
    web: FakeWeb, fetcher: Fetcher, status: int, message: str
) -> None:
    web.answers["http://shop.example/p"] = lambda _: httpx.Response(status, text="no")
    error = refusal(fetcher, "http://shop.example/p")
    assert (error.code, error.message) == ("http_status", message)
    assert error.details == {"url": "http://shop.example/p", "status": status}


# --- robots.txt ---------------------------------------------------------------------------

ROBOTS = "User-agent: *\nDisallow: /private\n\nUser-agent: Recete\nDisallow: /no-recete\n"


def test_robots_disallow_is_respected_and_robots_is_fetched_once(
    web: FakeWeb, fetcher: Fetcher
) -> None:
    web.answers["https://shop.example/robots.txt"] = page(ROBOTS, "text/plain")
    web.answers["https://shop.example/public"] = page()

    assert fetcher.fetch("https://shop.example/public").status == 200
    assert refusal(fetcher, "https://shop.example/no-recete/x").code == "robots_disallowed"
    # Recete has its own group, so the * group's /private does not apply to it.
    assert refusal(fetcher, "https://shop.example/private").code == "http_status"
    assert web.paths() == [
        "shop.example/robots.txt",
        "shop.example/public",
        "shop.example/private",
    ]


def test_robots_on_a_redirect_target_is_checked_too(web: FakeWeb, fetcher: Fetcher) -> None:
    web.answers["https://shop.example/go"] = redirect("https://other.example/p")
    web.answers["https://other.example/robots.txt"] = page(
        "User-agent: *\nDisallow: /", "text/plain"
    )

    assert refusal(fetcher, "https://shop.example/go").code == "robots_disallowed"
    assert "other.example/p" not in web.paths()


def test_a_failing_robots_txt_keeps_us_out(web: FakeWeb, fetcher: Fetcher) -> None:
    web.answers["https://shop.example/robots.txt"] = lambda _: httpx.Response(503)
    web.answers["https://shop.example/p"] = page()
    assert refusal(fetcher, "https://shop.example/p").code == "robots_disallowed"
    assert web.paths() == ["shop.example/robots.txt"]


def test_robots_can_be_turned_off(web: FakeWeb, dns: FakeDns) -> None:
    web.answers["https://shop.example/robots.txt"] = page(
        "User-agent: *\nDisallow: /", "text/plain"
    )
    web.answers["https://shop.example/p"] = page()
    with make_fetcher(web, dns, respect_robots=False) as fetcher:
        assert fetcher.fetch("https://shop.example/p").status == 200
    assert web.paths() == ["shop.example/p"]


# --- politeness ---------------------------------------------------------------------------


def test_requests_to_the_same_host_are_spaced_out(web: FakeWeb, dns: FakeDns) -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    for path in ("/a", "/b"):
        web.answers[f"http://shop.example{path}"] = page()
        web.answers[f"http://other.example{path}"] = page()
    options: dict[str, Any] = {"politeness_delay": 1.5, "respect_robots": False}
    with make_fetcher(web, dns, clock=lambda: now[0], sleep=sleep, **options) as fetcher:
        fetcher.fetch("http://shop.example/a")
        fetcher.fetch("http://other.example/a")
        assert slept == []  # a different host does not wait
        fetcher.fetch("http://shop.example/b")
        assert slept == [1.5]
        now[0] += 10
        fetcher.fetch("http://shop.example/a")
        fetcher.fetch("http://other.example/b")
        assert slept == [1.5]  # enough time had passed for both


# --- network failures -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "code"),
    [
        (httpx.ConnectTimeout, "timeout"),
        (httpx.ReadTimeout, "timeout"),
        (httpx.ConnectError, "unreachable"),
        (httpx.RemoteProtocolError, "unreachable"),
    ],
)
def test_network_failures_are_readable(
    web: FakeWeb, dns: FakeDns, failure: type[httpx.TransportError], code: str
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise failure("[Errno 111] Connection refused\nTraceback (most recent call last)")

    with Fetcher(resolver=dns, transport=httpx.MockTransport(fail), politeness_delay=0) as fetcher:
        error = refusal(fetcher, "https://shop.example/p")
    assert error.code == code
    assert "Errno" not in error.message
    assert "shop.example" in error.message


def test_a_connection_dropped_mid_body_is_unreachable(web: FakeWeb, fetcher: Fetcher) -> None:
    def broken() -> Iterator[bytes]:
        yield b"<html>"
        raise httpx.ReadError("connection reset")

    web.answers["http://shop.example/p"] = lambda _: httpx.Response(
        200, headers={"content-type": HTML}, content=broken()
    )
    assert refusal(fetcher, "http://shop.example/p").code == "unreachable"


# --- a real socket ------------------------------------------------------------------------


@pytest.fixture
def local_server() -> Iterator[tuple[int, list[tuple[str, str]]]]:
    seen: list[tuple[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append((self.path, self.headers.get("Host", "")))
            if self.path == "/robots.txt":
                self.send_error(404)
                return
            body = "<html>yerel mağaza</html>".encode()
            self.send_response(200)
            self.send_header("Content-Type", HTML)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port, seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_real_local_server_is_refused_without_a_connection(
    local_server: tuple[int, list[tuple[str, str]]],
) -> None:
    port, seen = local_server
    with Fetcher(politeness_delay=0) as fetcher:
        for url in (f"http://127.0.0.1:{port}/page", f"http://localhost:{port}/page"):
            assert refusal(fetcher, url).code == "refused_address"
    assert seen == []


def test_an_allowed_local_server_is_fetched_over_a_pinned_socket(
    local_server: tuple[int, list[tuple[str, str]]],
) -> None:
    port, seen = local_server
    dns = FakeDns({"shop.test": ["127.0.0.1"]})
    options: dict[str, Any] = {"allowed_networks": ["127.0.0.1/32"], "politeness_delay": 0}
    with Fetcher(resolver=dns, timeout=5.0, **options) as fetcher:
        result = fetcher.fetch(f"http://shop.test:{port}/page")
    assert result.text() == "<html>yerel mağaza</html>"
    assert result.url == f"http://shop.test:{port}/page"
    assert seen == [("/robots.txt", f"shop.test:{port}"), ("/page", f"shop.test:{port}")]


def test_pages_are_counted_by_outcome(web: FakeWeb, fetcher: Fetcher) -> None:
    def counted(outcome: str) -> float:
        return REGISTRY.get_sample_value("recete_scrape_pages_total", {"outcome": outcome}) or 0

    before = {outcome: counted(outcome) for outcome in ("read", "refused", "failed")}
    web.answers["https://shop.example/p"] = page()
    fetcher.fetch("https://shop.example/p")
    refusal(fetcher, "http://127.0.0.1/admin")  # never requested
    refusal(fetcher, "https://shop.example/missing")  # answered 404
    assert {outcome: counted(outcome) - before[outcome] for outcome in before} == {
        "read": 1,
        "refused": 1,
        "failed": 1,
    }
