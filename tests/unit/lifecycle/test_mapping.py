from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.config import Settings
from shared.contract.event import HrEvent, parse_event
from shared.lifecycle.mapping import (
    BUNDLED_MAPPING,
    ENV_VAR,
    MappingError,
    RoleMapping,
    load_mapping,
    main,
    resolve_plan,
)
from shared.lifecycle.plan import Plan

EVENTS = Path(__file__).resolve().parents[3] / "events" / "hr"

MAPPING = RoleMapping.model_validate(
    {
        "version": 1,
        "default": {
            "roles": ["USER"],
            "tenant_id": 10001,
            "workspace": {"id": "100", "role": "MEMBER", "dms_unit": "cn-hangzhou"},
        },
        "rules": [
            {
                "name": "dba",
                "match": {"title_contains": "DBA"},
                "roles": ["USER", "DBA"],
                "workspace": {"id": "200", "role": "ADMIN", "dms_unit": "cn-shanghai"},
            },
            {"name": "finance", "match": {"department": ["Finance", "Treasury"]}, "tenant_id": 20002},
            {"name": "contractors", "match": {"department_prefix": "External"}, "tenant_id": None, "workspace": None},
        ],
    }
)


def event(department: str | None = None, title: str | None = None, **dms: object) -> HrEvent:
    employee: dict[str, object] = {"uid": "2000000000001", "nickname": "Wang Fang", "mobile": "13812345678"}
    if department is not None:
        employee["department"] = department
    if title is not None:
        employee["title"] = title
    if dms:
        employee["dms"] = dms
    return parse_event(
        {
            "schema_version": 1,
            "event_id": "evt-1",
            "source": "test",
            "type": "employee.hired",
            "occurred_at": "2025-03-03T09:30:00+08:00",
            "employee": employee,
        }
    )


def summary(plan: Plan) -> dict[str, object]:
    return {
        "tenant_id": (plan.tenant_id, plan.sources["tenant_id"]),
        "roles": (plan.roles, plan.sources["roles"]),
        "workspace_id": (plan.workspace_id, plan.sources["workspace_id"]),
        "workspace_role": (plan.workspace_role, plan.sources["workspace_role"]),
        "dms_unit": (plan.dms_unit, plan.sources["dms_unit"]),
    }


def test_no_rule_matches_so_everything_comes_from_the_default() -> None:
    plan = resolve_plan(event("Sales", "Account Manager"), MAPPING)
    assert plan.rule is None
    assert summary(plan) == {
        "tenant_id": (10001, "default"),
        "roles": (["USER"], "default"),
        "workspace_id": ("100", "default"),
        "workspace_role": ("MEMBER", "default"),
        "dms_unit": ("cn-hangzhou", "default"),
    }


def test_rule_wins_over_default_for_what_it_sets_only() -> None:
    plan = resolve_plan(event("Platform", "Senior DBA"), MAPPING)
    assert plan.rule == "dba"
    assert summary(plan) == {
        "tenant_id": (10001, "default"),
        "roles": (["USER", "DBA"], "rule:dba"),
        "workspace_id": ("200", "rule:dba"),
        "workspace_role": ("ADMIN", "rule:dba"),
        "dms_unit": ("cn-shanghai", "rule:dba"),
    }
    assert ",".join(plan.roles) == "USER,DBA"


def test_rule_setting_only_the_tenant_keeps_the_default_roles_and_workspace() -> None:
    plan = resolve_plan(event("Treasury"), MAPPING)
    assert summary(plan) == {
        "tenant_id": (20002, "rule:finance"),
        "roles": (["USER"], "default"),
        "workspace_id": ("100", "default"),
        "workspace_role": ("MEMBER", "default"),
        "dms_unit": ("cn-hangzhou", "default"),
    }


def test_rule_can_set_tenant_and_workspace_to_none_over_the_default() -> None:
    plan = resolve_plan(event("External Vendors"), MAPPING)
    assert summary(plan) == {
        "tenant_id": (None, "rule:contractors"),
        "roles": (["USER"], "default"),
        "workspace_id": (None, "rule:contractors"),
        "workspace_role": (None, "default"),
        "dms_unit": (None, "default"),
    }


def test_explicit_event_settings_win_field_by_field_over_the_rule() -> None:
    plan = resolve_plan(event("Platform", "DBA", roles=["SECURITY_ADMIN"], tenant_id=-1), MAPPING)
    assert summary(plan) == {
        "tenant_id": (-1, "event"),
        "roles": (["SECURITY_ADMIN"], "event"),
        "workspace_id": ("200", "rule:dba"),
        "workspace_role": ("ADMIN", "rule:dba"),
        "dms_unit": ("cn-shanghai", "rule:dba"),
    }


