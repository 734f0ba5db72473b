"""The webhook's OpenAPI description stays valid, complete, and true to what the code answers.

The e2e schemathesis run checks live answers against it; these checks need no server: the document is valid
OpenAPI 3.1, it describes exactly the routes `shared.webhook.ROUTES` serves, its request body is the HR event
schema file itself (so the two cannot drift apart), and every refusal the webhook writes matches its schema.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, cast, get_args

import jsonschema_rs
import pytest
import schemathesis
import yaml
from schemathesis.core.result import Ok

from shared.contract.problems import Problem
from shared.contract.schema import SCHEMA_PATH
from shared.infra.retry import Deadline
from shared.lifecycle.outcome import MESSAGE_TAGS, Outcome, Status
from shared.lifecycle.steps import StepName, StepResult, StepResultName
from shared.triggers.http import HttpRequest
from shared.webhook.auth import sign
from shared.webhook.routes import MAX_BODY_BYTES, ROUTES, Webhook, WebhookDeps

SPEC_PATH = Path(__file__).resolve().parents[3] / "openapi" / "webhook.v1.yaml"
SPEC: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
SECRET = "unit-test-secret"
EVENT = (SCHEMA_PATH.parents[1] / "hr" / "hired-explicit-roles.json").read_bytes()


def component(kind: str, ref_or_object: dict[str, Any]) -> dict[str, Any]:
    """Follow a local `#/components/<kind>/<name>` reference, if it is one."""
    ref = ref_or_object.get("$ref", "")
    prefix = f"#/components/{kind}/"
    return SPEC["components"][kind][ref.removeprefix(prefix)] if ref.startswith(prefix) else ref_or_object


def validator(schema_name: str) -> jsonschema_rs.Validator:
    """A validator for one component schema, its references resolved within the document's schemas."""
    root = {"$ref": f"#/components/schemas/{schema_name}", "components": {"schemas": SPEC["components"]["schemas"]}}
    return jsonschema_rs.Draft202012Validator(root)


def test_document_is_valid_openapi_3_1_and_every_operation_loads() -> None:
    assert SPEC["openapi"].startswith("3.1.")
    loaded = schemathesis.openapi.from_path(SPEC_PATH)
    loaded.validate()  # against the OpenAPI 3.1 meta-schema; raises with the first error
    operations = list(loaded.get_all_operations())
    assert operations
    assert all(isinstance(result, Ok) for result in operations), [r for r in operations if not isinstance(r, Ok)]


