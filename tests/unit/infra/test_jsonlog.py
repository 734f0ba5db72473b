"""JSON log lines: one object a line, the correlation id on it, secret-named values redacted wherever they sit."""

from __future__ import annotations

import io
import json

from shared.infra.jsonlog import REDACTED, JsonLogger, redact


def test_log_lines_are_json_with_correlation_id_and_no_secrets() -> None:
    stream = io.StringIO()
    log = JsonLogger("test", stream).bind(correlation_id="corr-9")
    log.info("built client", config={"access_key_secret": "s3cr3t", "security_token": "t0k3n", "region": "cn"})
    (line,) = stream.getvalue().splitlines()
    record = json.loads(line)
    assert record["correlation_id"] == "corr-9"
    assert record["config"] == {"access_key_secret": REDACTED, "security_token": REDACTED, "region": "cn"}
    assert "s3cr3t" not in line
    assert "t0k3n" not in line


def test_every_key_the_log_scanner_flags_is_redacted_however_it_is_spelled() -> None:
    from scripts.scan_logs import _SECRET_KEYS as FLAGGED

    for key in FLAGGED:
        snake = key.replace("secret", "_secret").replace("token", "-token").replace("key", "_key").lstrip("_-")
        for spelling in (key, key.upper(), snake, snake.title()):
            assert redact({spelling: "value"}) == {spelling: REDACTED}, spelling
    assert redact({"AccessKeySecret": "s", "access-key-secret": "s", "nested": [{"Security_Token": "t"}]}) == {
        "AccessKeySecret": REDACTED,
        "access-key-secret": REDACTED,
        "nested": [{"Security_Token": REDACTED}],
    }
    assert redact({"region": "cn-hangzhou", "token_count": 3}) == {"region": "cn-hangzhou", "token_count": 3}