def test_explicit_dms_unit_alone_overrides_only_the_unit() -> None:
    plan = resolve_plan(event("Platform", "DBA", dms_unit="cn-beijing"), MAPPING)
    assert summary(plan)["dms_unit"] == ("cn-beijing", "event")
    assert summary(plan)["workspace_id"] == ("200", "rule:dba")
    assert summary(plan)["workspace_role"] == ("ADMIN", "rule:dba")


def test_explicit_workspace_role_wins_over_the_rule_for_the_same_workspace() -> None:
    plan = resolve_plan(event("Platform", "DBA", workspace_id="200", workspace_role="member"), MAPPING)
    assert summary(plan)["workspace_id"] == ("200", "event")
    assert summary(plan)["workspace_role"] == ("MEMBER", "event")
    assert summary(plan)["dms_unit"] == ("cn-shanghai", "rule:dba")


def test_explicit_workspace_id_of_the_rule_keeps_the_rules_role_and_unit() -> None:
    plan = resolve_plan(event("Platform", "DBA", workspace_id="200"), MAPPING)
    assert summary(plan)["workspace_role"] == ("ADMIN", "rule:dba")
    assert summary(plan)["dms_unit"] == ("cn-shanghai", "rule:dba")


def test_other_explicit_workspace_does_not_inherit_the_rules_admin_role() -> None:
    plan = resolve_plan(event("Platform", "DBA", workspace_id="300"), MAPPING)
    assert summary(plan) == {
        "tenant_id": (10001, "default"),
        "roles": (["USER", "DBA"], "rule:dba"),
        "workspace_id": ("300", "event"),
        "workspace_role": ("MEMBER", "default"),
        "dms_unit": (None, "default"),
    }


def test_everything_explicit_ignores_the_mapping() -> None:
    explicit = parse_event((EVENTS / "hired-explicit-roles.json").read_bytes())
    plan = resolve_plan(explicit, MAPPING)
    assert set(plan.sources.values()) == {"event"}
    assert (plan.tenant_id, plan.roles, plan.workspace_id, plan.workspace_role, plan.dms_unit) == (
        10001,
        ["USER", "DBA"],
        "209230000007291",
        "ADMIN",
        "cn-hangzhou",
    )


def test_first_matching_rule_wins() -> None:
    mapping = RoleMapping.model_validate(
        {
            "version": 1,
            "default": {"roles": ["USER"]},
            "rules": [
                {"name": "leads", "match": {"department_prefix": "Data", "title_contains": "lead"}, "roles": ["ADMIN"]},
                {"name": "data", "match": {"department_prefix": "Data"}, "roles": ["DBA"]},
                {"name": "never-reached", "match": {"department": "Data Engineering"}, "roles": ["SECURITY_ADMIN"]},
            ],
        }
    )
    assert resolve_plan(event("Data Engineering", "Tech Lead"), mapping).rule == "leads"
    assert resolve_plan(event("Data Engineering", "Engineer"), mapping).rule == "data"


MATCHES = [
    ({"department": "Data Engineering"}, "data engineering", None, True),
    ({"department": "Data Engineering"}, "  DATA   ENGINEERING ", None, True),
    ({"department": "Data Engineering"}, "Data Engineering Ops", None, False),
    ({"department": ["Analytics", "Business Intelligence"]}, "business intelligence", None, True),
    ({"department_prefix": "data"}, "Data Science", None, True),
    ({"department_prefix": ["Sec", "Risk"]}, "Risk Control", None, True),
    ({"department_prefix": "Data"}, "Big Data", None, False),
    ({"title_contains": "LEAD"}, None, "Team Lead, Platform", True),
    ({"title_contains": ["head of", "manager"]}, None, "Head  Of Data", True),
    ({"title_regex": r"\b(dba|database administrator)\b"}, None, "Senior Database Administrator", True),
    ({"title_regex": r"\bdba\b"}, None, "DBAAS engineer", False),
    ({"department": "Data"}, None, "Data", False),
    ({"title_contains": "lead"}, "Data", None, False),
    ({"department_prefix": "Data", "title_contains": "lead"}, "Data Platform", "Engineer", False),
    ({"department_prefix": "Data", "title_contains": "lead"}, "Data Platform", "Tech Lead", True),
]


