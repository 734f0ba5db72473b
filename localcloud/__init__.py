"""A local Alibaba Cloud for this product: wire-compatible MNS, DMS and Tablestore emulators with a control plane."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localcloud.app import LocalCloud
    from localcloud.config import LocalCloudConfig

__all__ = ["LocalCloud", "LocalCloudConfig"]


def __getattr__(name: str) -> Any:
    """Lazy, so that importing one submodule (say the control client) does not start up every emulator."""
    if name == "LocalCloud":
        from localcloud.app import LocalCloud

        return LocalCloud
    if name == "LocalCloudConfig":
        from localcloud.config import LocalCloudConfig

        return LocalCloudConfig
    raise AttributeError(name)
