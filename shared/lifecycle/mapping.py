"""From what HR knows about a person (department, title) to what DMS needs (roles, tenant, workspace).

HR systems know departments and titles, not DMS roles, so the mapping is data an administrator edits, not code:
a JSON file, validated when loaded so a typo fails the deployment's first event loudly instead of granting the
wrong role quietly. The bundled shared/role_mapping.json is the default; ROLE_MAPPING_PATH points elsewhere.
Load it once per instance (shared.wiring does): `load_mapping()` reads the file on every call.

Format (version 1):

    {
      "version": 1,
      "default": {"roles": ["USER"], "tenant_id": null, "workspace": null},
      "rules": [
        {
          "name": "data-platform-leads",
          "description": "optional note for people; JSON has no comments",
          "match": {"department_prefix": "Data", "title_contains": ["lead", "head of"]},
          "roles": ["USER"],
          "tenant_id": 10001,
          "workspace": {"id": "209230000007305", "role": "ADMIN", "dms_unit": "cn-hangzhou"}
        }
      ]
    }

- `match` conditions, all of which must hold (at least one is required):
  `department` (a name or a list: equal to one of them), `department_prefix` (a prefix or a list: starts with
  one of them), `title_contains` (a text or a list: contains one of them), `title_regex` (Python regex, searched).
  All comparisons ignore case and collapse runs of whitespace; a condition on an attribute the event lacks fails.
- Rules are tried in order and the first match wins, so put narrow rules before broad ones.
- A rule sets any of `roles`, `tenant_id`, `workspace`; what it leaves out comes from `default`. A rule may set
  `tenant_id` or `workspace` to null to mean "none" (DMS's default tenant; no workspace) whatever the default says.
- `workspace.role` defaults to MEMBER; `workspace.dms_unit` may be left out (the deployment's unit then applies).

Precedence, field by field: the event's own `employee.dms` settings, then the matching rule, then `default`.
One exception keeps a grant from leaking: a workspace's role and unit from the mapping belong to that workspace,
so when the event names a different workspace without a role, the person joins it as LEAST_WORKSPACE_ROLE.
`Plan.sources` records where each setting came from ("event", "rule:<name>" or "default").

Dry run, no network: `python -m shared.lifecycle.mapping EVENT.json [--mapping PATH]` prints the plan (mobile
masked).
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BeforeValidator,
    Field,
    StrictInt,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from shared.config import role_mapping_path
from shared.contract.event import (
    ContractError,
    DmsOverrides,
    DmsUnit,
    Employee,
    HrEvent,
    Identifier,
    RoleList,
    StrictModel,
    WorkspaceId,
    WorkspaceRoleName,
    parse_event,
    version_one,
)
from shared.contract.problems import Problem, problems_from
from shared.contract.strictjson import load_json
from shared.contract.vocabulary import LEAST_WORKSPACE_ROLE, PATTERN_REASONS, Role, WorkspaceRole
from shared.lifecycle.plan import Plan

ENV_VAR: Final = "ROLE_MAPPING_PATH"
BUNDLED_MAPPING: Final = Path(__file__).resolve().parent.parent / "role_mapping.json"


def _listed(value: object) -> object:
    return [value] if isinstance(value, str) else value


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _fold(text: str) -> str:
    return _collapse(text).casefold()


@functools.lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


Texts = Annotated[
    list[Annotated[str, StringConstraints(min_length=1, max_length=128)]],
    Field(min_length=1),
    BeforeValidator(_listed),
]


class Match(StrictModel):
    department: Texts | None = None
    department_prefix: Texts | None = None
    title_contains: Texts | None = None
    title_regex: Annotated[str, StringConstraints(min_length=1, max_length=512)] | None = None

    @field_validator("title_regex")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                _regex(pattern)
            except re.error as exc:
                raise PydanticCustomError(
                    "own_regex", "is not a valid regular expression: {error}", {"error": str(exc)}
                ) from None
        return pattern

    @model_validator(mode="after")
    def _has_condition(self) -> Match:
        if all(value is None for _, value in self):
            raise PydanticCustomError(
                "own_empty_match",
                "needs at least one of department, department_prefix, title_contains, title_regex"
                " (use default for everyone else)",
            )
        return self

    @functools.cached_property
    def folded(self) -> tuple[frozenset[str] | None, tuple[str, ...] | None, tuple[str, ...] | None]:
        """The conditions' texts folded once per loaded mapping rather than once per event."""
        return (
            None if self.department is None else frozenset(_fold(name) for name in self.department),
            None if self.department_prefix is None else tuple(_fold(prefix) for prefix in self.department_prefix),
            None if self.title_contains is None else tuple(_fold(part) for part in self.title_contains),
        )

    def matches_folded(self, department: str | None, title: str | None) -> bool:
        """`department` folded and `title` collapsed by the caller, so many rules prepare an event once."""
        names, prefixes, parts = self.folded
        if names is not None and department not in names:
            return False
        if prefixes is not None and not (department and department.startswith(prefixes)):
            return False
        folded_title = title.casefold() if title else None
        if parts is not None and not (folded_title and any(part in folded_title for part in parts)):
            return False
        if self.title_regex is None:
            return True
        return bool(title and _regex(self.title_regex).search(title))


