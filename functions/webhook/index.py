"""Webhook function (FC3 HTTP trigger): HR systems POST events here; see shared/webhook/routes.py for the routes."""

from __future__ import annotations

from typing import Any

from shared import wiring
from shared.triggers.http import BadHttpEvent, HttpRequest, problem
from shared.webhook.routes import Webhook


def handler(event: bytes, context: Any) -> dict[str, Any]:
    try:
        request = HttpRequest.from_fc(event)
    except (BadHttpEvent, ValueError) as error:
        return problem(400, "Bad Request", str(error), slug="bad-request")
    return Webhook(wiring.get(context)).handle(request, wiring.deadline(context))
