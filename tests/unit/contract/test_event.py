from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.contract.event import ContractError, HrEvent, parse_event
from shared.contract.mobile import REVEAL_MOBILE
from shared.contract.schema import SCHEMA_PATH, schema_text

EVENTS = Path(__file__).resolve().parents[3] / "events" / "hr"
MOBILE = "13812345678"
DELETE = object()

BASE: dict[str, object] = json.loads((EVENTS / "hired-explicit-roles.json").read_text(encoding="utf-8"))
VALID_SAMPLES = [
    "hired-explicit-roles.json",
    "hired-mapping-only.json",
    "updated.json",
    "updated-moved.json",
    "updated-stale.json",
    "left.json",
    "rehired.json",
]

RFC3339 = "must be an RFC 3339 date-time with a UTC offset, e.g. 2025-03-01T09:00:00+08:00"
UID_NUMBER = "must be a string of digits (JSON numbers lose precision)"
VERSION_1 = "must be 1, the only version of this contract this code reads"
EVENT_TYPE = "must be one of: employee.hired, employee.updated, employee.left"
ROLE_CHOICES = "must be one of: USER, DBA, ADMIN, SECURITY_ADMIN"
NOT_DIGITS = "must be a string of 1 to 32 digits"
ONLY_DIGITS = "may contain only digits, spaces, dashes, dots and parentheses after the country prefix"
MOBILE_PREFIX = 'must start with "+" or "00" and a country code, or be a valid national number of region CN'


def changed(changes: dict[str, object]) -> dict[str, object]:
    """BASE with dotted paths set to new values, or removed when the value is DELETE."""
    document = copy.deepcopy(BASE)
    for path, value in changes.items():
        *parents, last = path.split(".")
        node: dict[str, object] = document
        for key in parents:
            child = node[key]
            assert isinstance(child, dict)
            node = child
        if value is DELETE:
            del node[last]
        else:
            node[last] = value
    return document


def problems_of(raw: bytes | str | dict[str, object]) -> list[tuple[str, str]]:
    with pytest.raises(ContractError) as caught:
        parse_event(raw)
    return [(problem.field, problem.reason) for problem in caught.value.problems]


@pytest.mark.parametrize("name", VALID_SAMPLES)
def test_valid_samples_parse_from_bytes_text_and_dict_alike(name: str) -> None:
    raw = (EVENTS / name).read_bytes()
    event = parse_event(raw)
    assert event == parse_event(raw.decode("utf-8")) == parse_event(json.loads(raw))
    assert event.schema_version == 1
    assert event.occurred_at.utcoffset() is not None


def test_sample_with_explicit_settings_keeps_them() -> None:
    event = parse_event((EVENTS / "hired-explicit-roles.json").read_bytes())
    assert event.employee.uid == "2000000000001"
    assert event.employee.dms is not None
    assert event.employee.dms.roles == ["USER", "DBA"]
    assert event.employee.dms.tenant_id == 10001
    assert event.employee.dms.workspace_role == "ADMIN"


def test_roles_and_workspace_role_are_accepted_in_any_case_and_upper_cased() -> None:
    event = parse_event(changed({"employee.dms.roles": ["user", "Dba"], "employee.dms.workspace_role": "member"}))
    assert event.employee.dms is not None
    assert event.employee.dms.roles == ["USER", "DBA"]
    assert event.employee.dms.workspace_role == "MEMBER"


def test_text_loses_control_characters_and_blank_department_counts_as_absent() -> None:
    event = parse_event(
        changed({"employee.nickname": " \u200bWang\x07 Fang\t", "employee.department": " \x00 ", "source": " hr "})
    )
    assert event.employee.nickname == "Wang Fang"
    assert event.employee.department is None
    assert event.source == "hr"


def test_negative_tenant_id_as_in_the_dms_docs_is_accepted() -> None:
    event = parse_event(changed({"employee.dms.tenant_id": -1}))
    assert event.employee.dms is not None
    assert event.employee.dms.tenant_id == -1


