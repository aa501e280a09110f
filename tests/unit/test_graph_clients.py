"""One Graph API client (and connection pool) per business number and process, with a bound on
how many a process keeps."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from recete_app.backend.messaging import channels


@pytest.fixture(autouse=True)
def _no_clients() -> Iterator[None]:
    channels.forget_graph_client()
    yield
    channels.forget_graph_client()


def test_each_number_has_its_own_pool_kept_between_sends() -> None:
    first = channels.graph_client("1065403522001")
    assert channels.graph_client("1065403522001") is first
    assert channels.graph_client("1065403522002") is not first


def test_past_the_bound_the_least_recently_used_number_is_let_go(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(channels, "MAX_CLIENTS", 2)
    a = channels.graph_client("a")
    b = channels.graph_client("b")
    assert channels.graph_client("a") is a  # "a" used again: "b" is now the oldest
    channels.graph_client("c")
    assert channels.graph_client("a") is a
    assert channels.graph_client("b") is not b
    assert not a.is_closed and not b.is_closed  # let go, not closed under a sending thread
