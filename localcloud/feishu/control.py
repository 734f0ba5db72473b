"""Feishu's part of the control plane: Feishu pushing contact events and its URL handshake to the app's webhook.

Feishu's events carry the whole user, so the caller gives it (`user`, and `old_user` for an update or a deletion)
rather than the local cloud keeping a Feishu organisation. Pushing an event id again repeats the event pushed under
it, as Feishu's retries and duplicates do.
"""

from __future__ import annotations

from localcloud.clock import Clock
from localcloud.control.router import ControlApi, ControlError, ControlRequest, route
from localcloud.feishu import push
from localcloud.feishu.models import FeishuBackend
from localcloud.hrpush.control import DeliveriesControl, WebhookUrl, choice, push_options
from localcloud.hrpush.delivery import Deliverer

WEBHOOK_PATH = "/hr/feishu"
SUMMARY_FIELDS = ("user_id", "open_id", "union_id")
"""What a delivery shows of the user: ids only, never a mobile number or a name."""


class FeishuControl:
    def __init__(
        self,
        backend: FeishuBackend,
        app: push.FeishuApp,
        deliverer: Deliverer,
        clock: Clock,
        webhook: WebhookUrl,
    ) -> None:
        self.backend = backend
        self.app = app
        self.deliverer = deliverer
        self.deliveries = DeliveriesControl(deliverer)
        self.clock = clock
        self.webhook = webhook

    def api(self) -> ControlApi:
        return ControlApi(
            routes=[
                route("POST", "/feishu/push", self.push),
                route("POST", "/feishu/url_verification", self.url_verification),
            ],
            state={"feishu": self.backend.snapshot},
        )

    def push(self, call: ControlRequest) -> object:
        """`{"event_type", "user", "old_user"?, "event_id"?, "encrypt"?, "url"?, "retry_delays"?, "wait"?,
        "tamper"?, "show_plaintext"?}`; answers the delivery after its first attempt."""
        body = call.body()
        event_type = choice(body, "event_type", push.EVENT_TYPES, None)
        if event_type is None:
            raise ControlError(400, "event_type: required")
        user = body.get("user")
        if not isinstance(user, dict):
            raise ControlError(400, "user: required, the UserEvent object Feishu sends")
        old_user = body.get("old_user")
        if old_user is not None and not isinstance(old_user, dict):
            raise ControlError(400, "old_user: must be an object")
        event_id = body.get("event_id")
        if event_id is not None and (not isinstance(event_id, str) or not event_id):
            raise ControlError(400, "event_id: must be a non-empty string")
        encrypt = _encrypt_flag(body)
        tamper = choice(body, "tamper", push.TAMPERS, None)
        if tamper in ("signature", "encrypt_key") and not encrypt:
            raise ControlError(400, f"tamper: {tamper} needs an encrypted push (an unencrypted one is not signed)")
        options = push_options(body, push.DEFAULT_RETRY_DELAYS, self.webhook, WEBHOOK_PATH)
        event_id = event_id or push.new_event_id()
        document = self.backend.remember_event(
            event_id, push.event(self.app, event_type, event_id, self.clock.now_ms(), user, old_user)
        )
        pushed_user = document["event"].get("object", {})
        summary: dict[str, object] = {
            "user": {k: pushed_user[k] for k in SUMMARY_FIELDS if k in pushed_user},
            "encrypted": encrypt,
            "tamper": tamper,
        }
        delivery = self.deliverer.push(
            push.build_event_push(
                self.app,
                options.url,
                document,
                encrypt=encrypt,
                tamper=tamper,
                retry_delays=options.retry_delays,
                summary=summary,
            ),
            wait=options.wait,
        )
        return self.deliveries.push(delivery, options)

    def url_verification(self, call: ControlRequest) -> object:
        """`{"encrypt"?, "url"?, "challenge"?, "show_plaintext"?}`: one attempt, within Feishu's 1 s."""
        body = call.body()
        options = push_options(body, (), self.webhook, WEBHOOK_PATH)
        challenge = body.get("challenge") or push.new_challenge()
        if not isinstance(challenge, str):
            raise ControlError(400, "challenge: must be a string")
        delivery = self.deliverer.push(
            push.build_challenge_push(self.app, options.url, challenge, encrypt=_encrypt_flag(body)), wait=True
        )
        return self.deliveries.push(delivery, options)


def _encrypt_flag(body: dict[str, object]) -> bool:
    value = body.get("encrypt", True)
    if not isinstance(value, bool):
        raise ControlError(400, "encrypt: must be true or false")
    return value
