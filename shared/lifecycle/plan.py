"""What onboarding one person will ask of DMS, and where each setting came from (for dry runs and audit)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.contract.vocabulary import Role, WorkspaceRole


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant_id: int | None = Field(description="Tid for RegisterUser; None: leave it out (DMS's default tenant).")
    roles: list[Role]
    workspace_id: str | None = Field(description="None: no AddUserToDataAgentWorkspace call.")
    workspace_role: WorkspaceRole | None
    dms_unit: str | None = Field(description="None: the deployment's configured unit.")
    rule: str | None = Field(description="Name of the mapping rule that matched, if any.")
    sources: dict[str, str]

    def as_json_data(self) -> dict[str, Any]:
        """The plan as JSON data: its fields hold JSON types already, so no serializer is needed per event."""
        view = {name: getattr(self, name) for name in type(self).model_fields}
        return {**view, "roles": list(self.roles), "sources": dict(self.sources)}
