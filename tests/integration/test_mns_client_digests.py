"""The product's MNS client trusts an answer only when its MessageBodyMD5 is the MD5 of the body.

The SDK accepts any well-formed 201, so an answer read off a confused connection (another request's) would
pass for ours; the client treats a mismatch as transient and asks again, and never reports a foreign answer
as a delivery. Served by a stand-in (tests/foreign_answers.py), since the local cloud never answers wrongly.
"""

from __future__ import annotations

import pytest

from shared.config import ConfigError, Settings
from shared.infra.credentials import RoleCredentials
from shared.messaging.client import Mns, MnsUnavailableError
from tests.support.foreign_answers import ForeignAnswers

CREDENTIALS = RoleCredentials("STS.key", "secret", "token")
BODY = '{"specversion": "1.0", "id": "7d3c", "data": {"status": "provisioned"}}'


def client(stub: ForeignAnswers, check_md5: bool = True) -> Mns:
    return Mns(stub.endpoint, lambda: CREDENTIALS, sleep=lambda _: None, check_md5=check_md5)


def test_a_foreign_answer_to_a_send_is_retried_and_the_true_answer_kept() -> None:
    with ForeignAnswers(foreign=1) as stub:
        sent = client(stub).send("hr-input", BODY)
    assert sent.message_id == "MSG-2"
    assert stub.received == [BODY, BODY]
    assert stub.stored == [BODY]


def test_a_foreign_answer_to_a_publish_is_retried_and_the_true_answer_kept() -> None:
    with ForeignAnswers(foreign=2) as stub:
        sent = client(stub).publish("hr-results", BODY, "provisioned")
    assert sent.message_id == "MSG-3"
    assert stub.stored == [BODY]


def test_only_foreign_answers_fail_the_send_rather_than_pass_for_a_delivery() -> None:
    with ForeignAnswers(foreign=100) as stub, pytest.raises(MnsUnavailableError, match="MessageBodyMD5"):
        client(stub).send("hr-input", BODY)
    assert stub.stored == []


def test_a_received_message_whose_digest_is_wrong_is_received_again() -> None:
    with ForeignAnswers(foreign=1, inbox=[BODY, "second"]) as stub:
        received = client(stub).receive("hr-dead-letter", 16, 0)
    assert [m.body for m in received] == [BODY, "second"]


def test_a_lone_surrogate_body_is_checked_as_it_travels() -> None:
    with ForeignAnswers() as stub:
        client(stub).send("hr-input", '{"nickname": "\ud800"}')
    assert stub.stored == ['{"nickname": "\\ud800"}']


def test_the_check_can_be_turned_off_for_a_region_that_digests_otherwise() -> None:
    endpoint = {"MNS_ENDPOINT": "http://127.0.0.1:1"}
    assert Settings.from_env(endpoint).mns_verify_md5 is True
    assert Settings.from_env({**endpoint, "MNS_VERIFY_MD5": "false"}).mns_verify_md5 is False
    with pytest.raises(ConfigError, match="MNS_VERIFY_MD5"):
        Settings.from_env({**endpoint, "MNS_VERIFY_MD5": "perhaps"})
    with ForeignAnswers(foreign=1) as stub:
        sent = client(stub, check_md5=False).send("hr-input", BODY)
    assert sent.message_id == "FOREIGN-1"
