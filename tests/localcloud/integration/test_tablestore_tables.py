"""Table operations through the official Tablestore SDK over loopback HTTP: create, describe, list, delete."""

from __future__ import annotations

import json
import urllib.request

import pytest
from tablestore import CapacityUnit, OTSServiceError, ReservedThroughput, TableMeta, TableOptions

from localcloud import LocalCloud
from tests.support.tablestore_clients import ots_client


def create(
    cloud: LocalCloud, name: str = "register", schema: list[tuple[str, str]] | None = None, **kw: object
) -> None:
    meta = TableMeta(name, schema or [("person_id", "STRING"), ("seq", "INTEGER")])
    options = TableOptions(**kw) if kw else TableOptions()
    ots_client(cloud).create_table(meta, options, ReservedThroughput(CapacityUnit(0, 0)))


def test_created_table_is_listed_and_described_as_created(cloud: LocalCloud) -> None:
    create(cloud)
    create(cloud, "other", [("id", "BINARY")], time_to_live=86400, max_version=3)
    client = ots_client(cloud)
    assert client.list_table() == ("other", "register")
    described = client.describe_table("register")
    assert described.table_meta.table_name == "register"
    assert described.table_meta.schema_of_primary_key == [("person_id", "STRING"), ("seq", "INTEGER")]
    options = described.table_options
    assert (options.time_to_live, options.max_version, options.max_time_deviation) == (-1, 1, 86400)
    assert described.reserved_throughput_details.capacity_unit.read == 0
    other = client.describe_table("other").table_options
    assert (other.time_to_live, other.max_version) == (86400, 3)


def test_describe_works_on_v4_signing_too(cloud: LocalCloud) -> None:
    create(cloud)
    assert ots_client(cloud, v4=True).describe_table("register").table_meta.table_name == "register"


def test_existing_table_is_409_and_deleted_table_is_404(cloud: LocalCloud) -> None:
    create(cloud)
    with pytest.raises(OTSServiceError) as exists:
        create(cloud)
    assert (exists.value.get_http_status(), exists.value.get_error_code()) == (409, "OTSObjectAlreadyExist")
    assert exists.value.get_error_message() == "Requested table already exists."
    client = ots_client(cloud)
    client.delete_table("register")
    assert client.list_table() == ()
    for call in (client.describe_table, client.delete_table):
        with pytest.raises(OTSServiceError) as missing:
            call("register")
        assert (missing.value.get_http_status(), missing.value.get_error_code()) == (404, "OTSObjectNotExist")
        assert missing.value.get_error_message() == "Requested table does not exist."


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ([("a", "STRING"), ("a", "INTEGER")], "Duplicated primary key name: 'a'."),
        ([("a", "BOOLEAN")], "BOOLEAN is an invalid type for the primary key."),
        ([(f"c{i}", "STRING") for i in range(5)], "The number of primary key columns must be in range: [1, 4]."),
    ],
)
def test_invalid_schema_is_400_parameter_invalid(
    cloud: LocalCloud, schema: list[tuple[str, str]], message: str
) -> None:
    with pytest.raises(OTSServiceError) as error:
        create(cloud, "bad", schema)
    assert (error.value.get_http_status(), error.value.get_error_code()) == (400, "OTSParameterInvalid")
    assert error.value.get_error_message() == message


def test_state_and_seed_show_tables(cloud: LocalCloud) -> None:
    cloud.apply_seed({"tablestore_tables": [{"name": "seeded", "primary_key": [{"name": "pk", "type": "STRING"}]}]})
    assert ots_client(cloud).list_table() == ("seeded",)
    with urllib.request.urlopen(cloud.control_url + "/state/tablestore", timeout=5) as answer:
        body = json.loads(answer.read())
    assert body["instance"] == cloud.config.tablestore_instance
    assert [t["name"] for t in body["tables"]] == ["seeded"]
    assert cloud.client_env()["TABLESTORE_ENDPOINT"] == cloud.tablestore_endpoint
    assert cloud.client_env()["TABLESTORE_INSTANCE"] == cloud.config.tablestore_instance