@pytest.mark.parametrize(("match", "department", "title", "expected"), MATCHES)
def test_matching_ignores_case_and_spacing_and_needs_every_condition(
    match: dict[str, object], department: str | None, title: str | None, expected: bool
) -> None:
    mapping = RoleMapping.model_validate(
        {"version": 1, "default": {"roles": ["USER"]}, "rules": [{"name": "r", "match": match, "roles": ["DBA"]}]}
    )
    assert (resolve_plan(event(department, title), mapping).rule == "r") is expected


def test_bundled_mapping_loads_and_places_the_samples() -> None:
    mapping = load_mapping(str(BUNDLED_MAPPING))
    hired = resolve_plan(parse_event((EVENTS / "hired-mapping-only.json").read_bytes()), mapping)
    assert (hired.rule, hired.roles, hired.workspace_id, hired.workspace_role) == (
        "data-engineering",
        ["USER"],
        "209230000007305",
        "MEMBER",
    )
    updated = resolve_plan(parse_event((EVENTS / "updated.json").read_bytes()), mapping)
    assert (updated.rule, updated.workspace_id, updated.dms_unit) == ("analytics", "209230000007291", "cn-hangzhou")


def test_bundled_mapping_is_used_when_nothing_else_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert load_mapping() == load_mapping(str(BUNDLED_MAPPING))
    monkeypatch.setenv(ENV_VAR, "")
    assert load_mapping() == load_mapping(str(BUNDLED_MAPPING))


def write(tmp_path: Path, document: object, name: str = "mapping.json") -> Path:
    path = tmp_path / name
    text = document if isinstance(document, str) else json.dumps(document)
    path.write_text(text, encoding="utf-8")
    return path


def test_environment_variable_names_the_mapping_and_an_argument_wins_over_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env_file = write(tmp_path, {"version": 1, "default": {"roles": ["DBA"]}}, "env.json")
    arg_file = write(tmp_path, {"version": 1, "default": {"roles": ["ADMIN"]}}, "arg.json")
    settings = Settings.from_env({"MNS_ENDPOINT": "http://127.0.0.1:1", ENV_VAR: str(env_file)})
    assert load_mapping(settings.role_mapping_path).default.roles == ["DBA"]
    assert load_mapping(str(arg_file)).default.roles == ["ADMIN"]
    assert load_mapping() == load_mapping(str(BUNDLED_MAPPING))
    monkeypatch.setenv(ENV_VAR, str(env_file))
    assert main([str(EVENTS / "hired-mapping-only.json")]) == 0
    assert json.loads(capsys.readouterr().out)["plan"]["roles"] == ["DBA"]
    assert main([str(EVENTS / "hired-mapping-only.json"), "--mapping", str(arg_file)]) == 0
    assert json.loads(capsys.readouterr().out)["plan"]["roles"] == ["ADMIN"]


VALID = {"version": 1, "default": {"roles": ["USER"]}}


def rule(**fields: object) -> dict[str, object]:
    return {"version": 1, "default": {"roles": ["USER"]}, "rules": [{"name": "r", **fields}]}


NO_CONDITION = (
    "needs at least one of department, department_prefix, title_contains, title_regex (use default for everyone else)"
)
BAD_MAPPINGS: list[tuple[str, object, list[tuple[str, str]]]] = [
    (
        "not-json",
        "{version: 1}",
        [("", "is not valid JSON: Expecting property name enclosed in double quotes at line 1 column 2")],
    ),
    ("not-an-object", "[]", [("", "must be an object")]),
    ("version-2", {**VALID, "version": 2}, [("version", "must be 1, the only mapping format this code reads")]),
    ("no-default", {"version": 1, "rules": []}, [("default", "is required")]),
    (
        "unknown-role-in-default",
        {"version": 1, "default": {"roles": ["USER", "OWNER"]}},
        [("default.roles.1", "must be one of: USER, DBA, ADMIN, SECURITY_ADMIN")],
    ),
    ("empty-default-roles", {"version": 1, "default": {"roles": []}}, [("default.roles", "must have at least 1 item")]),
    ("unknown-top-level-key", {**VALID, "rule": []}, [("rule", "is not allowed")]),
    (
        "rule-without-conditions",
        rule(match={}, roles=["DBA"]),
        [("rules.0.match", NO_CONDITION)],
    ),
    (
        "rule-setting-nothing",
        rule(match={"department": "Data"}),
        [("rules.0", "needs at least one of roles, tenant_id, workspace")],
    ),
    (
        "rule-roles-null",
        rule(match={"department": "Data"}, roles=None),
        [("rules.0.roles", "must be a list of roles; leave it out to use the default's")],
    ),
    (
        "rule-without-name",
        {**VALID, "rules": [{"match": {"department": "Data"}, "roles": ["DBA"]}]},
        [("rules.0.name", "is required")],
    ),
    (
        "unknown-match-key",
        rule(match={"title_like": "lead"}, roles=["DBA"]),
        [("rules.0.match.title_like", "is not allowed")],
    ),
    (
        "empty-department-list",
        rule(match={"department": []}, roles=["DBA"]),
        [("rules.0.match.department", "must have at least 1 item")],
    ),
    (
        "workspace-id-not-digits",
        rule(match={"department": "Data"}, workspace={"id": "ws-1"}),
        [("rules.0.workspace.id", "must be a string of 1 to 32 digits")],
    ),
    (
        "workspace-role-unknown",
        rule(match={"department": "Data"}, workspace={"id": "1", "role": "OWNER"}),
        [("rules.0.workspace.role", "must be one of: ADMIN, MEMBER")],
    ),
    (
        "tenant-as-text",
        rule(match={"department": "Data"}, tenant_id="10001"),
        [("rules.0.tenant_id", "must be an integer")],
    ),
    (
        "duplicate-rule-names",
        {**VALID, "rules": [{"name": "a", "match": {"department": "X"}, "roles": ["DBA"]}] * 2},
        [("rules", "has two rules named a")],
    ),
]


