"""Tablestore signatures, STS tokens, error bodies, faults and the call log, through the SDK and raw HTTP."""

from __future__ import annotations

import http.client
import sys
from typing import Any
from urllib.parse import urlsplit

import pytest
import tablestore.decoder
import tablestore.encoder
import urllib3.exceptions
from tablestore import (
    CapacityUnit,
    Condition,
    OTSServiceError,
    ReservedThroughput,
    Row,
    RowExistenceExpectation,
    TableMeta,
    TableOptions,
)

from localcloud import LocalCloud
from localcloud.credentials import Credential
from localcloud.faults import FaultRule
from localcloud.tablestore.errors import OtsError
from localcloud.tablestore.protobuf import decode
from tests.support.tablestore_clients import ots_client


def failure(call: Any) -> OTSServiceError:
    with pytest.raises(OTSServiceError) as error:
        call()
    return error.value


@pytest.mark.skipif(sys.version_info[:2] != (3, 12), reason="the SDK's C++ codec is built for CPython 3.12 only")
def test_the_sdks_native_codec_decodes_the_answers_on_python_312() -> None:
    """What makes the row tests meaningful on 3.12: the C++ codec that rejects a response lacking a field."""
    assert tablestore.encoder.NATIVE_ENCODER_AVAILABLE
    assert tablestore.decoder.NATIVE_DECODER_AVAILABLE


def test_every_error_row_has_a_source_and_fills_its_placeholders() -> None:
    for row in OtsError:
        error = row.error(name="n", date="d", operation="o", detail="x", instance="i")
        assert "{" not in error.message, row.name
        assert row.value.source, row.name
        assert row.value.code.startswith("OTS"), row.name


@pytest.mark.parametrize("v4", [False, True])
def test_wrong_secret_is_403_signature_mismatch(cloud: LocalCloud, v4: bool) -> None:
    error = failure(ots_client(cloud, v4=v4, access_key_secret="wrong").list_table)
    assert (error.get_http_status(), error.get_error_code(), error.get_error_message()) == (
        403,
        "OTSAuthFailed",
        "Signature mismatch.",
    )


def test_sts_token_must_match_and_unknown_keys_and_instances_are_refused(cloud: LocalCloud) -> None:
    assert failure(ots_client(cloud, sts_token="stale").list_table).get_error_code() == "OTSAuthFailed"
    assert failure(ots_client(cloud, sts_token=None).list_table).get_error_code() == "OTSAuthFailed"
    assert failure(ots_client(cloud, access_key_id="nobody").list_table).get_error_code() == "OTSAuthFailed"
    assert failure(ots_client(cloud, instance_name="other").list_table).get_error_code() == "OTSAuthFailed"


def test_a_permanent_access_key_and_ram_permissions(cloud: LocalCloud) -> None:
    cloud.credentials.put(Credential("LTAIreader", "secret", allow=["ots:ListTable"]))
    assert ots_client(cloud, access_key_id="LTAIreader", access_key_secret="secret", sts_token=None).list_table() == ()
    reader = ots_client(cloud, access_key_id="LTAIreader", access_key_secret="secret", sts_token=None)
    error = failure(lambda: reader.describe_table("t"))
    assert (error.get_http_status(), error.get_error_code()) == (403, "OTSNoPermissionAccess")


def test_unsigned_request_gets_a_protobuf_error_body_and_x_ots_headers(cloud: LocalCloud) -> None:
    url = urlsplit(cloud.tablestore_endpoint)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=5)
    connection.request("POST", "/ListTable", body=b"")
    answer = connection.getresponse()
    body = answer.read()
    headers = {k.lower(): v for k, v in answer.getheaders()}
    assert answer.status == 400
    error = decode(body)
    assert (error.text(1), error.text(2)) == ("OTSParameterInvalid", "Missing header: x-ots-date.")
    assert headers["x-ots-contenttype"] == "protocol buffer"
    assert {"x-ots-date", "x-ots-requestid", "x-ots-contentmd5"} <= set(headers)
    connection.request("GET", "/ListTable")
    answer = connection.getresponse()
    assert answer.status == 405
    assert decode(answer.read()).text(1) == "OTSMethodNotAllowed"
    connection.request("POST", "/Frobnicate", body=b"")
    answer = connection.getresponse()
    assert decode(answer.read()).text(2) == "Unsupported operation: Frobnicate."
    connection.close()


def test_injected_fault_reaches_the_sdk_as_a_signed_service_error(cloud: LocalCloud) -> None:
    cloud.faults.add(
        FaultRule(kind="error", service="tablestore", action="GetRow", status=503, code="OTSServerBusy", count=1)
    )
    client = ots_client(cloud)
    error = failure(lambda: client.get_row("t", [("pk", "a")]))
    assert (error.get_http_status(), error.get_error_code()) == (503, "OTSServerBusy")
    assert failure(lambda: client.get_row("t", [("pk", "a")])).get_error_code() == "OTSObjectNotExist"
    calls = cloud.calls.query(service="tablestore")
    assert [(c["action"], c["status"], c["code"]) for c in calls] == [
        ("GetRow", 503, "OTSServerBusy"),
        ("GetRow", 404, "OTSObjectNotExist"),
    ]
    assert calls[1]["params"] == {"instance": cloud.config.tablestore_instance, "table": "t"}
    assert all(c["request_id"] for c in calls)


def test_a_write_whose_answer_is_lost_still_took_effect(cloud: LocalCloud) -> None:
    client = ots_client(cloud)
    client.create_table(TableMeta("t", [("pk", "STRING")]), TableOptions(), ReservedThroughput(CapacityUnit(0, 0)))
    cloud.faults.add(FaultRule(kind="drop_after", service="tablestore", action="PutRow", count=1))
    create_only = Condition(RowExistenceExpectation.EXPECT_NOT_EXIST)
    with pytest.raises(urllib3.exceptions.ProtocolError):  # the SDK neither resends a POST nor wraps the error
        client.put_row("t", Row([("pk", "a")], [("v", 1)]), create_only)
    error = failure(lambda: client.put_row("t", Row([("pk", "a")], [("v", 1)]), create_only))
    assert error.get_error_code() == "OTSConditionCheckFail"  # the retry finds the first write applied
    assert [c["fault"] for c in cloud.calls.query(service="tablestore", action="PutRow")] == ["drop_after", ""]
