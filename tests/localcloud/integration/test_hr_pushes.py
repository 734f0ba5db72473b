"""DingTalk's and Feishu's pushes from the local cloud to a webhook: what arrives, how the answer is judged, retries.

The webhooks here are tiny stdlib servers (tests/support/hr_receivers.py) with crypto of their own, anchored to the
vendors' vectors; a careful one accepts only what it can verify, others answer late or wrongly.
"""

from __future__ import annotations

import functools
import itertools
import json
import time
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.control.client import ControlClient, ControlPlaneError
from tests.support import hr_receivers
from tests.support.hr_receivers import Behaviour, WebhookReceiver
from tests.support.waiting import wait_for

FEISHU_USER = {
    "open_id": "ou_7dab8a3d3cdcc9da365777c7ad535d62",
    "union_id": "on_8ed6aa67826108097d9ee143816345",
    "user_id": "e33ggbyz",
    "name": "张三",
    "mobile": "+8613900001234",
    "email": "zhangsan@example.com",
    "job_title": "高级工程师",
    "department_ids": ["od-4e6ac4d14bcd5071a37a39de902c7141"],
    "custom_attrs": [{"type": "TEXT", "id": "C-uid", "value": {"text": "2000000000001"}}],
}


@pytest.fixture
def control(cloud: LocalCloud) -> ControlClient:
    return ControlClient(cloud.control_url, timeout=15)


def dingtalk_app(cloud: LocalCloud, **changes: Any) -> hr_receivers.DingTalkApp:
    cfg = cloud.config
    return hr_receivers.DingTalkApp(cfg.dingtalk_token, cfg.dingtalk_aes_key, cfg.dingtalk_app_key, **changes)