def test_every_component_schema_is_valid_json_schema_2020_12() -> None:
    for name, schema in SPEC["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name


def test_every_route_and_method_the_webhook_serves_is_described_and_nothing_else() -> None:
    described = {
        (path, method.upper()) for path, item in SPEC["paths"].items() for method in item if method in HTTP_METHODS
    }
    served = {(path, method) for path, methods in ROUTES.items() for method in methods}
    assert described == served


@pytest.mark.parametrize("path", ["/events", "/provision"])
def test_request_body_is_the_hr_event_schema_file_itself(path: str) -> None:
    body = component("requestBodies", SPEC["paths"][path]["post"]["requestBody"])
    reference = body["content"]["application/json"]["schema"]["$ref"]
    assert (SPEC_PATH.parent / reference).resolve() == SCHEMA_PATH
    assert body["required"] is True


@pytest.mark.parametrize("path", ["/events", "/provision"])
def test_signed_routes_require_both_signature_headers_and_health_requires_none(path: str) -> None:
    assert SPEC["paths"][path]["post"]["security"] == [{"signature": [], "timestamp": []}]
    schemes = SPEC["components"]["securitySchemes"]
    assert {(s["in"], s["name"]) for s in schemes.values()} == {
        ("header", "X-Signature"),
        ("header", "X-Timestamp"),
        ("query", "signature"),
        ("header", "X-Lark-Signature"),
    }
    assert all(operation["security"] == [] for operation in SPEC["paths"]["/healthz"].values())


def test_every_refusal_is_described_as_problem_details() -> None:
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            for status, answer in operation["responses"].items():
                if int(status) >= 400:
                    content = component("responses", answer)["content"]
                    assert list(content) == ["application/problem+json"], (path, method, status)


def answer_of(method: str, path: str, body: bytes = EVENT, **headers: str) -> dict[str, Any]:
    """The real webhook's answer; these refusals come before it needs a queue or DMS, so it has neither."""
    stamp = str(int(time.time()))
    signed = {"content-type": "application/json", "x-timestamp": stamp, "x-signature": sign(SECRET, stamp, body)}
    signed.update({name.replace("_", "-").lower(): value for name, value in headers.items()})
    request = HttpRequest(method, path, {k: v for k, v in signed.items() if v}, {}, body)
    return Webhook(cast(WebhookDeps, None), secret=SECRET).handle(request, Deadline.after(10))


REFUSALS = {
    "invalid-event": (("POST", "/events", b'{"schema_version": 2}', {}), "400", "/events"),
    "unauthenticated": (("POST", "/events", EVENT, {"x_signature": "sha256=" + "0" * 64}), "401", "/events"),
    "too-large": (("POST", "/provision", b" " * (MAX_BODY_BYTES + 1), {}), "413", "/provision"),
    "compressed": (("POST", "/provision", EVENT, {"content_encoding": "gzip"}), "415", "/provision"),
    "not-json": (("POST", "/events", EVENT, {"content_type": "text/plain"}), "415", "/events"),
}


@pytest.mark.parametrize(("request_", "status", "path"), REFUSALS.values(), ids=REFUSALS.keys())
def test_refusal_the_webhook_writes_matches_its_documented_response(
    request_: tuple[str, str, bytes, dict[str, str]], status: str, path: str
) -> None:
    method, target, body, headers = request_
    answer = answer_of(method, target, body, **headers)
    assert str(answer["statusCode"]) == status
    documented = component("responses", SPEC["paths"][path]["post"]["responses"][status])
    (media_type,) = documented["content"]
    assert answer["headers"]["Content-Type"] == media_type
    schema_name = documented["content"][media_type]["schema"]["$ref"].rsplit("/", 1)[-1]
    validator(schema_name).validate(json.loads(answer["body"]))
    for header in documented.get("headers", {}):
        assert header in answer["headers"]


@pytest.mark.parametrize(
    ("method", "path", "response"),
    [("GET", "/nowhere", "NotFound"), ("GET", "/events", "MethodNotAllowed"), ("POST", "/healthz", "MethodNotAllowed")],
)
def test_answers_outside_any_operation_match_their_documented_responses(method: str, path: str, response: str) -> None:
    answer = answer_of(method, path)
    documented = SPEC["components"]["responses"][response]
    schema_name = documented["content"]["application/problem+json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    validator(schema_name).validate(json.loads(answer["body"]))
    for header in documented.get("headers", {}):
        assert header in answer["headers"]


@pytest.mark.parametrize("status", sorted(MESSAGE_TAGS))
def test_outcome_of_every_status_matches_the_documented_outcome(status: Any) -> None:
    steps = [
        StepResult("get_user", "read", "GetUser", 1, "ok", request_id="R0"),
        StepResult("register_user", "failed", "RegisterUser", 2, "permanent", code="X"),
        StepResult(
            "update_user", "planned", "UpdateUser", parameters={"Uid": "1", "RoleNames": "USER"}, reason="roles"
        ),
    ]
    outcome = Outcome(
        status=status,
        event_id="dingtalk:e1",
        event_source="dingtalk",
        correlation_id="c1",
        event_type="employee.hired",
        uid="2000000000001",
        plan={"roles": ["USER"]},
        steps=steps,
        problems=[Problem("employee.uid", "is required")],
        detail="parked after 3 replays",
        extra={
            "superseded_by": "dingtalk:e2",
            "foreign_memberships": ["209230000007305"],
            "lease": {"acquired_ms": 1, "released_ms": 2},
        },
    )
    validator("Outcome").validate(outcome.to_cloudevent())


def test_every_step_name_and_result_the_code_can_write_is_documented() -> None:
    step = SPEC["components"]["schemas"]["Step"]["properties"]
    assert set(step["step"]["enum"]) == set(get_args(StepName))
    assert set(step["result"]["enum"]) == set(get_args(StepResultName))
    statuses = SPEC["components"]["schemas"]["OutcomeData"]["properties"]["status"]["enum"]
    assert set(statuses) == set(get_args(Status))
