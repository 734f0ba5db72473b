"""Which Alibaba Cloud UID an HR platform's person is: the strategies, in a documented order, and never a guess.

No HR system knows a person's UID, and no Alibaba Cloud convention links the two, so the deployment says how:
- `field`: a custom HR field holds it (UID_FIELD: a DingTalk `extension` key, a Feishu `custom_attrs` id);
- `ram`: RAM has a user named after the person (RAM_USER_TEMPLATE over their HR fields), whose UserId it is;
- `register`: the UID this person was given before, as the register recorded it (shared.identity.aliases).

Hires and updates try field, ram, register; leaves try register first, because a leave must end the access that was
granted, to the UID it was granted to, and the platform no longer describes a person who left. A person no strategy
resolves gets a `rejected` outcome listing what each strategy found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shared.config import UidConfig
from shared.contract.vocabulary import DIGITS_MAX
from shared.hr.person import HrPerson
from shared.identity.aliases import HrAliases
from shared.identity.ram import RamDirectory, RamError
from shared.infra.retry import Deadline

JOINER_ORDER = ("field", "ram", "register")
LEAVER_ORDER = ("register", "field", "ram")


class UidLookupUnavailableError(Exception):
    """A strategy could not be asked (RAM unreachable, throttled): waiting may help, so the person is retried."""


@dataclass(frozen=True)
class Resolution:
    uid: str | None
    by: str = ""
    tried: tuple[str, ...] = ()

    def explain(self) -> str:
        return "; ".join(self.tried)


def _is_uid(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= DIGITS_MAX


class UidResolver:
    def __init__(self, config: UidConfig, ram: Callable[[], RamDirectory] | None, aliases: HrAliases) -> None:
        self.config = config
        self._ram = ram
        self.aliases = aliases

    def resolve(
        self, source: str, hr_id: str, person: Callable[[], HrPerson | None], leaving: bool, deadline: Deadline
    ) -> Resolution:
        """`person` is asked only when a strategy needs the platform's description (it may cost an API call)."""
        tried: list[str] = []
        for strategy in LEAVER_ORDER if leaving else JOINER_ORDER:
            if strategy == "field":
                found = self._field(person(), tried)
            elif strategy == "ram":
                found = self._ram_user(person(), tried)
            else:
                found = self.aliases.uid(source, hr_id, deadline)
                tried.append("register: found" if found else f"register: no record of {source} user {hr_id}")
            if found:
                return Resolution(found, strategy, tuple(tried))
        return Resolution(None, "", tuple(tried))

    def _field(self, person: HrPerson | None, tried: list[str]) -> str | None:
        if not self.config.fields:
            tried.append("field: UID_FIELD is not set")
            return None
        if person is None:
            tried.append("field: the platform no longer returns this person")
            return None
        for name in self.config.fields:
            value = person.custom.get(name, "")
            if _is_uid(value):
                tried.append(f"field {name}: found")
                return value
            tried.append(f"field {name}: {'holds no UID (not digits)' if value else 'absent'}")
        return None

    def _ram_user(self, person: HrPerson | None, tried: list[str]) -> str | None:
        template = self.config.ram_user_template
        if not template or self._ram is None:
            tried.append("ram: RAM_USER_TEMPLATE is not set")
            return None
        if person is None:
            tried.append("ram: the platform no longer returns this person")
            return None
        values = person.template_values()
        empty = sorted(name for name, value in values.items() if not value and "{" + name + "}" in template)
        if empty:
            tried.append(f"ram: {template} needs {', '.join(empty)}, which the platform did not give")
            return None
        user_name = template.format_map(values)
        shown = template if "{mobile_local}" in template else repr(user_name)
        try:
            found = self._ram().user_id(user_name)
        except RamError as error:
            if error.retryable:
                raise UidLookupUnavailableError(f"ram: GetUser {shown}: {error}") from None
            tried.append(f"ram: GetUser {shown} refused ({error.code})")
            return None
        tried.append(f"ram: user {shown} {'found' if found else 'does not exist'}")
        return found
