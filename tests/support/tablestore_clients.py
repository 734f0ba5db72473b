"""The official Tablestore SDK aimed at the local cloud's emulator, as the product would build it.

`native_fallback=False` so that on CPython 3.12 the SDK's C++ codec decodes every row answer and any response
it would reject fails the test instead of silently falling back to the Python decoder.
"""

from __future__ import annotations

from typing import Any

from tablestore import OTSClient
from tablestore.retry import NoRetryPolicy

from localcloud import LocalCloud


def ots_client(cloud: LocalCloud, *, v4: bool = False, **overrides: Any) -> Any:
    cfg = cloud.config
    kwargs: dict[str, Any] = {
        "sts_token": cfg.security_token,
        "retry_policy": NoRetryPolicy(),
        "native_fallback": False,
        "logger_name": "tablestore-tests",
    }
    if v4:
        kwargs["region"] = cfg.region
    kwargs.update(overrides)
    access_key_id = kwargs.pop("access_key_id", cfg.access_key_id)
    secret = kwargs.pop("access_key_secret", cfg.access_key_secret)
    instance = kwargs.pop("instance_name", cfg.tablestore_instance)
    return OTSClient(cloud.tablestore_endpoint, access_key_id, secret, instance, **kwargs)