@pytest.mark.parametrize(("document", "expected"), [c[1:] for c in BAD_MAPPINGS], ids=[c[0] for c in BAD_MAPPINGS])
def test_bad_mapping_file_is_refused_naming_file_field_and_reason(
    tmp_path: Path, document: object, expected: list[tuple[str, str]]
) -> None:
    path = write(tmp_path, document)
    with pytest.raises(MappingError) as caught:
        load_mapping(str(path))
    assert caught.value.file == str(path)
    assert [(problem.field, problem.reason) for problem in caught.value.problems] == expected
    assert str(caught.value).startswith(f"role mapping {path}: ")


def test_bad_regex_is_refused_at_load_with_the_regex_error(tmp_path: Path) -> None:
    path = write(tmp_path, rule(match={"title_regex": "(dba"}, roles=["DBA"]))
    with pytest.raises(MappingError) as caught:
        load_mapping(str(path))
    [problem] = caught.value.problems
    assert problem.field == "rules.0.match.title_regex"
    assert problem.reason.startswith("is not a valid regular expression: missing )")


def test_missing_mapping_file_is_refused_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nowhere.json"
    with pytest.raises(MappingError) as caught:
        load_mapping(str(missing))
    assert caught.value.to_dict() == {
        "mapping": str(missing),
        "problems": [{"field": "", "reason": "cannot be read: No such file or directory"}],
    }


def test_dry_run_prints_the_plan_with_the_mobile_masked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(EVENTS / "hired-mapping-only.json"), "--mapping", str(BUNDLED_MAPPING)]) == 0
    out = capsys.readouterr().out
    printed = json.loads(out)
    assert "13812345678" not in out
    assert printed["event"]["employee"]["mobile"] == "+86 138******78"
    assert printed["plan"] == {
        "tenant_id": None,
        "roles": ["USER"],
        "workspace_id": "209230000007305",
        "workspace_role": "MEMBER",
        "dms_unit": "cn-hangzhou",
        "rule": "data-engineering",
        "sources": {
            "tenant_id": "default",
            "roles": "default",
            "workspace_id": "rule:data-engineering",
            "workspace_role": "rule:data-engineering",
            "dms_unit": "rule:data-engineering",
        },
    }


def test_dry_run_of_an_invalid_event_prints_the_problems_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(EVENTS / "invalid-role.json")
    assert main([path]) == 1
    assert json.loads(capsys.readouterr().out) == {
        "event_file": path,
        "problems": [
            {"field": "employee.dms.roles.1", "reason": "must be one of: USER, DBA, ADMIN, SECURITY_ADMIN"},
        ],
    }


def test_dry_run_with_a_bad_mapping_prints_its_problems_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, {"version": 1, "default": {"roles": ["ROOT"]}})
    assert main([str(EVENTS / "updated.json"), "--mapping", str(path)]) == 1
    assert json.loads(capsys.readouterr().out) == {
        "mapping": str(path),
        "problems": [{"field": "default.roles.0", "reason": "must be one of: USER, DBA, ADMIN, SECURITY_ADMIN"}],
    }


def test_dry_run_of_a_missing_event_file_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(tmp_path / "absent.json")
    assert main([path]) == 1
    assert json.loads(capsys.readouterr().out)["problems"] == [
        {"field": "", "reason": "cannot be read: No such file or directory"}
    ]