class WorkspaceGrant(StrictModel):
    id: WorkspaceId
    role: WorkspaceRoleName = LEAST_WORKSPACE_ROLE
    dms_unit: DmsUnit | None = None


class Default(StrictModel):
    roles: RoleList
    tenant_id: StrictInt | None = None
    workspace: WorkspaceGrant | None = None


class Rule(StrictModel):
    name: Annotated[Identifier, StringConstraints(max_length=64)]
    description: str | None = None
    match: Match
    roles: RoleList | None = None
    tenant_id: StrictInt | None = None
    workspace: WorkspaceGrant | None = None

    @field_validator("roles")
    @classmethod
    def _roles_not_null(cls, roles: list[Role] | None) -> list[Role] | None:
        if roles is None:
            raise PydanticCustomError("own_roles_null", "must be a list of roles; leave it out to use the default's")
        return roles

    @model_validator(mode="after")
    def _sets_something(self) -> Rule:
        if not self.model_fields_set & {"roles", "tenant_id", "workspace"}:
            raise PydanticCustomError("own_rule_empty", "needs at least one of roles, tenant_id, workspace")
        return self


class RoleMapping(StrictModel):
    version: Annotated[Literal[1], BeforeValidator(version_one("mapping format this code reads"))]
    default: Default
    rules: list[Rule] = []

    @field_validator("rules")
    @classmethod
    def _names_unique(cls, rules: list[Rule]) -> list[Rule]:
        seen: set[str] = set()
        for rule in rules:
            if rule.name in seen:
                raise PydanticCustomError("own_rule_name", "has two rules named {name}", {"name": rule.name})
            seen.add(rule.name)
        return rules

    def rule_for(self, employee: Employee) -> Rule | None:
        department = _fold(employee.department) if employee.department else None
        title = _collapse(employee.title) if employee.title else None
        return next((rule for rule in self.rules if rule.match.matches_folded(department, title)), None)


