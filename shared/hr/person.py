"""A person as an HR platform describes them, reduced to what onboarding uses, whichever platform it was.

DingTalk's `topapi/v2/user/get` result and Feishu's `UserEvent` name the same things differently (`title` and
`job_title`, `dept_id_list` and `department_ids`, `extension` as a JSON string and `custom_attrs` as a list); the
UID strategies (shared.hr.uid) and the canonical event (shared.hr.canonical) read only this.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else str(value) if isinstance(value, int) else ""


@dataclass(frozen=True)
class HrPerson:
    source: str
    hr_id: str
    """The platform's id for the person: DingTalk's userid, Feishu's open_id."""
    name: str = ""
    mobile: str = ""
    """As the platform gave it (national or international); shared.hr.canonical normalises it."""
    email: str = ""
    title: str = ""
    job_number: str = ""
    department: str = ""
    """The first department id the platform lists (ids, not names: the events carry no names)."""
    custom: Mapping[str, str] = field(default_factory=dict)
    """Custom profile fields by name (DingTalk `extension`) or id (Feishu `custom_attrs`)."""

    def template_values(self) -> dict[str, str]:
        """The fields RAM_USER_TEMPLATE may name (shared.config.TEMPLATE_FIELDS), "" where the platform gave none."""
        local = self.email.split("@", 1)[0] if "@" in self.email else ""
        digits = "".join(ch for ch in self.mobile if ch.isdigit())
        return {
            "userid": self.hr_id,
            "email": self.email,
            "email_local": local,
            "job_number": self.job_number,
            "mobile_local": digits[-11:] if digits else "",
            "name": self.name,
        }

    def __repr__(self) -> str:  # a person's mobile and email stay out of every log line and traceback
        return f"HrPerson(source={self.source!r}, hr_id={self.hr_id!r})"


def from_dingtalk(result: Mapping[str, Any]) -> HrPerson:
    """From `topapi/v2/user/get`'s `result`; a mobile with a `state_code` other than 86 keeps its country."""
    extension: dict[str, str] = {}
    raw = result.get("extension")
    if isinstance(raw, str) and raw.strip():
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        if isinstance(parsed, Mapping):
            extension = {str(k): _text(v) for k, v in parsed.items() if _text(v)}
    departments = result.get("dept_id_list")
    mobile = _text(result.get("mobile"))
    state = _text(result.get("state_code"))
    if mobile and state and not mobile.startswith("+"):
        mobile = f"+{state}{mobile.lstrip('0')}"
    return HrPerson(
        source="dingtalk",
        hr_id=_text(result.get("userid")),
        name=_text(result.get("name")),
        mobile=mobile,
        email=_text(result.get("email")) or _text(result.get("org_email")),
        title=_text(result.get("title")),
        job_number=_text(result.get("job_number")),
        department=_text(departments[0]) if isinstance(departments, list) and departments else "",
        custom=extension,
    )


def from_feishu(user: Mapping[str, Any]) -> HrPerson:
    """From a contact event's `object`: custom attributes keyed by their id, their text value kept."""
    custom: dict[str, str] = {}
    attributes = user.get("custom_attrs")
    for attribute in attributes if isinstance(attributes, list) else []:
        if not isinstance(attribute, Mapping):
            continue
        value = attribute.get("value")
        text = _text(value.get("text")) if isinstance(value, Mapping) else ""
        if text and _text(attribute.get("id")):
            custom[_text(attribute.get("id"))] = text
    departments = user.get("department_ids")
    return HrPerson(
        source="feishu",
        hr_id=_text(user.get("open_id")),
        name=_text(user.get("name")),
        mobile=_text(user.get("mobile")),
        email=_text(user.get("email")) or _text(user.get("enterprise_email")),
        title=_text(user.get("job_title")),
        job_number=_text(user.get("employee_no")),
        department=_text(departments[0]) if isinstance(departments, list) and departments else "",
        custom=custom,
    )
