"""The control-plane side of platform pushes: the options every push route takes, and the deliveries routes.

Without a `url`, a push goes to the local FC runtime's webhook (`localcloud dev`): the HTTP trigger of the s.yaml
resource `webhook` plus the platform's path. `GET /hr/deliveries` lists every push since the last reset, newest
last; `GET /hr/deliveries/{id}?show_plaintext=true` adds the event as it was encrypted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from localcloud.control.router import ControlApi, ControlError, ControlRequest, route
from localcloud.hrpush.delivery import Deliverer, Delivery

WEBHOOK_RESOURCE = "webhook"
WebhookUrl = Callable[[], str | None]
"""The base URL of the local FC runtime's `webhook` HTTP trigger, None when no runtime runs one."""


@dataclass(frozen=True)
class PushOptions:
    url: str
    retry_delays: list[float]
    wait: bool
    show_plaintext: bool


def push_options(
    body: Mapping[str, object], default_delays: tuple[float, ...], webhook: WebhookUrl, path: str
) -> PushOptions:
    url = body.get("url")
    if url is None:
        base = webhook()
        if base is None:
            raise ControlError(
                409, f"url: not given, and no local FC runtime runs a `{WEBHOOK_RESOURCE}` HTTP trigger to push to"
            )
        url = base.rstrip("/") + path
    if not isinstance(url, str):
        raise ControlError(400, "url: must be a string")
    delays = body.get("retry_delays", list(default_delays))
    if not isinstance(delays, list) or not all(
        isinstance(d, (int, float)) and not isinstance(d, bool) and d >= 0 for d in delays
    ):
        raise ControlError(400, "retry_delays: must be a list of seconds (numbers, 0 or more)")
    return PushOptions(
        url=url,
        retry_delays=[float(d) for d in delays],
        wait=_flag(body, "wait"),
        show_plaintext=_flag(body, "show_plaintext"),
    )


def choice(body: Mapping[str, object], name: str, choices: tuple[str, ...], default: str | None) -> str | None:
    value = body.get(name, default)
    if value is None:
        return None
    if value not in choices:
        raise ControlError(400, f"{name}: must be one of {', '.join(choices)}")
    return str(value)


def _flag(body: Mapping[str, object], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise ControlError(400, f"{name}: must be true or false")
    return value


class DeliveriesControl:
    def __init__(self, deliverer: Deliverer) -> None:
        self.deliverer = deliverer

    def api(self) -> ControlApi:
        return ControlApi(
            routes=[
                route("GET", "/hr/deliveries", self.list_deliveries),
                route("GET", r"/hr/deliveries/(?P<delivery_id>[^/]+)", self.get_delivery),
            ],
            state={"hr_deliveries": self.summaries},
        )

    def view(self, delivery: Delivery, show_plaintext: bool = False) -> dict[str, object]:
        return delivery.public(self.deliverer.clock, show_plaintext)

    def summaries(self) -> list[dict[str, object]]:
        return [self.view(d) for d in self.deliverer.all()]

    def list_deliveries(self, call: ControlRequest) -> object:
        return self.summaries()

    def get_delivery(self, call: ControlRequest) -> object:
        delivery = self.deliverer.get(call.params["delivery_id"])
        if delivery is None:
            raise ControlError(404, f"delivery_id: {call.params['delivery_id']} is not known")
        show = call.query().get("show_plaintext", "").lower() in ("1", "true", "yes")
        return self.view(delivery, show)

    def push(self, delivery: Delivery, options: PushOptions) -> dict[str, object]:
        return self.view(delivery, options.show_plaintext)