class MappingError(Exception):
    """A role mapping file that cannot be used; `file` names it, `problems` say where in it and why."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        super().__init__(f"role mapping {file}: " + "; ".join(str(problem) for problem in problems))
        self.file = file
        self.problems = problems

    def to_dict(self) -> dict[str, object]:
        return {"mapping": self.file, "problems": [problem.to_dict() for problem in self.problems]}


def load_mapping(path: str | None = None) -> RoleMapping:
    """The mapping at `path`, else the bundled one (shared.config reads ROLE_MAPPING_PATH)."""
    chosen = Path(path or BUNDLED_MAPPING)
    try:
        document = load_json(chosen.read_bytes())
    except OSError as exc:
        raise MappingError(str(chosen), [Problem("", f"cannot be read: {exc.strerror or exc}")]) from None
    except ValueError as exc:
        raise MappingError(str(chosen), [Problem("", str(exc))]) from None
    try:
        return RoleMapping.model_validate(document)
    except ValidationError as exc:
        raise MappingError(str(chosen), problems_from(exc, PATTERN_REASONS)) from None


_NO_OVERRIDES = DmsOverrides()


def resolve_plan(event: HrEvent, mapping: RoleMapping) -> Plan:
    explicit = event.employee.dms or _NO_OVERRIDES
    rule = mapping.rule_for(event.employee)

    def mapped(name: str) -> tuple[Any, str]:
        if rule is not None and name in rule.model_fields_set:
            return getattr(rule, name), f"rule:{rule.name}"
        return getattr(mapping.default, name), "default"

    sources: dict[str, str] = {}
    tenant_id: int | None
    roles: list[Role]
    if explicit.tenant_id is not None:
        tenant_id, sources["tenant_id"] = explicit.tenant_id, "event"
    else:
        tenant_id, sources["tenant_id"] = mapped("tenant_id")
    if explicit.roles is not None:
        roles, sources["roles"] = explicit.roles, "event"
    else:
        roles, sources["roles"] = mapped("roles")

    grant: WorkspaceGrant | None
    workspace_id: str | None
    grant, grant_source = mapped("workspace")
    if explicit.workspace_id is not None:
        workspace_id, sources["workspace_id"] = explicit.workspace_id, "event"
    else:
        workspace_id, sources["workspace_id"] = (grant.id if grant else None), grant_source
    same_grant = grant if grant is not None and grant.id == workspace_id else None

    workspace_role: WorkspaceRole | None = None
    if explicit.workspace_role is not None:
        workspace_role, sources["workspace_role"] = explicit.workspace_role, "event"
    elif same_grant is not None:
        workspace_role, sources["workspace_role"] = same_grant.role, grant_source
    else:
        workspace_role = LEAST_WORKSPACE_ROLE if workspace_id is not None else None
        sources["workspace_role"] = "default"

    dms_unit: str | None = None
    if explicit.dms_unit is not None:
        dms_unit, sources["dms_unit"] = explicit.dms_unit, "event"
    elif same_grant is not None and same_grant.dms_unit is not None:
        dms_unit, sources["dms_unit"] = same_grant.dms_unit, grant_source
    else:
        sources["dms_unit"] = "default"

    # Every value comes from an event or a mapping that were validated already, so nothing is validated twice.
    return Plan.model_construct(
        tenant_id=tenant_id,
        roles=roles,
        workspace_id=workspace_id,
        workspace_role=workspace_role,
        dms_unit=dms_unit,
        rule=rule.name if rule else None,
        sources=sources,
    )


def main(argv: Sequence[str] | None = None) -> int:
    import argparse  # only the command line needs it; a cold function should not pay for it

    parser = argparse.ArgumentParser(
        prog="python -m shared.lifecycle.mapping",
        description="Dry run: the DMS plan for one HR event, without calling DMS.",
    )
    parser.add_argument("event", metavar="EVENT.json", help='an HR event file ("-" reads standard input)')
    parser.add_argument("--mapping", metavar="PATH", help=f"role mapping file (default ${ENV_VAR} or the bundled one)")
    args = parser.parse_args(argv)
    try:
        raw = sys.stdin.buffer.read() if args.event == "-" else Path(args.event).read_bytes()
        event = parse_event(raw)
        mapping = load_mapping(args.mapping or role_mapping_path(os.environ))
    except OSError as exc:
        return _emit(
            {"event_file": args.event, "problems": [Problem("", f"cannot be read: {exc.strerror or exc}").to_dict()]}
        )
    except ContractError as exc:
        return _emit({"event_file": args.event, **exc.to_dict()})
    except MappingError as exc:
        return _emit(exc.to_dict())
    plan = resolve_plan(event, mapping)
    return _emit({"event": event.model_dump(mode="json"), "plan": plan.model_dump(mode="json")}, status=0)


def _emit(document: dict[str, object], status: int = 1) -> int:
    print(json.dumps(document, indent=2, ensure_ascii=False))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
