"""DingTalk's part of the control plane: the organisation's people, and DingTalk's pushes to the app's webhook.

People come and go in DingTalk's admin console, not through the app's API, so this is where a test makes them:
`POST /dingtalk/users` adds or replaces one, `DELETE /dingtalk/users/{userid}` is the person leaving (user/get then
answers 60121), the seed section `dingtalk_users` adds several. `POST /dingtalk/push` plays DingTalk pushing an
address-book event (or the `check_url` handshake); `tamper` makes the faulty variants a webhook must refuse.
"""

from __future__ import annotations

from collections.abc import Mapping

from localcloud.clock import Clock
from localcloud.control.router import ControlApi, ControlError, ControlRequest, route
from localcloud.dingtalk import push
from localcloud.dingtalk.models import DingTalkBackend, user_from
from localcloud.hrpush.control import DeliveriesControl, WebhookUrl, choice, push_options
from localcloud.hrpush.delivery import Deliverer

WEBHOOK_PATH = "/hr/dingtalk"


class DingTalkControl:
    def __init__(
        self,
        backend: DingTalkBackend,
        app: push.DingTalkApp,
        deliverer: Deliverer,
        clock: Clock,
        webhook: WebhookUrl,
    ) -> None:
        self.backend = backend
        self.app = app
        self.deliveries = DeliveriesControl(deliverer)
        self.deliverer = deliverer
        self.clock = clock
        self.webhook = webhook

    def api(self) -> ControlApi:
        return ControlApi(
            routes=[
                route("GET", "/state/dingtalk", self.state),
                route("POST", "/dingtalk/users", self.put_user),
                route("DELETE", r"/dingtalk/users/(?P<userid>[^/]+)", self.remove_user),
                route("POST", "/dingtalk/push", self.push),
            ],
            state={"dingtalk": self.backend.snapshot},
            seed={"dingtalk_users": self.seed_user},
        )

    def state(self, call: ControlRequest) -> object:
        return self.backend.snapshot()

    def seed_user(self, item: Mapping[str, object]) -> None:
        try:
            self.backend.put_user(user_from(item))
        except ValueError as error:
            raise ControlError(400, str(error)) from None

    def put_user(self, call: ControlRequest) -> object:
        body = call.body()
        self.seed_user(body)
        user = self.backend.get_user(str(body["userid"]))
        return user.public() if user else {}

    def remove_user(self, call: ControlRequest) -> object:
        userid = call.params["userid"]
        if not self.backend.remove_user(userid):
            raise ControlError(404, f"userid: {userid} is not in the organisation")
        return {"removed": userid}

    def push(self, call: ControlRequest) -> object:
        """`{"event_type", "user_ids", "event_id"?, "casing"?, "query_names"?, "url"?, "retry_delays"?, "wait"?,
        "tamper"?, "diff_info"?, "show_plaintext"?}`; answers the delivery after its first attempt."""
        body = call.body()
        event_type = choice(body, "event_type", push.EVENT_TYPES, None)
        if event_type is None:
            raise ControlError(400, "event_type: required")
        handshake = event_type == "check_url"
        user_ids = body.get("user_ids", [])
        if not isinstance(user_ids, list) or not all(isinstance(u, str) and u for u in user_ids):
            raise ControlError(400, "user_ids: must be a list of userids")
        if not handshake and not user_ids:
            raise ControlError(400, "user_ids: an address-book event names at least one person")
        event_id = body.get("event_id")
        if event_id is not None and (not isinstance(event_id, str) or not event_id):
            raise ControlError(400, "event_id: must be a non-empty string")
        casing = choice(body, "casing", ("camel", "pascal"), "camel")
        query_names = choice(body, "query_names", ("signature", "msg_signature"), "signature")
        tamper = choice(body, "tamper", push.TAMPERS, None)
        diff_info = body.get("diff_info")
        if diff_info is not None and not isinstance(diff_info, dict):
            raise ControlError(400, "diff_info: must be an object")
        defaults = () if handshake else push.DEFAULT_RETRY_DELAYS
        options = push_options(body, defaults, self.webhook, WEBHOOK_PATH)
        event_id = event_id or push.new_event_id()
        message = push.plaintext(
            event_type,
            list(user_ids),
            event_id,
            "pascal" if casing == "pascal" else "camel",
            self.clock.now_ms(),
            self.app.corp_id,
            diff_info,
        )
        if not handshake:
            message = self.backend.remember_event(event_id, message)
        summary: dict[str, object] = {
            "user_ids": list(user_ids),
            "casing": casing,
            "query_names": query_names,
            "tamper": tamper,
        }
        delivery = self.deliverer.push(
            push.build_push(
                self.app,
                options.url,
                event_type,
                None if handshake else event_id,
                message,
                query_names="msg_signature" if query_names == "msg_signature" else "signature",
                tamper=tamper,
                retry_delays=options.retry_delays,
                summary=summary,
            ),
            wait=options.wait,
        )
        return self.deliveries.push(delivery, options)
