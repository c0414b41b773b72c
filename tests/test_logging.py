"""Logging: lines about a request carry its id; a lost answer is logged, not swallowed."""

from __future__ import annotations

import logging
from contextlib import contextmanager

from services.assistant.answers import ask
from services.log import FORMAT, _RequestIdFilter
from tests.conftest import ANCHOR, runtime_for


@contextmanager
def captured(caplog, level):
    """caplog on the `services` logger itself: the app's logging setup stops it propagating to the root."""
    services = logging.getLogger("services")
    services.addHandler(caplog.handler)
    try:
        with caplog.at_level(level, logger="services"):
            yield
    finally:
        services.removeHandler(caplog.handler)


def test_every_line_about_a_question_carries_its_request_id(caplog):
    caplog.handler.addFilter(_RequestIdFilter())
    caplog.handler.setFormatter(logging.Formatter(FORMAT))
    with captured(caplog, logging.INFO):
        answer = ask("what is firing?", ANCHOR, runtime_for())
    lines = [caplog.handler.format(r) for r in caplog.records if r.name.startswith("services.")]
    assert lines and all(f"[{answer.request_id}]" in line for line in lines)


def test_an_answer_that_could_not_be_stored_is_logged(caplog, tmp_path):
    runtime = runtime_for()
    runtime.store, runtime.store_problem = None, "database is locked"
    with captured(caplog, logging.ERROR):
        answer = ask("what is firing?", ANCHOR, runtime)
    assert answer.text  # the engineer still gets the answer
    assert any(answer.request_id in r.getMessage() and "database is locked" in r.getMessage() for r in caplog.records)