def feishu_app(cloud: LocalCloud, **changes: Any) -> hr_receivers.FeishuApp:
    cfg = cloud.config
    return hr_receivers.FeishuApp(cfg.feishu_encrypt_key, cfg.feishu_verification_token, **changes)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A receiver whose behaviour each test sets (it refuses everything until then)."""
    with WebhookReceiver(hr_receivers.answering(503)) as server:
        yield server


def serve(receiver: WebhookReceiver, behaviour: Behaviour) -> str:
    receiver.behaviour = behaviour
    return receiver.url + "/hr/dingtalk"


def reasons(delivery: Mapping[str, Any]) -> list[str]:
    return [a["reason"] for a in delivery["attempts"]]


# DingTalk: what arrives


def test_dingtalk_push_is_signed_encrypted_and_delivered_on_an_encrypted_success(
    cloud: LocalCloud, control: ControlClient, receiver: WebhookReceiver
) -> None:
    url = serve(receiver, hr_receivers.dingtalk_behaviour(dingtalk_app(cloud)))
    delivery = control.dingtalk_push("user_add_org", ["manager7078"], url=url)
    assert delivery["delivered"] is True
    assert (delivery["platform"], delivery["pending_retries"], reasons(delivery)) == ("dingtalk", 0, ["ok"])
    (request,) = receiver.requests()
    assert request.refused == ""
    assert set(request.query) == {"signature", "timestamp", "nonce"}
    event = request.plaintext
    assert (event["EventType"], event["userId"], event["CorpId"]) == (
        "user_add_org",
        ["manager7078"],
        cloud.config.dingtalk_corp_id,
    )
    assert event["eventId"] == delivery["event_id"]
    assert event["timeStamp"] == str(event["EventTime"])
    assert abs(event["EventTime"] - cloud.clock.now_ms()) < 10_000


def test_dingtalk_push_in_pascal_case_with_msg_signature_spellings(
    cloud: LocalCloud, control: ControlClient, receiver: WebhookReceiver
) -> None:
    url = serve(receiver, hr_receivers.dingtalk_behaviour(dingtalk_app(cloud)))
    delivery = control.dingtalk_push(
        "user_leave_org", ["u1", "u2"], url=url, casing="pascal", query_names="msg_signature"
    )
    assert delivery["delivered"] is True
    (request,) = receiver.requests()
    assert set(request.query) == {"msg_signature", "timeStamp", "nonce"}
    assert set(request.plaintext) == {"EventType", "TimeStamp", "UserId", "CorpId"}
    assert request.plaintext["UserId"] == ["u1", "u2"]


def test_dingtalk_check_url_handshake_is_made_once(
    cloud: LocalCloud, control: ControlClient, receiver: WebhookReceiver
) -> None:
    url = serve(receiver, hr_receivers.answering(500))
    delivery = control.dingtalk_check_url(url=url)
    assert (delivery["delivered"], delivery["pending_retries"], delivery["event_id"]) == (False, 0, None)
    url = serve(receiver, hr_receivers.dingtalk_behaviour(dingtalk_app(cloud)))
    assert control.dingtalk_check_url(url=url)["delivered"] is True
    assert receiver.requests()[-1].plaintext == {"EventType": "check_url"}


def test_dingtalk_push_repeating_an_event_id_repeats_the_event(
    cloud: LocalCloud, control: ControlClient, receiver: WebhookReceiver
) -> None:
    url = serve(receiver, hr_receivers.dingtalk_behaviour(dingtalk_app(cloud)))
    control.dingtalk_push("user_add_org", ["u1"], url=url, event_id="evt-1")
    cloud.clock.advance(60)
    control.dingtalk_push("user_add_org", ["u1"], url=url, event_id="evt-1")
    first, second = (r.plaintext for r in receiver.requests())
    assert first == second
    assert first["eventId"] == "evt-1"
    assert receiver.requests()[0].body != receiver.requests()[1].body


def test_dingtalk_modify_event_carries_the_diff_given(
    cloud: LocalCloud, control: ControlClient, receiver: WebhookReceiver
) -> None:
    url = serve(receiver, hr_receivers.dingtalk_behaviour(dingtalk_app(cloud)))
    diff = {"userid": "u1", "prev": {"name": "A"}, "curr": {"name": "B"}}
    control.dingtalk_push("user_modify_org", ["u1"], url=url, diff_info=diff)
    assert receiver.requests()[0].plaintext["diffInfo"] == diff


# DingTalk: how the answer is judged


def test_dingtalk_push_answered_too_slowly_is_not_delivered(
    cloud: LocalCloud, control: ControlClient, receiver: WebhookReceiver
) -> None:
    url = serve(receiver, hr_receivers.dingtalk_behaviour(dingtalk_app(cloud), delay=2.0))
    delivery = control.dingtalk_push("user_add_org", ["u1"], url=url, retry_delays=[])
    assert delivery["delivered"] is False
    (attempt,) = delivery["attempts"]
    assert attempt["status"] is None
    assert attempt["reason"] == "no answer within 1500 ms"
    assert 1400 <= attempt["elapsed_ms"] < 2000


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"success", "reply is not JSON"),
        (b'{"msg": "success"}', "reply lacks msg_signature, timeStamp, nonce, encrypt"),
    ],
)
def test_dingtalk_push_with_a_wrong_reply_is_not_delivered(
    control: ControlClient, receiver: WebhookReceiver, body: bytes, reason: str
) -> None:
    url = serve(receiver, hr_receivers.answering(200, body))
    delivery = control.dingtalk_push("user_add_org", ["u1"], url=url, retry_delays=[])
    assert (delivery["delivered"], reasons(delivery)) == (False, [reason])


def test_dingtalk_reply_encrypted_for_another_app_is_not_delivered(
    cloud: LocalCloud, control: ControlClient, receiver: WebhookReceiver
) -> None:
    cfg = cloud.config
    reply = hr_receivers.dingtalk_success_reply(cfg.dingtalk_token, cfg.dingtalk_aes_key, "dingotherapp")
    url = serve(receiver, hr_receivers.answering(200, reply))
    delivery = control.dingtalk_push("user_add_org", ["u1"], url=url, retry_delays=[])
    assert reasons(delivery) == ["reply is encrypted for owner key 'dingotherapp', not the app key"]


@pytest.mark.parametrize(
    ("tamper", "refused"),
    [("signature", "signature"), ("stale_timestamp", "stale"), ("owner_key", "owner_key"), ("aes_key", "decrypt")],
)
def test_tampered_dingtalk_push_is_refused_by_a_careful_webhook(
    cloud: LocalCloud, control: ControlClient, receiver: WebhookReceiver, tamper: str, refused: str
) -> None:
    url = serve(receiver, hr_receivers.dingtalk_behaviour(dingtalk_app(cloud)))
    delivery = control.dingtalk_push("user_add_org", ["u1"], url=url, tamper=tamper, retry_delays=[])
    assert (delivery["delivered"], delivery["tamper"], reasons(delivery)) == (False, tamper, ["HTTP 403"])
    assert receiver.requests()[0].refused == refused


# DingTalk: retries


def test_dingtalk_push_is_retried_until_delivered(
    cloud: LocalCloud, control: ControlClient, receiver: WebhookReceiver
) -> None:
    good = hr_receivers.dingtalk_behaviour(dingtalk_app(cloud))
    url = serve(receiver, hr_receivers.sequence(hr_receivers.answering(500), hr_receivers.answering(502), good))
    delivery = control.dingtalk_push("user_add_org", ["u1"], url=url, retry_delays=[0.05, 0.05, 0.05], wait=True)
    assert delivery["delivered"] is True
    assert [a["status"] for a in delivery["attempts"]] == [500, 502, 200]
    assert (delivery["pending_retries"], delivery["done"]) == (0, True)
    assert len({json.dumps(r.plaintext) for r in receiver.requests()[2:]}) == 1


def test_dingtalk_retries_run_out_undelivered(control: ControlClient, receiver: WebhookReceiver) -> None:
    url = serve(receiver, hr_receivers.answering(500))
    delivery = control.dingtalk_push("user_add_org", ["u1"], url=url, retry_delays=[0, 0], wait=True)
    assert (delivery["delivered"], delivery["done"], reasons(delivery)) == (False, True, ["HTTP 500"] * 3)
    assert len(receiver.requests()) == 3


def test_dingtalk_default_schedule_is_three_retries_in_service_time(
    cloud: LocalCloud, control: ControlClient, receiver: WebhookReceiver
) -> None:
    good = hr_receivers.dingtalk_behaviour(dingtalk_app(cloud))
    url = serve(receiver, hr_receivers.sequence(hr_receivers.answering(500), good))
    delivery = control.dingtalk_push("user_add_org", ["u1"], url=url)
    assert (delivery["delivered"], delivery["pending_retries"]) == (False, 3)
    assert 0 < delivery["next_retry_in_s"] <= 1
    done = wait_for(lambda: control.delivery(delivery["delivery_id"])["delivered"], seconds=5)
    assert done is True


# Feishu


def test_feishu_push_is_encrypted_signed_and_delivered_on_http_200(
    cloud: LocalCloud, control: ControlClient, receiver: WebhookReceiver
) -> None:
    receiver.behaviour = hr_receivers.feishu_behaviour(feishu_app(cloud))
    delivery = control.feishu_push("contact.user.created_v3", FEISHU_USER, url=receiver.url + "/hr/feishu")
    assert (delivery["delivered"], reasons(delivery)) == (True, ["ok"])
    (request,) = receiver.requests()
    assert request.refused == ""
    assert request.headers["x-lark-request-timestamp"].isdigit()
    assert len(request.headers["x-lark-request-timestamp"]) == 10
    document = request.plaintext
    assert document["schema"] == "2.0"
    header = document["header"]
    assert (header["event_type"], header["event_id"], header["app_id"]) == (
        "contact.user.created_v3",
        delivery["event_id"],
        cloud.config.feishu_app_id,
    )
    assert header["create_time"].isdigit()
    assert document["event"] == {"object": FEISHU_USER}


def test_feishu_update_carries_the_old_object(
    cloud: LocalCloud, control: ControlClient, receiver: WebhookReceiver
) -> None:
    receiver.behaviour = hr_receivers.feishu_behaviour(feishu_app(cloud))
    old = {**FEISHU_USER, "job_title": "工程师"}
    control.feishu_push("contact.user.updated_v3", FEISHU_USER, old_user=old, url=receiver.url)
    assert receiver.requests()[0].plaintext["event"] == {"object": FEISHU_USER, "old_object": old}


def test_unencrypted_feishu_push_is_plain_json_without_a_signature(
    cloud: LocalCloud, control: ControlClient, receiver: WebhookReceiver
) -> None:
    receiver.behaviour = hr_receivers.feishu_behaviour(feishu_app(cloud, require_encryption=False))
    delivery = control.feishu_push("contact.user.deleted_v3", FEISHU_USER, url=receiver.url, encrypt=False)
    assert delivery["delivered"] is True
    (request,) = receiver.requests()
    assert json.loads(request.body)["header"]["event_type"] == "contact.user.deleted_v3"
    assert "x-lark-signature" not in request.headers


@pytest.mark.parametrize("tamper", ["signature", "token", "encrypt_key"])
def test_tampered_feishu_push_is_refused_by_a_careful_webhook(
    cloud: LocalCloud, control: ControlClient, receiver: WebhookReceiver, tamper: str
) -> None:
    receiver.behaviour = hr_receivers.feishu_behaviour(feishu_app(cloud))
    delivery = control.feishu_push(
        "contact.user.created_v3", FEISHU_USER, url=receiver.url, tamper=tamper, retry_delays=[]
    )
    assert (delivery["delivered"], reasons(delivery)) == (False, ["HTTP 401"])
    assert receiver.requests()[0].refused == {"encrypt_key": "decrypt"}.get(tamper, tamper)


def test_feishu_default_retries_follow_its_documented_schedule_in_service_time(
    cloud: LocalCloud, control: ControlClient, receiver: WebhookReceiver
) -> None:
    receiver.behaviour = hr_receivers.answering(500)
    delivery = control.feishu_push("contact.user.created_v3", FEISHU_USER, url=receiver.url)
    assert (delivery["delivered"], delivery["pending_retries"]) == (False, 4)
    assert 14 < delivery["next_retry_in_s"] <= 15

    def attempts_made(count: int) -> bool:
        return len(control.delivery(delivery["delivery_id"])["attempts"]) == count

    for made, (step, pending) in enumerate(((15, 3), (300, 2), (3600, 1), (21600, 0)), start=2):
        control.advance_clock(step)
        wait_for(functools.partial(attempts_made, made))
        assert control.delivery(delivery["delivery_id"])["pending_retries"] == pending
    final = control.delivery(delivery["delivery_id"])
    assert (final["delivered"], final["done"], len(final["attempts"])) == (False, True, 5)
    times = [a["at_ms"] for a in final["attempts"]]
    gaps = [round((later - earlier) / 1000) for earlier, later in itertools.pairwise(times)]
    assert gaps == [15, 300, 3600, 21600]


def test_feishu_event_slower_than_three_seconds_is_not_delivered(
    cloud: LocalCloud, control: ControlClient, receiver: WebhookReceiver
) -> None:
    receiver.behaviour = hr_receivers.feishu_behaviour(feishu_app(cloud), delay=3.3)
    delivery = control.feishu_push("contact.user.created_v3", FEISHU_USER, url=receiver.url, retry_delays=[])
    assert reasons(delivery) == ["no answer within 3000 ms"]


@pytest.mark.parametrize("encrypt", [True, False])
def test_feishu_url_verification_succeeds_when_the_challenge_comes_back(
    cloud: LocalCloud, control: ControlClient, receiver: WebhookReceiver, encrypt: bool
) -> None:
    receiver.behaviour = hr_receivers.feishu_behaviour(feishu_app(cloud, require_encryption=encrypt))
    delivery = control.feishu_url_verification(encrypt=encrypt, url=receiver.url)
    assert (delivery["delivered"], delivery["event_type"]) == (True, "url_verification")
    plaintext = receiver.requests()[0].plaintext
    assert set(plaintext) == {"challenge", "token", "type"}


def test_feishu_url_verification_with_a_wrong_challenge_fails(
    cloud: LocalCloud, control: ControlClient, receiver: WebhookReceiver
) -> None:
    receiver.behaviour = hr_receivers.feishu_behaviour(feishu_app(cloud), challenge=lambda c: c + "x")
    delivery = control.feishu_url_verification(url=receiver.url)
    assert reasons(delivery) == ["reply's challenge is not the one sent"]


def test_feishu_url_verification_answered_after_one_second_fails(
    cloud: LocalCloud, control: ControlClient, receiver: WebhookReceiver
) -> None:
    receiver.behaviour = hr_receivers.feishu_behaviour(feishu_app(cloud), delay=1.3)
    delivery = control.feishu_url_verification(url=receiver.url)
    assert reasons(delivery) == ["no answer within 1000 ms"]


# Deliveries, privacy, reset, where pushes go


def test_deliveries_never_show_a_mobile_unless_the_plaintext_is_asked_for(
    cloud: LocalCloud, control: ControlClient, receiver: WebhookReceiver
) -> None:
    receiver.behaviour = hr_receivers.feishu_behaviour(feishu_app(cloud))
    delivery = control.feishu_push("contact.user.created_v3", FEISHU_USER, url=receiver.url)
    assert "plaintext" not in delivery
    assert delivery["user"] == {k: FEISHU_USER[k] for k in ("user_id", "open_id", "union_id")}
    for shown in (delivery, control.deliveries(), control.delivery(delivery["delivery_id"]), control.state()):
        assert "13900001234" not in json.dumps(shown, ensure_ascii=False)
    detailed = control.delivery(delivery["delivery_id"], show_plaintext=True)
    assert json.loads(detailed["plaintext"])["event"]["object"]["mobile"] == "+8613900001234"
    shown_once = control.feishu_push(
        "contact.user.created_v3", FEISHU_USER, url=receiver.url, show_plaintext=True, event_id="e2"
    )
    assert "13900001234" in shown_once["plaintext"]


def test_reset_forgets_deliveries_and_stops_their_retries(
    cloud: LocalCloud, control: ControlClient, receiver: WebhookReceiver
) -> None:
    receiver.behaviour = hr_receivers.answering(500)
    control.dingtalk_push("user_add_org", ["u1"], url=receiver.url, retry_delays=[60])
    control.reset()
    assert control.deliveries() == []
    control.advance_clock(120)
    time.sleep(0.3)
    assert len(receiver.requests()) == 1


def test_push_to_a_non_loopback_url_is_refused(control: ControlClient) -> None:
    with pytest.raises(ControlPlaneError) as raised:
        control.dingtalk_push("user_add_org", ["u1"], url="http://192.0.2.10/hr/dingtalk")
    assert raised.value.status == 400
    assert "loopback" in raised.value.detail


def test_push_without_url_and_without_a_local_runtime_says_so(control: ControlClient) -> None:
    with pytest.raises(ControlPlaneError) as raised:
        control.feishu_push("contact.user.created_v3", FEISHU_USER)
    assert raised.value.status == 409


class _Runtime:
    """Just enough of a local FC runtime: where its webhook listens."""

    def __init__(self, webhook: str) -> None:
        self._urls = {"webhook": webhook}

    @property
    def instances(self) -> Mapping[str, object]:
        return {"webhook": object()}

    @property
    def http_urls(self) -> Mapping[str, str]:
        return self._urls

    def invoke(self, resource: str, event: bytes) -> object:
        raise NotImplementedError

    def fire_timer(self, resource: str, payload: str = "") -> object:
        raise NotImplementedError

    def kill_instance(self, resource: str) -> bool:
        return False


def test_push_without_url_goes_to_the_local_runtimes_webhook(
    cloud: LocalCloud, control: ControlClient, receiver: WebhookReceiver
) -> None:
    receiver.behaviour = hr_receivers.dingtalk_behaviour(dingtalk_app(cloud))
    cloud.functions = _Runtime(receiver.url)
    try:
        assert control.dingtalk_push("user_add_org", ["u1"])["url"] == receiver.url + "/hr/dingtalk"
        receiver.behaviour = hr_receivers.feishu_behaviour(feishu_app(cloud))
        assert control.feishu_push("contact.user.created_v3", FEISHU_USER)["delivered"] is True
    finally:
        cloud.functions = None
    assert [r.path for r in receiver.requests()] == ["/hr/dingtalk", "/hr/feishu"]


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"event_type": "user_add_org"}, "user_ids"),
        ({"event_type": "org_dept_create", "user_ids": ["u1"]}, "event_type"),
        ({"event_type": "user_add_org", "user_ids": ["u1"], "tamper": "everything"}, "tamper"),
        ({"event_type": "user_add_org", "user_ids": ["u1"], "retry_delays": [-1]}, "retry_delays"),
    ],
)
def test_malformed_dingtalk_push_is_refused_naming_the_field(
    cloud: LocalCloud, body: dict[str, Any], detail: str
) -> None:
    with pytest.raises(ControlPlaneError, match=detail):
        ControlClient(cloud.control_url)._call("POST", "/dingtalk/push", {**body, "url": "http://127.0.0.1:9/x"})
