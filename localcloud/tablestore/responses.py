"""Tablestore wire format: `POST /<Action>` with a protobuf body in, a signed protobuf body out.

Every answer carries `x-ots-date`, `x-ots-requestid`, `x-ots-contentmd5`, `x-ots-contenttype` and, when the
caller's key is known, `Authorization: OTS <akid>:<signature>` over them (the SDK refuses a 2xx without it and
checks it on errors too, except 403 `OTSAuthFailed`, which is therefore left unsigned). Errors are protobuf
`Error{code, message}`. Field numbers are those of the SDK's `table_store.proto`, named at each use.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timezone

from localcloud.credentials import CredentialStore
from localcloud.tablestore import plainbuffer as pb
from localcloud.tablestore import signature, urls
from localcloud.tablestore.errors import OtsError
from localcloud.tablestore.models import Condition, ReadOptions, TableOptions, TablestoreBackend
from localcloud.tablestore.protobuf import Message, Writer, decode
from localcloud.wire import Operation, Request, Response, ServiceError

CONTENT_TYPE = "protocol buffer"
MAX_BATCH_GET = 100
MAX_BATCH_WRITE = 200
RT_PK = 1


def _consumed(read: int, write: int) -> Writer:
    """ConsumedCapacity{capacity_unit=1 CapacityUnit{read=1, write=2}}; constants, as the SDK only parses them."""
    return Writer().message(1, Writer().varint(1, read).varint(2, write))


def _error_message(error: ServiceError) -> Writer:
    return Writer().text(1, error.code).text(2, error.message)


def _condition(message: Message) -> Condition:
    return Condition(row_existence=message.integer(1), column_condition=message.blob(2))


def _read_options(message: Message, columns: int, time_range: int, max_versions: int, filter_: int) -> ReadOptions:
    read = ReadOptions(columns_to_get=message.repeated_str(columns), filter=message.blob(filter_))
    if message.has(time_range):
        tr = message.message(time_range)
        read.start_time = tr.integer(1) if tr.has(1) else None
        read.end_time = tr.integer(2) if tr.has(2) else None
        read.specific_time = tr.integer(3) if tr.has(3) else None
        read.max_versions = message.integer(max_versions) if message.has(max_versions) else 2**31
    elif message.has(max_versions):
        read.max_versions = message.integer(max_versions)
        if read.max_versions <= 0:
            raise OtsError.INVALID_ASSUMED.error(detail="The max versions must be greater than 0.")
    else:
        raise OtsError.INVALID_ASSUMED.error(detail="Neither time range nor max versions is specified.")
    return read


def _utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class TablestoreService:
    def __init__(self, backend: TablestoreBackend, credentials: CredentialStore) -> None:
        self.name = "tablestore"
        self.backend = backend
        self.credentials = credentials
        self._handlers: dict[str, Callable[[Request], bytes]] = {
            "CreateTable": self._create_table,
            "ListTable": self._list_table,
            "DescribeTable": self._describe_table,
            "DeleteTable": self._delete_table,
            "GetRow": self._get_row,
            "PutRow": self._put_row,
            "UpdateRow": self._update_row,
            "DeleteRow": self._delete_row,
            "BatchGetRow": self._batch_get_row,
            "BatchWriteRow": self._batch_write_row,
            "GetRange": self._get_range,
        }

    # Service protocol

    def resolve(self, request: Request) -> Operation:
        action = urls.route(request)
        params = {"instance": request.header("x-ots-instancename")}
        try:  # the table name is for the call log only: a body that does not parse is refused after authentication
            if action == "CreateTable":
                params["table"] = decode(request.body).message(1).text(1)
            elif action in ("DescribeTable", "DeleteTable", "GetRow", "PutRow", "UpdateRow", "DeleteRow", "GetRange"):
                params["table"] = decode(request.body).text(1)
        except ServiceError:
            pass
        handler = self._handlers[action]
        return Operation(action=action, handler=lambda r: self._respond(r, action, 200, handler(r)), params=params)

    def authenticate(self, request: Request, operation: Operation) -> str:
        signer = signature.verify(request, operation.action, self.credentials, self.backend.instance)
        if not signer.credential.permits(f"ots:{operation.action}"):
            raise OtsError.NO_PERMISSION.error()
        return signer.credential.access_key_id

    def render_error(self, request: Request, error: ServiceError) -> Response:
        action = request.path.rstrip("/").rsplit("/", 1)[-1]
        return self._respond(
            request, action, error.status, bytes(_error_message(error)), signed=error.code != "OTSAuthFailed"
        )

    def request_id(self, response: Response) -> str:
        return response.headers.get("x-ots-requestid", "")

    def _respond(self, request: Request, action: str, status: int, body: bytes, signed: bool = True) -> Response:
        headers = {
            "x-ots-date": _utc_now(),
            "x-ots-requestid": str(uuid.uuid4()),
            "x-ots-contentmd5": signature.content_md5(body),
            "x-ots-contenttype": CONTENT_TYPE,
        }
        if signed:
            try:
                signer = signature.verify(request, action, self.credentials, self.backend.instance)
            except ServiceError:
                signer = None
            if signer is not None:
                mac = signature.sign_response(signer.key, action, headers)
                headers["Authorization"] = f"OTS {signer.credential.access_key_id}:{mac}"
        return Response(status, body, headers)

    # Tables

    def _create_table(self, request: Request) -> bytes:
        message = decode(request.body)
        meta = message.message(1)
        primary_key = [(pk.text(1), pk.integer(2)) for pk in meta.messages(2)]
        for pk in meta.messages(2):
            if pk.has(3):
                raise OtsError.INVALID_ASSUMED.error(
                    detail="AUTO_INCREMENT primary keys are not supported by the local cloud."
                )
        defined = [(col.text(1), col.integer(2)) for col in meta.messages(3)]
        cu = message.message(2).message(1)
        options = TableOptions()
        if message.has(3):
            raw = message.message(3)
            options = TableOptions(
                time_to_live=raw.integer(1, -1),
                max_versions=raw.integer(2, 1),
                deviation_cell_version_in_sec=raw.integer(5, 86400),
                allow_update=bool(raw.integer(6, 1)),
            )
        self.backend.create_table(meta.text(1), primary_key, defined, options, cu.integer(1), cu.integer(2))
        return b""

    def _list_table(self, request: Request) -> bytes:
        out = Writer()
        for name in self.backend.list_tables():
            out.text(1, name)
        return bytes(out)

    def _describe_table(self, request: Request) -> bytes:
        table = self.backend.table(decode(request.body).text(1))
        meta = Writer().text(1, table.name)
        for name, pk_type in table.primary_key:
            meta.message(2, Writer().text(1, name).varint(2, pk_type))
        for name, col_type in table.defined_columns:
            meta.message(3, Writer().text(1, name).varint(2, col_type))
        throughput = Writer().message(1, Writer().varint(1, table.read_cu).varint(2, table.write_cu))
        throughput.varint(2, table.created_at)
        opts = table.options
        options = (
            Writer()
            .varint(1, opts.time_to_live)
            .varint(2, opts.max_versions)
            .varint(5, opts.deviation_cell_version_in_sec)
            .flag(6, opts.allow_update)
        )
        return bytes(
            Writer()
            .message(1, meta)
            .message(2, throughput)
            .message(3, options)
            .message(5, Writer().flag(1, False))  # StreamDetails{enable_stream}
            .message(7, Writer().flag(1, False))  # SSEDetails{enable}
        )

    def _delete_table(self, request: Request) -> bytes:
        self.backend.delete_table(decode(request.body).text(1))
        return b""

    # Single rows

    def _get_row(self, request: Request) -> bytes:
        message = decode(request.body)
        row = pb.decode_row(message.blob(2))
        read = _read_options(message, columns=3, time_range=4, max_versions=5, filter_=7)
        found = self.backend.get_row(message.text(1), row.primary_key, read)
        return bytes(Writer().message(1, _consumed(1, 0)).blob(2, pb.encode_rows([found] if found else [])))

    def _write_response(self, message: Message, primary_key: list[tuple[str, pb.Value]]) -> bytes:
        out = Writer().message(1, _consumed(0, 1))
        if message.has(4) and message.message(4).integer(1) == RT_PK:
            out.blob(2, pb.encode_rows([pb.Row(primary_key)]))
        return bytes(out)

    def _put_row(self, request: Request) -> bytes:
        message = decode(request.body)
        row = pb.decode_row(message.blob(2))
        self.backend.put_row(message.text(1), row, _condition(message.message(3)))
        return self._write_response(message, row.primary_key)

    def _update_row(self, request: Request) -> bytes:
        message = decode(request.body)
        row = pb.decode_row(message.blob(2))
        self.backend.update_row(message.text(1), row, _condition(message.message(3)))
        return self._write_response(message, row.primary_key)

    def _delete_row(self, request: Request) -> bytes:
        message = decode(request.body)
        row = pb.decode_row(message.blob(2))
        self.backend.delete_row(message.text(1), row, _condition(message.message(3)))
        return self._write_response(message, row.primary_key)

    # Batches and ranges

    def _batch_get_row(self, request: Request) -> bytes:
        tables = decode(request.body).messages(1)
        count = sum(len(t.repeated_bytes(2)) for t in tables)
        if count == 0:
            raise OtsError.PARAMETER_INVALID.error(detail="No row specified in the request of BatchGetRow.")
        if count > MAX_BATCH_GET:
            raise OtsError.INVALID_ASSUMED.error(detail=f"Rows count exceeds the upper limit: {MAX_BATCH_GET}.")
        out = Writer()
        for table in tables:
            name = table.text(1)
            read = _read_options(table, columns=4, time_range=5, max_versions=6, filter_=8)
            result = Writer().text(1, name)
            for encoded in table.repeated_bytes(2):
                try:
                    found = self.backend.get_row(name, pb.decode_row(encoded).primary_key, read)
                    item = Writer().flag(1, True).message(3, _consumed(1, 0))
                    item.blob(4, pb.encode_rows([found] if found else []))
                except ServiceError as error:
                    item = Writer().flag(1, False).message(2, _error_message(error))
                result.message(2, item)
            out.message(1, result)
        return bytes(out)

    def _batch_write_row(self, request: Request) -> bytes:
        tables = decode(request.body).messages(1)
        count = 0
        for table in tables:
            rows = table.messages(2)
            if not rows:
                raise OtsError.PARAMETER_INVALID.error(
                    detail=f"No operation is specified for table: '{table.text(1)}'."
                )
            count += len(rows)
        if count == 0:
            raise OtsError.PARAMETER_INVALID.error(detail="No row is specified in BatchWriteRow.")
        if count > MAX_BATCH_WRITE:
            raise OtsError.INVALID_ASSUMED.error(detail=f"Rows count exceeds the upper limit: {MAX_BATCH_WRITE}.")
        operations = {1: self.backend.put_row, 2: self.backend.update_row, 3: self.backend.delete_row}
        out = Writer()
        for table in tables:
            name = table.text(1)
            result = Writer().text(1, name)
            for row_message in table.messages(2):
                try:
                    operation = operations.get(row_message.integer(1))
                    if operation is None:
                        raise OtsError.INVALID_ASSUMED.error(
                            detail=f"Invalid operation type: {row_message.integer(1)}."
                        )
                    row = pb.decode_row(row_message.blob(2))
                    operation(name, row, _condition(row_message.message(3)))
                    item = Writer().flag(1, True).message(3, _consumed(0, 1))
                    if row_message.has(4) and row_message.message(4).integer(1) == RT_PK:
                        item.blob(4, pb.encode_rows([pb.Row(row.primary_key)]))
                except ServiceError as error:
                    item = Writer().flag(1, False).message(2, _error_message(error))
                result.message(2, item)
            out.message(1, result)
        return bytes(out)

    def _get_range(self, request: Request) -> bytes:
        message = decode(request.body)
        read = _read_options(message, columns=3, time_range=4, max_versions=5, filter_=10)
        start = pb.decode_row(message.blob(7)).primary_key
        end = pb.decode_row(message.blob(8)).primary_key
        limit = message.integer(6) if message.has(6) else None
        rows, next_key = self.backend.get_range(message.text(1), start, end, message.integer(2) == 1, limit, read)
        out = Writer().message(1, _consumed(max(1, len(rows)), 0)).blob(2, pb.encode_rows(rows))
        if next_key is not None:
            names = [name for name, _ in self.backend.table(message.text(1)).primary_key]
            out.blob(3, pb.encode_rows([pb.Row(list(zip(names, next_key, strict=True)))]))
        return bytes(out)
