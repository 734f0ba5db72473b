"""Every error the MNS emulator answers with, in one table.

Codes, statuses and messages come from the MNS error reference (https://www.alibabacloud.com/help/doc-detail/27501.html)
and the operation pages. Where the docs are silent the row says `assumption:` and why it was chosen; change a row
here and every caller follows.
"""

from __future__ import annotations

from dataclasses import dataclass

from localcloud.wire import ServiceError

DOCS = "https://www.alibabacloud.com/help/doc-detail/27501.html"


@dataclass(frozen=True)
class MnsError:
    code: str
    status: int
    message: str
    source: str = DOCS

    def error(self, message: str | None = None) -> ServiceError:
        return ServiceError(self.status, self.code, message or self.message)


QUEUE_NOT_EXIST = MnsError("QueueNotExist", 404, "The queue name you provided is not exist.")
QUEUE_ALREADY_EXIST = MnsError(
    "QueueAlreadyExist",
    409,
    "The queue you want to create is already exist.",
    "https://developer.aliyun.com/ask/216797 (409 when attributes differ)",
)
MESSAGE_NOT_EXIST = MnsError("MessageNotExist", 404, "Message not exist.")
RECEIPT_HANDLE_ERROR = MnsError(
    "ReceiptHandleError",
    400,
    "The receipt handle you provide is not valid.",
    "assumption: English wording not published; the code and 400 are documented",
)
TOPIC_NOT_EXIST = MnsError(
    "TopicNotExist",
    404,
    "The topic you provided does not exist.",
    "assumption: status and wording inferred from an MPS doc mirror",
)
TOPIC_ALREADY_EXIST = MnsError(
    "TopicAlreadyExist",
    409,
    "The topic you want to create is already exist.",
    "assumption: 409 by analogy with QueueAlreadyExist",
)
SUBSCRIPTION_NOT_EXIST = MnsError(
    "SubscriptionNotExist",
    404,
    "The subscription you provided does not exist.",
    "assumption: code and status not published (the Go SDK may call it SubscriberNotExist)",
)
SUBSCRIPTION_ALREADY_EXIST = MnsError(
    "SubscriptionAlreadyExist",
    409,
    "The subscription you want to create is already exist.",
    "https://www.alibabacloud.com/help/zh/mns/developer-reference/subscribe-2",
)
INVALID_ARGUMENT = MnsError("InvalidArgument", 400, "The value of the argument is not valid.")
MALFORMED_XML = MnsError("MalformedXML", 400, "The XML you provided was not well-formed.")
INVALID_QUEUE_NAME = MnsError(
    "InvalidQueueName",
    400,
    "The queue name you provided is not valid: it starts with a letter, holds letters, digits and '-', "
    "and is at most 256 characters.",
)
INVALID_TOPIC_NAME = MnsError(
    "InvalidTopicName",
    400,
    "The topic name you provided is not valid: it starts with a letter, holds letters, digits and '-', "
    "and is at most 256 characters.",
    "assumption: named by analogy with InvalidQueueName",
)
MISSING_RECEIPT_HANDLE = MnsError("MissingReceiptHandle", 400, "ReceiptHandle is mandatory for this action.")
MISSING_VISIBILITY_TIMEOUT = MnsError(
    "MissingVisibilityTimeout", 400, "VisibilityTimeout is mandatory for this action."
)
SIGNATURE_DOES_NOT_MATCH = MnsError(
    "SignatureDoesNotMatch",
    403,
    "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
)
INVALID_ACCESS_KEY_ID = MnsError("InvalidAccessKeyId", 403, "The AccessKey Id you provided is not exist.")
ACCESS_DENIED = MnsError(
    "AccessDenied", 403, "The OwnerId that your Access Key Id associated to is forbidden for this operation."
)
MISSING_AUTHORIZATION = MnsError("MissingAuthorizationHeader", 400, "Authorization header is required.")
INVALID_AUTHORIZATION = MnsError("InvalidAuthorizationHeader", 400, "The Authorization header format is invalid.")
MISSING_DATE = MnsError("MissingDateHeader", 400, "The Date header is required.")
INVALID_DATE = MnsError("InvalidDateHeader", 400, "The Date header format is invalid.")
TIME_EXPIRED = MnsError(
    "TimeExpired", 408, "The http request you sent is expired: its Date is more than 15 minutes from server time."
)
INVALID_DIGEST = MnsError("InvalidDegist", 400, "The Content-MD5 you specified is invalid.")
INVALID_SECURITY_TOKEN = MnsError(
    "InvalidSecurityToken",
    403,
    "The security token you provided is missing or does not match the AccessKey Id.",
    "assumption: MNS publishes no STS error codes; named after the POP gateway's InvalidSecurityToken.*",
)
SECURITY_TOKEN_EXPIRED = MnsError(
    "SecurityTokenExpired",
    403,
    "The security token you provided has expired.",
    "assumption: MNS publishes no STS error codes",
)
INTERNAL_ERROR = MnsError("InternalError", 500, "Interal error.")
UNKNOWN_RESOURCE = MnsError(
    "InvalidArgument",
    400,
    "The resource you requested is not a known MNS operation.",
    "assumption: the real answer to an unknown path is not documented",
)


def out_of_range(element: str, low: int, high: int, unit: str = "seconds") -> ServiceError:
    """The documented wording for a value outside its range."""
    return INVALID_ARGUMENT.error(f"The value of {element} should between {low} and {high} {unit}.")


def schema_violation(element: str) -> ServiceError:
    return INVALID_ARGUMENT.error(
        f"The XML you provided did not validate against our published schema, cause by {element}."
    )
