"""MNS's part of the control plane: its state (`GET /state/mns`) and the queues and topics of a seed."""

from __future__ import annotations

from collections.abc import Mapping

from localcloud.control.router import ControlApi, ControlError, ControlRequest, route, text_field
from localcloud.mns.models import MnsBackend, Subscription


class MnsControl:
    def __init__(self, backend: MnsBackend) -> None:
        self.backend = backend

    def api(self) -> ControlApi:
        return ControlApi(
            routes=[route("GET", "/state/mns", self.state)],
            state={"mns": self.backend.snapshot},
            seed={"queues": self.seed_queue, "topics": self.seed_topic},
        )

    def state(self, call: ControlRequest) -> object:
        return self.backend.snapshot()

    def seed_queue(self, item: Mapping[str, object]) -> None:
        attributes = item.get("attributes", {})
        if not isinstance(attributes, dict):
            raise ControlError(400, "queues[].attributes: must be an object")
        self.backend.create_queue(text_field(item, "name"), {str(k): str(v) for k, v in attributes.items()})

    def seed_topic(self, item: Mapping[str, object]) -> None:
        """A topic and its subscriptions; `"queue": name` subscribes that queue of this account."""
        name = text_field(item, "name")
        self.backend.create_topic(name, None, None)
        subscriptions = item.get("subscriptions", [])
        if not isinstance(subscriptions, list):
            raise ControlError(400, "topics[].subscriptions: must be a list")
        for sub in subscriptions:
            if not isinstance(sub, dict):
                raise ControlError(400, "topics[].subscriptions[]: must be an object")
            endpoint = text_field(sub, "endpoint", required=False)
            queue = text_field(sub, "queue", required=False)
            if queue:
                endpoint = f"acs:mns:{self.backend.region}:{self.backend.account_id}:queues/{queue}"
            self.backend.subscribe(
                name,
                Subscription(
                    name=text_field(sub, "name"),
                    endpoint=endpoint,
                    filter_tag=text_field(sub, "filter_tag", required=False),
                    notify_content_format=text_field(sub, "notify_content_format", required=False, default="XML"),
                ),
            )
