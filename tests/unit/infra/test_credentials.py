"""Role credentials: the FC context wins over the environment, and a secret never shows in a repr."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from shared.infra import credentials


def test_context_credentials_win_over_the_environment() -> None:
    context = SimpleNamespace(
        credentials=SimpleNamespace(access_key_id="ctx", access_key_secret="ctx-s", security_token="ctx-t")
    )
    env = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "env", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "env-s"}
    assert credentials.resolve(context, env).access_key_id == "ctx"
    assert credentials.resolve(SimpleNamespace(), env).access_key_id == "env"
    assert "ctx-s" not in repr(credentials.resolve(context, env))
    with pytest.raises(credentials.CredentialsMissingError):
        credentials.resolve(None, {})
