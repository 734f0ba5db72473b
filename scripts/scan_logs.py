"""Scan logs for what must never be in them: secrets, secret-named fields with values, unmasked mobiles.

    python scripts/scan_logs.py LOGFILE... [--secret VALUE ...]

The product promises that its logs hold no AccessKey secret, no STS token and no whole mobile number
(shared/infra/jsonlog.py redacts secret-named keys, shared/contract/mobile.py masks mobiles). This checks the
promise from the outside, on the logs a run really wrote, so a new log line or a careless error message cannot
break it silently. Known secrets come from `--secret` and from ALIBABA_CLOUD_ACCESS_KEY_SECRET,
ALIBABA_CLOUD_SECURITY_TOKEN, WEBHOOK_SECRET and the HR platforms' secrets (DINGTALK_TOKEN, DINGTALK_AES_KEY,
DINGTALK_APP_SECRET, FEISHU_ENCRYPT_KEY, FEISHU_VERIFICATION_TOKEN) when set. A finding names the file, line and
kind, with a hint that never contains the secret; the last line is `findings: N`, and the exit status is 1 when
N > 0.

Three kinds of finding:

- `secret`: a known secret's value, as is or JSON-escaped, anywhere in a line.
- `secret-field`: a JSON log line (or a `key=value` / `key: value` pair in a plain line) whose key names a
  secret (AccessKeySecret, SecurityToken, signature, authorization, password, ...) with a value that is not
  empty, `[redacted]` or all asterisks.
- `mobile`: a mobile number in a form shared/contract/mobile.py accepts, not masked:
  `+` and a country code (never 0) with 8 to 15 digits in all; `00` and the same (`(0086) 138.1234.5678`);
  or a mainland mobile, 11 digits `1[3-9]` plain or grouped 3-4-4 by spaces or dashes.

The mobile heuristic, and why it does not flag ids: logs are full of long digit strings (16-digit UIDs,
workspace ids, account ids, epoch milliseconds, request ids), and any 11 consecutive digits of one look like a
mainland mobile. So a number counts only when it is a whole token: no letter or digit touches it on either
side (hex ids and digit runs are one token), it is not preceded by `.` (a decimal) and not followed by `*`
(the masked form `+86 139******34` keeps the country code and three digits, never 8). A `+` or `00` number
takes in every group of digits that follows it, so that backtracking cannot cut a longer number down to a
mobile-sized piece; a token that merely starts with digits (`24C4895304DCDBFF0CE8E860`, an FC request id, or
`2nd`) is a word, not a group, and ends the number before it.

Dashes join the groups of a mobile, and the segments of hex ids too, which are now and then all digits: UUID
`65e0abfd-0068-5657-8096-bfbab7726a62` holds `0068-5657-8096`, an `00` number by shape, UUID
`9302386f-0e9b-4a10-932c-002019306204` ends in one, and the MNS message id
`EE9601DCA7BE7500-1-19355292754-200484734` holds 11 digits between dashes. So digits inside a hex id are never
a mobile. A hex id is a run of two or more hex segments joined by dashes (within a longer dash-joined token,
such as `req-<uuid>`, the run of its hex segments) that is UUID-shaped (8-4-4-4-12), or has a segment of 16
or more characters (no part of a mobile), or has a segment mixing digits and the letters a-f, as random hex
all but always does: FC request ids `1-<8 hex>-<24 hex>`, MNS message ids `<16 hex>-1-<hex ms>-<seq>` and
receipt handles. A mobile grouped by dashes is all digits, so it is no hex id, and neither is
`dead-138-1234-5678`; a mobile beside an id, not glued to it by a dash, is found.

A bare 11-digit number under a JSON key naming an id (`uid`, `id`, `*_id`, `*Id`) is an id, not a mobile: the
contract allows 11-digit UIDs, and a leak would not be named that way. Numbers with `+` or `00` are checked
under every key. JSON numbers with a fraction are never mobiles. An 11-digit id starting 13-19 in free text is
indistinguishable from a mainland mobile and is reported: better a false alarm than a leak.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

SECRET = "secret"  # noqa: S105 - the name of a kind of finding
SECRET_FIELD = "secret-field"  # noqa: S105 - likewise
MOBILE = "mobile"

SECRET_VARIABLES = (
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    "ALIBABA_CLOUD_SECURITY_TOKEN",
    "WEBHOOK_SECRET",
    "DINGTALK_TOKEN",
    "DINGTALK_AES_KEY",
    "DINGTALK_APP_SECRET",
    "FEISHU_ENCRYPT_KEY",
    "FEISHU_VERIFICATION_TOKEN",
)
MIN_SECRET_LENGTH = 4
"""Shorter values would match all over a log; no real secret is that short."""

_SECRET_KEYS = frozenset(
    {
        "accesskeysecret",
        "alibabacloudaccesskeysecret",
        "securitytoken",
        "alibabacloudsecuritytoken",
        "ststoken",
        "authorization",
        "signature",
        "xsignature",
        "webhooksecret",
        "secret",
        "clientsecret",
        "password",
        "passwd",
        "token",
        "accesstoken",
        "privatekey",
        "apikey",
    }
)
_EMPTY_VALUES = frozenset({"", "[redacted]", "none", "null"})

_NOT_BEFORE = r"(?<![0-9A-Za-z+*.])"
_NOT_AFTER = r"(?![0-9A-Za-z*])"
_SEP = r"[ .()-]"
# Each prefixed form must end where the run of digits and separators ends, so a lookahead forbids stopping
# before a separator and a group of digits: backtracking cannot cut a long number down to a mobile-sized piece.
# A token that only starts with digits (`24C4895304DCDBFF0CE8E860`, a request id) is a word, not a group.
_END = rf"{_NOT_AFTER}(?!{_SEP}{{1,2}}\d+(?![0-9A-Za-z]))"
_PLUS = re.compile(rf"{_NOT_BEFORE}\+[1-9](?:{_SEP}{{0,2}}\d){{7,14}}{_END}")
_DOUBLE_ZERO = re.compile(rf"{_NOT_BEFORE}\(?00\)?[ -]?[1-9](?:{_SEP}{{0,2}}\d){{7,14}}{_END}")
_MAINLAND = re.compile(rf"{_NOT_BEFORE}1[3-9]\d(?:[ -]?\d{{4}}){{2}}{_NOT_AFTER}")
# The value is looked at, not consumed, so that in "config: token=abc" the search goes on to find "token"; only
# a colon may have spaces after it, so "token= region=x" is an empty token, not one valued "region=x".
_PAIR = re.compile(r"""(?P<key>[A-Za-z][A-Za-z0-9_-]*)["']?(?:\s*:\s*|\s*=)["']?(?=(?P<value>[^\s"',;}\]]*))""")
_ID_KEY = re.compile(r"^(?:id|uid|.*[_-]id|.*[a-z]Id|.*ID)$")
# Two or more whole hex segments joined by dashes, as many as there are (the search goes left to right, so a
# run starts at its first segment); each segment starts and ends at a dash or at a token's edge.
_HEX_RUN = re.compile(r"(?<![0-9A-Za-z])[0-9A-Fa-f]+(?:-[0-9A-Fa-f]+)+(?![0-9A-Za-z])")
_UUID_SHAPE = (8, 4, 4, 4, 12)
LONG_HEX = 16
"""A dash-joined segment this long is no part of a mobile (E.164 allows 15 digits in all): an id."""


@dataclass(frozen=True)
class Finding:
    line: int
    kind: str
    hint: str
    """Where to look and what it is, never the secret itself."""
    path: str = ""

    def __str__(self) -> str:
        return f"{self.path or '-'}:{self.line}: {self.kind}: {self.hint}"


def _normal_key(key: str) -> str:
    return key.lower().replace("_", "").replace("-", "")


def is_secret_key(key: str) -> bool:
    return _normal_key(key) in _SECRET_KEYS


def _has_value(value: object) -> bool:
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, (dict, list)):
        return len(value) > 0
    text = str(value).strip()
    return text.lower() not in _EMPTY_VALUES and set(text) != {"*"}


def _mask_number(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    prefix = "+" if text.lstrip("(").startswith("+") else ("00" if re.match(r"\(?00", text) else "")
    if prefix == "00":
        digits = digits[2:]
        prefix = "+"
    return f"{prefix}{digits[:3]}{'*' * (len(digits) - 5)}{digits[-2:]}"


def _is_hex_id(segments: Sequence[str]) -> bool:
    """Whether dash-joined hex segments are an id (see the module docstring), never a mobile."""
    if len(segments) < 2:
        return False
    lengths = tuple(len(segment) for segment in segments)
    if any(lengths[i : i + len(_UUID_SHAPE)] == _UUID_SHAPE for i in range(len(lengths) - len(_UUID_SHAPE) + 1)):
        return True
    return any(len(segment) >= LONG_HEX or not (segment.isdigit() or segment.isalpha()) for segment in segments)


def _hex_id_spans(text: str) -> Iterator[tuple[int, int]]:
    """Where the hex ids in `text` are."""
    if "-" in text:
        for run in _HEX_RUN.finditer(text):
            if _is_hex_id(run.group().split("-")):
                yield run.span()


def _without_hex_ids(text: str) -> str:
    """`text` with every hex id replaced by as many letters, which no mobile can start, end or run through."""
    pieces: list[str] = []
    done = 0
    for start, end in _hex_id_spans(text):
        pieces += [text[done:start], "x" * (end - start)]
        done = end
    return "".join(pieces) + text[done:] if pieces else text


def _mobiles(text: str, id_valued: bool) -> Iterator[str]:
    """Masked hints of the unmasked mobiles in `text`."""
    text = _without_hex_ids(text)
    taken: list[tuple[int, int]] = []
    patterns = (_PLUS, _DOUBLE_ZERO) if id_valued else (_PLUS, _DOUBLE_ZERO, _MAINLAND)
    for pattern in patterns:
        for match in pattern.finditer(text):
            if any(start < match.end() and match.start() < end for start, end in taken):
                continue  # a mainland number inside a +86 one already found
            taken.append(match.span())
            yield _mask_number(match.group())


def _json_document(line: str) -> tuple[object, str] | None:
    """The JSON object in a line, and the text around it (a prefix such as a timestamp, say)."""
    start, end = line.find("{"), line.rfind("}")
    if start < 0 or end < start:
        return None
    try:
        return json.loads(line[start : end + 1]), f"{line[:start]} {line[end + 1 :]}"
    except ValueError:
        return None


def _plain(text: str, id_valued: bool = False) -> Iterator[tuple[str, str]]:
    for pair in _PAIR.finditer(text):
        if is_secret_key(pair["key"]) and _has_value(pair["value"]):
            yield SECRET_FIELD, f'key "{pair["key"]}" has a value ({len(pair["value"])} characters)'
    for hint in _mobiles(text, id_valued):
        yield MOBILE, hint


def _walk(value: object, key: str = "") -> Iterator[tuple[str, object]]:
    """Every (key, leaf) pair of a JSON document; list items keep the key of their list."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k), v
            if isinstance(v, (dict, list)):
                yield from _walk(v, str(k))
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)):
                yield from _walk(item, key)
            else:
                yield key, item


