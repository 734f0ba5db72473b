"""The one place that touches the `tablestore` SDK: its client per issue of credentials, its calls, its errors.

The SDK is imported on first use only: with aiohttp and numpy behind it, it costs a quarter of a second, which
the webhook's cold path must never pay. Its own retry policy is switched off (it sleeps up to 20 times with no
idea of our deadline, and never retries a write after a 5xx anyway), so the register decides every retry.
It logs each expected OTSConditionCheckFail at ERROR through `logging`; its logger is kept to itself, so that
what reaches the function's log stays ours and JSON.
"""

from __future__ import annotations

import functools
import http.client
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from shared.config import RegisterConfig
from shared.infra.credentials import PerCredentials, RoleCredentials
from shared.state.records import Columns

SDK_LOGGER = "dms-onboarding.tablestore-sdk"

REJECTED_CODES = frozenset(
    {
        "OTSServerBusy",
        "OTSNotEnoughCapacityUnit",
        "OTSOperationThrottled",
        "OTSQuotaExhausted",
        "OTSRowOperationConflict",
        "OTSTableNotReady",
    }
)
"""Transient, and refused before the request took effect."""
AMBIGUOUS_CODES = frozenset({"OTSTimeout", "OTSInternalServerError", "OTSServerUnavailable", "OTSPartitionUnavailable"})
"""Transient, and a write that got one of these may or may not have taken effect."""

FailureKind = Literal["transient", "auth", "condition", "exists", "missing", "permanent"]


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    code: str
    message: str
    maybe_applied: bool = False
    """For a write: the service may have applied it although the caller heard an error."""


def classify(error: BaseException) -> Failure | None:
    """What an exception out of an SDK call means to the register; None for one that is not the SDK's or the
    network's (a bug, which must surface as it is)."""
    import urllib3.exceptions
    from tablestore import OTSClientError, OTSServiceError

    if isinstance(error, OTSServiceError):
        code, status, message = str(error.get_error_code()), int(error.get_http_status() or 0), error.message
        if code == "OTSConditionCheckFail":
            return Failure("condition", code, message)
        if code == "OTSObjectAlreadyExist":
            return Failure("exists", code, message)
        if code == "OTSObjectNotExist":
            return Failure("missing", code, message)
        if code == "OTSAuthFailed":
            return Failure("auth", code, message)
        if code in REJECTED_CODES:
            return Failure("transient", code, message)
        if code in AMBIGUOUS_CODES or status >= 500:
            return Failure("transient", code or f"HTTP{status}", message, maybe_applied=True)
        return Failure("permanent", code or f"HTTP{status}", message)
    if isinstance(error, OTSClientError):
        status = error.get_http_status()
        if status is None:
            return Failure("permanent", "OTSClientError", str(error))
        if 400 <= int(status) < 500:
            return Failure("permanent", f"HTTP{status}", f"an answer that is not Tablestore's: {error}")
        return Failure("transient", f"HTTP{status}", str(error), maybe_applied=True)
    if isinstance(error, (urllib3.exceptions.TimeoutError, TimeoutError)):
        return Failure("transient", "Timeout", f"{type(error).__name__}: {error}", maybe_applied=True)
    if isinstance(error, (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError)):
        return Failure("transient", "NetworkError", f"{type(error).__name__}: {error}", maybe_applied=True)
    return None


def _quiet_logger() -> str:
    logger = logging.getLogger(SDK_LOGGER)
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    logger.propagate = False
    logger.setLevel(logging.CRITICAL)  # also spares the SDK formatting a DEBUG line per answer when NOTSET
    return SDK_LOGGER


def _attributes(row: Any) -> dict[str, Any]:
    return {name: value for name, value, *_ in row.attribute_columns or ()}


NATIVE_CODEC_LOGGERS = ("tablestore.decoder", "tablestore.encoder", "tablestore.native")
"""The SDK warns at import when its optional C++ codec is absent, which the code packages leave out on purpose."""


for _name in NATIVE_CODEC_LOGGERS:
    logging.getLogger(_name).setLevel(logging.ERROR)


class _Client:
    def __init__(self, config: RegisterConfig, credentials: RoleCredentials) -> None:
        from tablestore import OTSClient
        from tablestore.retry import NoRetryPolicy

        self.access_key_id = credentials.access_key_id
        self.sdk = OTSClient(
            config.endpoint,
            credentials.access_key_id,
            credentials.access_key_secret,
            config.instance,
            sts_token=credentials.security_token or None,
            region=config.region,
            socket_timeout=config.timeout_seconds,
            retry_policy=NoRetryPolicy(),
            logger_name=_quiet_logger(),
            enable_native=False,  # the SDK's own Python codec, the one the code packages ship (scripts/build.py)
        )


