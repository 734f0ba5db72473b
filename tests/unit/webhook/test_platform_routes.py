"""`POST /hr/dingtalk` and `POST /hr/feishu` on the real webhook routes: a push is queued once before the platform
hears `success`, a refusal queues nothing and matches the OpenAPI description, and a queue that fails is a 503 the
platform retries (not a push remembered as done)."""

from __future__ import annotations

import io
import json
from typing import Any

import jsonschema_rs

from shared.config import Settings
from shared.hr.dingtalk_crypto import DingTalkCrypto, signature
from shared.hr.feishu_crypto import FeishuCrypto
from shared.hr.source import HrSource
from shared.infra.jsonlog import JsonLogger
from shared.infra.retry import Deadline
from shared.messaging.client import MnsUnavailableError, Sent
from shared.messaging.formats import NOTICE_KIND
from shared.triggers.http import HttpRequest
from shared.webhook.routes import Webhook
from shared.wiring import _build_source
from tests.unit.webhook.test_openapi import SPEC, component

TOKEN, AES_KEY, APP_KEY = "tok", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ", "dingapp"
ENV = {
    "MNS_ENDPOINT": "http://127.0.0.1:1",
    "INPUT_QUEUE": "hr-input",
    "DINGTALK_TOKEN": TOKEN,
    "DINGTALK_AES_KEY": AES_KEY,
    "DINGTALK_APP_KEY": APP_KEY,
    "FEISHU_ENCRYPT_KEY": "fkey",
    "FEISHU_VERIFICATION_TOKEN": "ftok",
}
CRYPTO = DingTalkCrypto(TOKEN, AES_KEY, APP_KEY)
NOW = 1_800_000_000.0


class Queue:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.down = False

    def send(self, queue: str, body: str, delay_seconds: int = 0) -> Sent:
        if self.down:
            raise MnsUnavailableError("ServiceUnavailable")
        self.sent.append(body)
        return Sent(f"m{len(self.sent)}")


class Deps:
    def __init__(self, env: dict[str, str]) -> None:
        self.settings = Settings.from_env(env)
        self.mns = Queue()
        self.log = JsonLogger("test", io.StringIO())
        self.provisioner: Any = None

    def hr_source(self, name: str) -> HrSource | None:
        return _build_source(name, self.settings)


def call(deps: Deps, path: str, body: bytes, query: dict[str, str] | None = None, **headers: str) -> dict[str, Any]:
    request = HttpRequest("POST", path, headers, query or {}, body, request_id="req-1")
    return Webhook(deps, clock=lambda: NOW).handle(request, Deadline.after(5))


def dingtalk_push(message: dict[str, object], nonce: str = "n1") -> tuple[bytes, dict[str, str]]:
    sealed = CRYPTO.encrypt(json.dumps(message))
    stamp = str(int(NOW * 1000))
    return json.dumps({"encrypt": sealed}).encode(), {
        "signature": signature(TOKEN, stamp, nonce, sealed),
        "timestamp": stamp,
        "nonce": nonce,
    }


HIRE = {"EventType": "user_add_org", "eventId": "e-1", "EventTime": 1_799_999_999_000, "userId": ["u1"]}


def documented(answer: dict[str, Any], path: str) -> None:
    status = str(answer["statusCode"])
    response = component("responses", SPEC["paths"][path]["post"]["responses"][status])
    (media_type,) = response["content"]
    assert answer["headers"]["Content-Type"] == media_type
    schema = response["content"][media_type]["schema"]
    root = {**schema, "components": {"schemas": SPEC["components"]["schemas"]}}
    jsonschema_rs.Draft202012Validator(root).validate(json.loads(answer["body"]))


def test_dingtalk_push_is_queued_as_a_notice_then_answered_with_encrypted_success() -> None:
    deps = Deps(ENV)
    body, query = dingtalk_push(HIRE)
    answer = call(deps, "/hr/dingtalk", body, query)
    assert answer["statusCode"] == 200
    documented(answer, "/hr/dingtalk")
    reply = json.loads(answer["body"])
    assert CRYPTO.open(reply["timeStamp"], reply["nonce"], reply["encrypt"], reply["msg_signature"]) == "success"
    [queued] = deps.mns.sent
    envelope = json.loads(queued)
    assert envelope["kind"] == NOTICE_KIND
    assert envelope["notice"]["hr_ids"] == ["u1"]
    assert envelope["correlation_id"] == "req-1"