def _secret_variants(secret: str) -> set[str]:
    """The value as is and as JSON writes it in a string, with and without non-ASCII escaped."""
    return {secret, json.dumps(secret, ensure_ascii=False)[1:-1], json.dumps(secret)[1:-1]}


def scan(lines: Iterable[str], secrets: Sequence[str] = ()) -> list[Finding]:
    """Every finding in `lines`, numbered from 1; `secrets` are values that must appear nowhere."""
    known = [(i, _secret_variants(s)) for i, s in enumerate(secrets, 1) if len(s.strip()) >= MIN_SECRET_LENGTH]
    findings: list[Finding] = []
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n")
        found: list[tuple[str, str]] = []
        for index, variants in known:
            if any(v in line for v in variants):
                found.append((SECRET, f"known secret #{index} ({len(secrets[index - 1])} characters)"))
        parsed = _json_document(line)
        if parsed is not None and isinstance(parsed[0], (dict, list)):
            document, around = parsed
            for key, value in _walk(document):
                if is_secret_key(key) and _has_value(value):
                    found.append((SECRET_FIELD, f'key "{key}" has a value ({len(str(value))} characters)'))
                elif isinstance(value, (str, int)) and not isinstance(value, bool):
                    found += _plain(str(value), id_valued=bool(_ID_KEY.match(key)))
            found += _plain(around)
        else:
            found += _plain(line)
        findings += [Finding(number, kind, hint) for kind, hint in found]
    return findings


def scan_file(path: Path, secrets: Sequence[str] = ()) -> list[Finding]:
    with path.open(encoding="utf-8", errors="replace") as lines:
        return [Finding(f.line, f.kind, f.hint, str(path)) for f in scan(lines, secrets)]


def known_secrets(environ: Mapping[str, str] | None = None) -> list[str]:
    """The secrets a deployment's environment holds: what its logs must never show."""
    env = os.environ if environ is None else environ
    return [env[name] for name in SECRET_VARIABLES if env.get(name)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("logs", nargs="+", type=Path, metavar="LOGFILE")
    parser.add_argument("--secret", action="append", default=[], help="a value that must appear nowhere (repeat)")
    args = parser.parse_args(argv)
    secrets = [*args.secret, *known_secrets()]
    findings: list[Finding] = []
    for path in args.logs:
        try:
            findings += scan_file(path, secrets)
        except OSError as error:
            print(f"scan_logs: {path}: {error.strerror}", file=sys.stderr)
            return 2
    for finding in findings:
        print(finding)
    print(f"findings: {len(findings)}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
