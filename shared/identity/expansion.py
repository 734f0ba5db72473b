"""A platform's notice becomes one canonical event per person, or a refusal saying why that person could not be.

DingTalk's notices name user ids, so each person's details are fetched first; Feishu's carry them. Then the UID
is resolved (shared.identity.uid) and remembered for the day the person leaves. A person the platform no longer
knows, or whose UID no strategy finds, is `rejected` with the reason; a lookup that failed in a way waiting may
heal (DingTalk, RAM or the register unreachable or throttled) is `failed` and retried like any failed event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from shared.hr.canonical import canonical_event
from shared.hr.dingtalk_api import DingTalkApi, DingTalkApiError
from shared.hr.notice import Notice
from shared.hr.person import HrPerson, from_dingtalk, from_feishu
from shared.identity.aliases import HrAliases
from shared.identity.uid import UidLookupUnavailableError, UidResolver
from shared.infra.retry import Deadline
from shared.state.errors import RegisterConfigurationError, RegisterUnavailableError


@dataclass(frozen=True)
class Refusal:
    status: Literal["rejected", "failed"]
    field: str
    reason: str
    retryable: bool = False


@dataclass(frozen=True)
class Expanded:
    hr_id: str
    event_id: str
    event: dict[str, Any] | None = None
    refusal: Refusal | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


class _NoSuchPerson(Exception):  # noqa: N818 - a signal within this module, not an error
    pass


class NoticeExpander:
    def __init__(
        self,
        resolver: UidResolver,
        aliases: HrAliases,
        dingtalk: Callable[[], DingTalkApi] | None,
        mobile_region: str,
    ) -> None:
        self.resolver = resolver
        self.aliases = aliases
        self._dingtalk = dingtalk
        self.mobile_region = mobile_region

    def expand(self, notice: Notice, deadline: Deadline) -> list[Expanded]:
        return [self._one(notice, index, hr_id, deadline) for index, hr_id in enumerate(notice.hr_ids)]

    def _one(self, notice: Notice, index: int, hr_id: str, deadline: Deadline) -> Expanded:
        event_id = notice.event_id(hr_id)
        leaving = notice.type == "employee.left"
        try:
            person = _Lazy(lambda: self._person(notice, index, hr_id))
            if not leaving and person.get() is None:
                raise _NoSuchPerson
            resolution = self.resolver.resolve(notice.source, hr_id, person.get, leaving, deadline)
            if resolution.uid is None:
                return Expanded(
                    hr_id,
                    event_id,
                    refusal=Refusal("rejected", "employee.uid", f"could not be resolved: {resolution.explain()}"),
                )
            replaced = None
            if resolution.by != "register":
                replaced = self.aliases.remember(notice.source, hr_id, resolution.uid, deadline)
            event, notes = canonical_event(notice, hr_id, person.peek(), resolution.uid, self.mobile_region)
            if replaced:
                notes.append(
                    f"UID changed from {replaced} to {resolution.uid} ({resolution.by}); access granted to {replaced} "
                    "stays until a leave names it"
                )
            return Expanded(hr_id, event_id, event, notes=tuple(notes))
        except _NoSuchPerson:
            reason = (
                f"{notice.source} has no user {hr_id} in the organisation any more; "
                "the platform's leave event for them ends their access"
            )
            return Expanded(hr_id, event_id, refusal=Refusal("rejected", "employee", reason))
        except DingTalkApiError as error:
            refusal = Refusal("failed", "employee", f"DingTalk user details: {error}", error.retryable)
            return Expanded(hr_id, event_id, refusal=refusal)
        except UidLookupUnavailableError as error:
            return Expanded(hr_id, event_id, refusal=Refusal("failed", "employee.uid", str(error), True))
        except (RegisterUnavailableError, RegisterConfigurationError) as error:
            retryable = isinstance(error, RegisterUnavailableError)
            refusal = Refusal("failed", "employee.uid", f"register: {error}", retryable)
            return Expanded(hr_id, event_id, refusal=refusal)

    def _person(self, notice: Notice, index: int, hr_id: str) -> HrPerson | None:
        """The platform's description: carried by a Feishu notice, fetched for DingTalk's (whose API call raises
        DingTalkApiError naming DINGTALK_APP_SECRET when it is not set)."""
        if notice.people:
            return from_feishu(notice.people[index])
        if notice.source != "dingtalk" or self._dingtalk is None:
            return None
        result = self._dingtalk().user(hr_id)
        return None if result is None else from_dingtalk(result)


class _Lazy:
    """The person, fetched on first need only: a leaver resolved by the register costs no platform call."""

    def __init__(self, fetch: Callable[[], HrPerson | None]) -> None:
        self._fetch = fetch
        self._done = False
        self._value: HrPerson | None = None

    def get(self) -> HrPerson | None:
        if not self._done:
            self._value = self._fetch()
            self._done = True
        return self._value

    def peek(self) -> HrPerson | None:
        return self._value if self._done else None
