"""Enqueueing by job name: a name no actor declares is a programming error; a declared job with no
worker in this process is left to the sweepers, as when Redis is down."""

from __future__ import annotations

import logging

import pytest

from recete_app.backend import queueing


def test_a_job_name_nobody_declared_fails_loudly() -> None:
    with pytest.raises(queueing.UnknownJob, match="no_such_job"):
        queueing.enqueue("no_such_job", merchant_id="m")


def test_a_declared_job_without_a_worker_here_is_left_to_the_sweeper(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delitem(queueing._senders, "scrape_products", raising=False)
    with caplog.at_level(logging.WARNING, logger=queueing.__name__):
        assert queueing.enqueue("scrape_products", merchant_id="m", job_id="j") is False
    assert "the sweeper will pick it up" in caplog.text


def test_a_declared_job_goes_to_its_registered_sender(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[dict[str, str]] = []
    monkeypatch.setitem(queueing._senders, "scrape_products", lambda **kw: sent.append(kw))
    assert queueing.enqueue("scrape_products", merchant_id="m", job_id="j") is True
    assert sent == [{"merchant_id": "m", "job_id": "j"}]


def test_registering_a_sender_for_an_undeclared_job_fails_loudly() -> None:
    with pytest.raises(queueing.UnknownJob, match="typo_job"):
        queueing.register("typo_job", lambda **kw: None)