def test_dingtalk_repeating_a_push_queues_it_once() -> None:
    deps = Deps(ENV)
    for nonce in ("n1", "n2", "n3"):
        body, query = dingtalk_push({**HIRE, "eventId": "e-repeat"}, nonce)
        assert call(deps, "/hr/dingtalk", body, query)["statusCode"] == 200
    assert len(deps.mns.sent) == 1


def test_dingtalk_refused_push_queues_nothing_and_is_a_documented_401() -> None:
    deps = Deps(ENV)
    body, query = dingtalk_push(HIRE)
    answer = call(deps, "/hr/dingtalk", body, {**query, "signature": "0" * 40})
    assert answer["statusCode"] == 401
    documented(answer, "/hr/dingtalk")
    assert deps.mns.sent == []


def test_dingtalk_push_the_queue_refused_is_a_503_and_its_retry_is_queued() -> None:
    deps = Deps(ENV)
    body, query = dingtalk_push({**HIRE, "eventId": "e-outage"})
    deps.mns.down = True
    answer = call(deps, "/hr/dingtalk", body, query)
    assert answer["statusCode"] == 503
    documented(answer, "/hr/dingtalk")
    deps.mns.down = False
    assert call(deps, "/hr/dingtalk", body, query)["statusCode"] == 200
    assert len(deps.mns.sent) == 1


def test_a_platform_the_deployment_does_not_configure_is_a_documented_503() -> None:
    deps = Deps({"MNS_ENDPOINT": "http://127.0.0.1:1"})
    answer = call(deps, "/hr/feishu", b"{}")
    assert answer["statusCode"] == 503
    documented(answer, "/hr/feishu")
    assert "FEISHU_VERIFICATION_TOKEN" in json.loads(answer["body"])["detail"]


def test_feishu_challenge_is_answered_and_nothing_queued() -> None:
    deps = Deps(ENV)
    sealed = FeishuCrypto("fkey").encrypt(
        json.dumps({"challenge": "ch-1", "token": "ftok", "type": "url_verification"})
    )
    answer = call(deps, "/hr/feishu", json.dumps({"encrypt": sealed}).encode())
    assert (answer["statusCode"], json.loads(answer["body"])) == (200, {"challenge": "ch-1"})
    documented(answer, "/hr/feishu")
    assert deps.mns.sent == []


def test_a_malformed_dingtalk_body_is_a_documented_400() -> None:
    deps = Deps(ENV)
    answer = call(deps, "/hr/dingtalk", b"not json", {"signature": "a", "timestamp": "1", "nonce": "n"})
    assert answer["statusCode"] == 400
    documented(answer, "/hr/dingtalk")


def test_a_user_event_naming_nobody_is_kept_on_the_dead_letter_queue_with_its_reason() -> None:
    deps = Deps({**ENV, "DEAD_LETTER_QUEUE": "hr-dead-letter"})
    body, query = dingtalk_push({**HIRE, "eventId": "e-nobody", "userId": []})
    answer = call(deps, "/hr/dingtalk", body, query)
    assert answer["statusCode"] == 200
    [kept] = deps.mns.sent
    record = json.loads(kept)
    assert record["kind"] == "dms-onboarding.dead-letter/v1"
    assert record["reason"]["problems"][0]["field"] == "userId"
    assert json.loads(record["message"])["eventId"] == "e-nobody"


def test_a_push_naming_nobody_that_cannot_be_kept_is_a_503_for_the_platform_to_retry() -> None:
    deps = Deps({**ENV, "DEAD_LETTER_QUEUE": "hr-dead-letter"})
    deps.mns.down = True
    body, query = dingtalk_push({**HIRE, "eventId": "e-nobody-2", "userId": []})
    answer = call(deps, "/hr/dingtalk", body, query)
    assert answer["statusCode"] == 503
    documented(answer, "/hr/dingtalk")