BAD_EVENTS: list[tuple[str, dict[str, object], list[tuple[str, str]]]] = [
    (
        "uid-as-number",
        {"employee.uid": 2000000000000001},
        [("employee.uid", UID_NUMBER)],
    ),
    (
        "uid-as-float",
        {"employee.uid": 2.0e12},
        [("employee.uid", UID_NUMBER)],
    ),
    ("uid-with-letters", {"employee.uid": "20000000000a1"}, [("employee.uid", NOT_DIGITS)]),
    ("uid-too-long", {"employee.uid": "1" * 33}, [("employee.uid", NOT_DIGITS)]),
    ("uid-empty", {"employee.uid": ""}, [("employee.uid", NOT_DIGITS)]),
    ("missing-uid", {"employee.uid": DELETE}, [("employee.uid", "is required")]),
    ("missing-employee", {"employee": DELETE}, [("employee", "is required")]),
    ("employee-not-object", {"employee": "Wang Fang"}, [("employee", "must be an object")]),
    ("extra-top-level-field", {"priority": "high"}, [("priority", "is not allowed")]),
    ("extra-employee-field", {"employee.email": "x@example.com"}, [("employee.email", "is not allowed")]),
    ("unknown-type", {"type": "employee.fired"}, [("type", EVENT_TYPE)]),
    ("type-in-other-case", {"type": "EMPLOYEE.HIRED"}, [("type", EVENT_TYPE)]),
    (
        "schema-version-2",
        {"schema_version": 2},
        [("schema_version", VERSION_1)],
    ),
    (
        "schema-version-as-text",
        {"schema_version": "1"},
        [("schema_version", VERSION_1)],
    ),
    (
        "schema-version-true",
        {"schema_version": True},
        [("schema_version", VERSION_1)],
    ),
    (
        "event-id-with-space",
        {"event_id": "hr export 42"},
        [("event_id", "may contain only ASCII letters, digits and . _ : -")],
    ),
    ("event-id-empty", {"event_id": ""}, [("event_id", "must not be empty")]),
    ("event-id-too-long", {"event_id": "e" * 129}, [("event_id", "must be at most 128 characters")]),
    ("source-too-long", {"source": "s" * 65}, [("source", "must be at most 64 characters")]),
    ("correlation-id-empty", {"correlation_id": ""}, [("correlation_id", "must not be empty")]),
    (
        "occurred-at-before-year-one-in-utc",
        {"occurred_at": "0001-01-01T00:01:01+01:00"},
        [("occurred_at", "must lie between years 1 and 9999 once converted to UTC")],
    ),
    (
        "occurred-at-after-year-9999-in-utc",
        {"occurred_at": "9999-12-31T23:30:00-01:00"},
        [("occurred_at", "must lie between years 1 and 9999 once converted to UTC")],
    ),
    (
        "naive-occurred-at",
        {"occurred_at": "2025-03-03T09:30:00"},
        [("occurred_at", "must include a UTC offset, e.g. Z or +08:00")],
    ),
    ("date-only-occurred-at", {"occurred_at": "2025-03-03"}, [("occurred_at", RFC3339)]),
    ("occurred-at-as-epoch", {"occurred_at": 1740965400}, [("occurred_at", RFC3339)]),
    (
        "occurred-at-impossible-date",
        {"occurred_at": "2025-02-30T09:30:00+08:00"},
        [("occurred_at", RFC3339)],
    ),
    ("role-not-in-the-four", {"employee.dms.roles": ["USER", "SUPERUSER"]}, [("employee.dms.roles.1", ROLE_CHOICES)]),
    ("role-not-a-string", {"employee.dms.roles": [1]}, [("employee.dms.roles.0", ROLE_CHOICES)]),
    ("roles-comma-joined", {"employee.dms.roles": "USER,DBA"}, [("employee.dms.roles", "must be a list")]),
    ("roles-empty", {"employee.dms.roles": []}, [("employee.dms.roles", "must have at least 1 item")]),
    (
        "duplicate-roles",
        {"employee.dms.roles": ["DBA", "USER", "dba"]},
        [("employee.dms.roles", "must list each role once (DBA is repeated)")],
    ),
    (
        "nickname-of-only-control-characters",
        {"employee.nickname": "\x07\u200b\t \x1b"},
        [("employee.nickname", "must have visible characters (control characters and surrounding spaces are removed)")],
    ),
    ("nickname-empty", {"employee.nickname": ""}, [("employee.nickname", "must not be empty")]),
    ("nickname-too-long", {"employee.nickname": "W" * 65}, [("employee.nickname", "must be at most 64 characters")]),
    ("nickname-as-number", {"employee.nickname": 42}, [("employee.nickname", "must be a string")]),
    ("nickname-null-on-a-hire", {"employee.nickname": None}, [("employee.nickname", "must be a string")]),
    ("missing-nickname-on-a-hire", {"employee.nickname": DELETE}, [("employee.nickname", "is required")]),
    (
        "department-too-long",
        {"employee.department": "D" * 129},
        [("employee.department", "must be at most 128 characters")],
    ),
    ("mobile-too-short", {"employee.mobile": "12345"}, [("employee.mobile", MOBILE_PREFIX)]),
    (
        "mobile-with-letters",
        {"employee.mobile": "+86 138 1234 567x"},
        [("employee.mobile", ONLY_DIGITS)],
    ),
    (
        "mobile-too-long",
        {"employee.mobile": "+86 138 1234 5678 9012"},
        [("employee.mobile", "must have 8 to 15 digits including the country code (E.164)")],
    ),
    ("mobile-as-number", {"employee.mobile": 13812345678}, [("employee.mobile", "must be a string")]),
    (
        "workspace-role-without-workspace-id",
        {"employee.dms.workspace_id": DELETE},
        [("employee.dms.workspace_role", "needs workspace_id: a workspace role means nothing without its workspace")],
    ),
    (
        "workspace-id-not-digits-is-the-only-problem",
        {"employee.dms.workspace_id": "ws-1"},
        [("employee.dms.workspace_id", NOT_DIGITS)],
    ),
    (
        "workspace-id-as-number",
        {"employee.dms.workspace_id": 209230000007291},
        [("employee.dms.workspace_id", UID_NUMBER)],
    ),
    (
        "workspace-role-unknown",
        {"employee.dms.workspace_role": "OWNER"},
        [("employee.dms.workspace_role", "must be one of: ADMIN, MEMBER")],
    ),
    ("tenant-id-as-text", {"employee.dms.tenant_id": "10001"}, [("employee.dms.tenant_id", "must be an integer")]),
    ("tenant-id-as-boolean", {"employee.dms.tenant_id": True}, [("employee.dms.tenant_id", "must be an integer")]),
    (
        "dms-unit-upper-case",
        {"employee.dms.dms_unit": "CN-HANGZHOU"},
        [
            (
                "employee.dms.dms_unit",
                "must be a DMS unit such as cn-hangzhou: 2 to 32 lower-case letters, digits or dashes",
            )
        ],
    ),
    ("dms-extra-setting", {"employee.dms.role_names": "USER"}, [("employee.dms.role_names", "is not allowed")]),
    (
        "several-problems-are-all-listed-in-document-order",
        {"event_id": DELETE, "type": "hired", "employee.uid": 7, "employee.dms.roles": ["ROOT"], "extra": 1},
        [
            ("event_id", "is required"),
            ("type", EVENT_TYPE),
            ("employee.uid", UID_NUMBER),
            ("employee.dms.roles.0", ROLE_CHOICES),
            ("extra", "is not allowed"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("changes", "expected"), [case[1:] for case in BAD_EVENTS], ids=[case[0] for case in BAD_EVENTS]
)
def test_bad_event_gives_exactly_these_problems(changes: dict[str, object], expected: list[tuple[str, str]]) -> None:
    assert problems_of(changed(changes)) == expected
    assert problems_of(json.dumps(changed(changes))) == expected


BAD_DOCUMENTS: list[tuple[str, bytes | str, list[tuple[str, str]]]] = [
    (
        "invalid-json",
        '{"schema_version": 1,',
        [("", "is not valid JSON: Expecting property name enclosed in double quotes at line 1 column 22")],
    ),
    ("empty-body", b"", [("", "is not valid JSON: Expecting value at line 1 column 1")]),
    ("body-is-a-list", "[]", [("", "must be a JSON object")]),
    ("body-is-null", b"null", [("", "must be a JSON object")]),
    ("body-is-a-string", '"employee.hired"', [("", "must be a JSON object")]),
    ("not-utf8", b'{"source": "\xff"}', [("", "is not UTF-8 text: byte 12 cannot be decoded")]),
    ("nan", '{"schema_version": NaN}', [("", "is not valid JSON: NaN is not a JSON number")]),
    (
        "repeated-key",
        '{"employee": {"uid": "1", "uid": "2"}}',
        [("", 'is not valid JSON: the key "uid" appears twice in one object')],
    ),
]


@pytest.mark.parametrize(
    ("raw", "expected"), [case[1:] for case in BAD_DOCUMENTS], ids=[case[0] for case in BAD_DOCUMENTS]
)
def test_bad_document_gives_one_whole_document_problem(raw: bytes | str, expected: list[tuple[str, str]]) -> None:
    assert problems_of(raw) == expected


INVALID_SAMPLES: list[tuple[str, list[tuple[str, str]]]] = [
    ("invalid-uid-number.json", [("employee.uid", UID_NUMBER)]),
    (
        "invalid-missing-fields.json",
        [
            ("event_id", "is required"),
            ("occurred_at", "is required"),
            ("employee.uid", "is required"),
            ("employee.nickname", "is required"),
        ],
    ),
    ("invalid-role.json", [("employee.dms.roles.1", ROLE_CHOICES)]),
    ("invalid-naive-time.json", [("occurred_at", "must include a UTC offset, e.g. Z or +08:00")]),
    ("invalid-left-without-uid.json", [("employee.uid", "is required")]),
    (
        "invalid-many-problems.json",
        [
            ("schema_version", VERSION_1),
            ("event_id", "may contain only ASCII letters, digits and . _ : -"),
            ("type", EVENT_TYPE),
            ("occurred_at", RFC3339),
            ("employee.uid", NOT_DIGITS),
            ("employee.mobile", MOBILE_PREFIX),
            ("employee.dms.roles", "must list each role once (DBA is repeated)"),
            ("employee.dms.workspace_role", "needs workspace_id: a workspace role means nothing without its workspace"),
            ("legacy_code", "is not allowed"),
        ],
    ),
]


@pytest.mark.parametrize(("name", "expected"), INVALID_SAMPLES, ids=[case[0] for case in INVALID_SAMPLES])
def test_invalid_sample_gives_exactly_these_problems(name: str, expected: list[tuple[str, str]]) -> None:
    assert problems_of((EVENTS / name).read_bytes()) == expected


def test_every_sample_is_covered_by_a_test() -> None:
    covered = set(VALID_SAMPLES) | {n for n, _ in INVALID_SAMPLES}
    assert {path.name for path in EVENTS.glob("*.json")} == covered


def test_contract_error_lists_problems_as_dicts_and_in_its_message() -> None:
    with pytest.raises(ContractError) as caught:
        parse_event(changed({"employee.uid": 1, "extra": True}))
    assert caught.value.to_dict() == {
        "problems": [
            {"field": "employee.uid", "reason": UID_NUMBER},
            {"field": "extra", "reason": "is not allowed"},
        ]
    }
    assert str(caught.value) == (
        "employee.uid: must be a string of digits (JSON numbers lose precision); extra: is not allowed"
    )


def _leaks(text: str) -> bool:
    return MOBILE in text or "12345678" in text or "1381234" in text


def test_parsed_event_never_prints_the_mobile() -> None:
    event = parse_event(changed({"employee.mobile": MOBILE}))
    mobile = event.employee.mobile
    assert mobile is not None
    printed = [
        repr(event),
        str(event),
        repr(event.employee),
        f"{mobile}",
        f"{mobile:>20}",
        "%s" % mobile,  # noqa: UP031
        str(mobile),
        event.model_dump_json(),
        json.dumps(event.model_dump(), default=str),
        json.dumps(event.model_dump(mode="json")),
    ]
    assert not [text for text in printed if _leaks(text)]
    assert str(mobile) == "+86 138******78"


def test_mobile_is_revealed_only_on_request() -> None:
    event = parse_event(changed({"employee.mobile": "138-1234-5678"}))
    assert event.employee.mobile is not None
    assert event.employee.mobile.reveal() == "+8613812345678"
    wire = event.model_dump_json(context=REVEAL_MOBILE)
    assert "+8613812345678" in wire
    assert parse_event(wire) == event


def test_problems_and_validation_errors_never_echo_the_mobile() -> None:
    document = changed({"employee.mobile": "+86 138 1234 5678 9", "employee.uid": "x", "event_id": DELETE})
    with pytest.raises(ContractError) as caught:
        parse_event(document)
    assert not _leaks(str(caught.value))
    assert not _leaks(json.dumps(caught.value.to_dict()))
    with pytest.raises(ValidationError) as direct:
        HrEvent.model_validate(changed({"employee.mobile": MOBILE, "employee.uid": 1}))
    assert not _leaks(str(direct.value))


def test_committed_json_schema_matches_the_models() -> None:
    committed = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
    assert committed == schema_text(), (
        f"{SCHEMA_PATH.relative_to(SCHEMA_PATH.parents[2])} is out of date with shared/contract/; "
        "regenerate it with: .venv/bin/python -m shared.contract --export-schema"
    )


def test_schema_export_writes_to_the_given_path(tmp_path: Path) -> None:
    from shared.contract.schema import main

    target = tmp_path / "schema.json"
    assert main(["--export-schema", str(target)]) == 0
    schema = json.loads(target.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"schema_version", "event_id", "source", "type", "occurred_at", "employee"}
