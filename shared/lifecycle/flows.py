"""Which steps an event type runs, in order: the one table both the provisioner and the dry run read.

A flow stops at its first failed step. Today an `employee.updated` event walks the joiner's flow, so DMS's
"already exists" answers make it `already_provisioned` and a changed role does not reach DMS; the mover and
leaver flows (UpdateUser, DisableUser, workspace role changes and removals) are rows of this table to come.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.contract.vocabulary import EventType
from shared.lifecycle.steps import AddToWorkspace, RegisterUser, Step

Flow = tuple[Step, ...]

JOINER: Flow = (RegisterUser(), AddToWorkspace())

FLOWS: Mapping[EventType, Flow] = {
    "employee.hired": JOINER,
    "employee.updated": JOINER,
}
