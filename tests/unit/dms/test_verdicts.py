"""Every DMS answer and SDK failure sorted into ok, already, transient or permanent."""

from __future__ import annotations

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException, ThrottlingException
from darabonba.exceptions import RetryError

from shared.config import DmsClientConfig
from shared.dms.verdicts import ExtraCodes, classify_body, classify_exception


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ({"RequestId": "R", "Success": True}, "ok"),
        ({"RequestId": "R", "Success": False, "ErrorCode": "UserExisted", "ErrorMessage": "x"}, "already"),
        ({"Success": False, "ErrorCode": "403", "ErrorMessage": "The specified user already exists."}, "already"),
        ({"Success": True, "ErrorCode": "403", "ErrorMessage": "The specified user already exists."}, "already"),
        ({"Success": False, "ErrorCode": "DMS-DA-40901", "ErrorMessage": "member"}, "already"),
        ({"Success": False, "ErrorCode": "TenantNotExist", "ErrorMessage": "no tenant"}, "permanent"),
        ({"Success": False, "ErrorCode": "DMS-DA-40411", "ErrorMessage": "no workspace"}, "permanent"),
        ({"Success": False, "ErrorCode": "Throttling.User", "ErrorMessage": "slow down"}, "transient"),
        ({"Success": False, "ErrorCode": "InternalError", "ErrorMessage": "oops"}, "transient"),
    ],
)
def test_business_answers_are_classified(body: dict[str, object], kind: str) -> None:
    assert classify_body(body).kind == kind


def test_extra_already_and_transient_codes_come_from_the_configuration() -> None:
    duplicate = {"Success": False, "ErrorCode": "UserDuplicated", "ErrorMessage": "dup"}
    busy = {"Success": False, "ErrorCode": "DMS-Busy", "ErrorMessage": "busy"}
    assert classify_body(duplicate).kind == "permanent"
    config = DmsClientConfig.from_env({"DMS_ALREADY_CODES": "UserDuplicated", "DMS_TRANSIENT_CODES": " DMS-Busy ,"})
    extra = ExtraCodes(config.already_codes, config.transient_codes)
    assert classify_body(duplicate, extra).kind == "already"
    assert classify_body(busy, extra).kind == "transient"


@pytest.mark.parametrize(
    ("error", "kind", "retry_after"),
    [
        (ThrottlingException(status_code=400, code="Throttling.User", message="m", retry_after=300), "transient", 0.3),
        (ClientException(status_code=400, code="Throttling.User", message="m"), "transient", None),
        (ServerException(status_code=503, code="ServiceUnavailable", message="m"), "transient", None),
        (ClientException(status_code=403, code="Forbidden.RAM", message="m", request_id="R"), "permanent", None),
        (ClientException(status_code=403, code="UserExisted", message="m"), "already", None),
        (ClientException(status_code=400, code="InvalidParameter", message="m"), "permanent", None),
        (RetryError("Read timed out"), "transient", None),
        (ConnectionError("refused"), "transient", None),
        (ValueError("a bug"), "permanent", None),
    ],
)
def test_sdk_exceptions_are_classified(error: Exception, kind: str, retry_after: float | None) -> None:
    verdict = classify_exception(error)
    assert (verdict.kind, verdict.retry_after) == (kind, retry_after)
