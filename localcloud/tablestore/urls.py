"""Tablestore routes: `POST /<Action>` with no query; the endpoint's path prefix, if any, is not used."""

from __future__ import annotations

from localcloud.tablestore.errors import OtsError
from localcloud.wire import Request

ACTIONS = (
    "CreateTable",
    "ListTable",
    "DescribeTable",
    "DeleteTable",
    "GetRow",
    "PutRow",
    "UpdateRow",
    "DeleteRow",
    "BatchGetRow",
    "BatchWriteRow",
    "GetRange",
)
MAX_BODY = 5 * 1024 * 1024


def route(request: Request) -> str:
    action = request.path.rstrip("/").rsplit("/", 1)[-1]
    if request.method != "POST":
        raise OtsError.METHOD_NOT_ALLOWED.error()
    if action not in ACTIONS:
        raise OtsError.UNSUPPORTED_OPERATION.error(operation=action)
    if len(request.body) > MAX_BODY:
        raise OtsError.BODY_TOO_LARGE.error()
    return action
