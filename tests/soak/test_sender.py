"""The soak's sender counts a queue send only when MNS answered for that body, and never crashes the run.

Served by a stand-in that answers some sends for another body (tests/foreign_answers.py), which is what a
sender sharing its connection with another thread reads (tests/unit/test_soak_shared_connection.py).
"""

from __future__ import annotations

import threading

from soak.clients import ThreadAccounts
from soak.run import _Sender
from soak.workload import Planned, plan
from tests.support.foreign_answers import ForeignAnswers


def _env(endpoint: str) -> dict[str, str]:
    return {
        "MNS_ENDPOINT": endpoint,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "STS.key",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "secret",
        "ALIBABA_CLOUD_SECURITY_TOKEN": "token",
        "INPUT_QUEUE": "hr-input",
    }


def _queued() -> Planned:
    return next(p for p in plan(20, seed=5, run="t") if p.route == "queue" and p.kind == "valid")


def test_a_foreign_answer_is_sent_again_and_the_event_counted_once_stored() -> None:
    planned = _queued()
    with ForeignAnswers(foreign=2) as stub:
        env = _env(stub.endpoint)
        sender = _Sender(env, ThreadAccounts(env))
        assert sender.queue(planned) is True
    assert stub.stored == [planned.body.decode()]
    assert len(stub.received) == 3
    assert sender.retries["queue_foreign_answer"] == 2
    assert sender.unsent == {}


def test_a_send_that_never_gets_its_own_answer_is_reported_not_raised() -> None:
    planned = _queued()
    with ForeignAnswers(foreign=100) as stub:
        env = _env(stub.endpoint)
        sender = _Sender(env, ThreadAccounts(env), attempts=3)
        assert sender.deliver(planned) is None
    assert stub.stored == []
    assert "refused it 3 times" in sender.unsent[planned.event_id]
    assert "ForeignAnswerError" in sender.unsent[planned.event_id]


def test_a_sender_that_breaks_is_reported_for_that_event_and_the_run_goes_on() -> None:
    planned = _queued()
    env = _env("http://127.0.0.1:1")
    del env["INPUT_QUEUE"]
    sender = _Sender(env, ThreadAccounts(env))
    assert sender.deliver(planned) is None
    assert "KeyError" in sender.unsent[planned.event_id]


def test_every_sending_thread_has_its_own_account() -> None:
    accounts = ThreadAccounts(_env("http://127.0.0.1:1"))
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.extend([accounts.get(), accounts.get()])) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(a) for a in seen}) == 4
    assert all(seen[i] is seen[i + 1] for i in range(0, 8, 2))