class Tablestore:
    """The register's table through the SDK, with plain Python values in and out."""

    def __init__(self, config: RegisterConfig, credentials: Callable[[], RoleCredentials]) -> None:
        self.config = config
        self._client = PerCredentials(credentials, functools.partial(_Client, config))

    def _sdk(self) -> Any:
        """The client for the credentials current now, built again when FC has issued new ones."""
        return self._client.get().sdk

    def forget(self) -> None:
        """Drop the client, so the next call builds one with whatever credentials are current then."""
        self._client.forget()

    def access_key_id(self) -> str:
        built = self._client.peek()
        return built.access_key_id if built else ""

    def get_row(self, uid: str) -> dict[str, Any] | None:
        _, row, _ = self._sdk().get_row(self.config.table, [("uid", uid)], max_version=1)
        return None if row is None else _attributes(row)

    def put_new(self, uid: str, columns: Columns) -> None:
        """PutRow that fails with OTSConditionCheckFail when the row exists."""
        from tablestore import Condition, Row, RowExistenceExpectation

        condition = Condition(RowExistenceExpectation.EXPECT_NOT_EXIST)
        self._sdk().put_row(self.config.table, Row([("uid", uid)], list(columns)), condition)

    def update_at(self, uid: str, columns: Columns, revision: int) -> None:
        """UpdateRow of every given column, only while the row is at `revision`. UpdateRow rather than PutRow so
        that a column written by a newer version of the functions survives an older one's save."""
        from tablestore import ComparatorType, Condition, Row, RowExistenceExpectation, SingleColumnCondition

        at_revision = SingleColumnCondition("revision", revision, ComparatorType.EQUAL, pass_if_missing=False)
        condition = Condition(RowExistenceExpectation.EXPECT_EXIST, at_revision)
        self._sdk().update_row(self.config.table, Row([("uid", uid)], {"PUT": list(columns)}), condition)

    def get_range(
        self, start: str | None, end: str | None, limit: int
    ) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
        """Rows with start <= uid < end (None: unbounded), at most `limit`, and where the next page starts."""
        from tablestore import INF_MAX, INF_MIN, Direction

        low = [("uid", INF_MIN if start is None else start)]
        high = [("uid", INF_MAX if end is None else end)]
        _, next_key, rows, _ = self._sdk().get_range(
            self.config.table, Direction.FORWARD, low, high, None, limit, max_version=1
        )
        found = [(str(dict(row.primary_key)["uid"]), _attributes(row)) for row in rows]
        return found, None if not next_key else str(dict(next_key)["uid"])

    def create_table(self) -> None:
        """Primary key uid STRING; one version, no TTL, no reserved throughput (any reserved CU is billed)."""
        from tablestore import CapacityUnit, ReservedThroughput, TableMeta, TableOptions

        meta = TableMeta(self.config.table, [("uid", "STRING")])
        options = TableOptions(time_to_live=-1, max_version=1)
        self._sdk().create_table(meta, options, ReservedThroughput(CapacityUnit(0, 0)))

    def primary_key(self) -> list[tuple[str, str]]:
        described = self._sdk().describe_table(self.config.table)
        return [(str(name), str(kind)) for name, kind, *_ in described.table_meta.schema_of_primary_key]


def describe(failure: Failure, table: str, instance: str, access_key_id: str = "") -> str:
    """The failure in words an operator can act on, naming the table and the instance."""
    if failure.kind == "missing":
        return (
            f"table {table} does not exist in Tablestore instance {instance} ({failure.message}): "
            "create it with `python -m shared.state create-table`"
        )
    if failure.kind == "auth":
        key = f" of access key {access_key_id}" if access_key_id else ""
        return (
            f"Tablestore instance {instance} refused the credentials{key}, freshly read ones included "
            f"({failure.message}): check the function role's STS credentials, its RAM policy on table {table}, "
            "and that the instance's network ACL admits the functions"
        )
    return (
        f"Tablestore refused a request on table {table} of instance {instance} ({failure.code}: {failure.message}): "
        "check TABLESTORE_ENDPOINT, TABLESTORE_INSTANCE and REGISTER_TABLE, and the role's permissions"
    )
