"""Tablestore's part of the control plane: its state (`GET /state/tablestore`) and tables, by route or in a seed.

A seed item is `{"name": "t", "primary_key": [{"name": "pk", "type": "STRING"}], "time_to_live": -1,
"max_versions": 1}`; types are INTEGER, STRING or BINARY, as CreateTable takes them.
"""

from __future__ import annotations

from collections.abc import Mapping

from localcloud.control.router import ControlApi, ControlError, ControlRequest, route, text_field
from localcloud.tablestore.models import PK_TYPE_NAMES, TableOptions, TablestoreBackend


class TablestoreControl:
    def __init__(self, backend: TablestoreBackend) -> None:
        self.backend = backend

    def api(self) -> ControlApi:
        return ControlApi(
            routes=[
                route("GET", "/state/tablestore", self.state),
                route("POST", "/tablestore/tables", self.add_table),
            ],
            state={"tablestore": self.backend.snapshot},
            seed={"tablestore_tables": self.seed_table},
        )

    def state(self, call: ControlRequest) -> object:
        return self.backend.snapshot()

    def seed_table(self, item: Mapping[str, object]) -> None:
        columns = item.get("primary_key")
        if not isinstance(columns, list) or not columns:
            raise ControlError(400, "primary_key: must be a non-empty list of {name, type}")
        primary_key: list[tuple[str, int]] = []
        for column in columns:
            if not isinstance(column, dict):
                raise ControlError(400, "primary_key: must be a non-empty list of {name, type}")
            pk_type = text_field(column, "type").upper()
            if pk_type not in PK_TYPE_NAMES:
                raise ControlError(400, f"primary_key.type: must be one of {', '.join(PK_TYPE_NAMES)}")
            primary_key.append((text_field(column, "name"), PK_TYPE_NAMES[pk_type]))
        options = TableOptions(
            time_to_live=int(text_field(item, "time_to_live", required=False, default="-1")),
            max_versions=int(text_field(item, "max_versions", required=False, default="1")),
        )
        self.backend.create_table(text_field(item, "name"), primary_key, options=options)

    def add_table(self, call: ControlRequest) -> object:
        self.seed_table(call.body())
        return self.backend.snapshot()["tables"]
