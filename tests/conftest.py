"""One local cloud per test session on free ports, reset before every test that asks for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localcloud import LocalCloud, LocalCloudConfig


@pytest.fixture(scope="session")
def _session_cloud() -> Iterator[LocalCloud]:
    with LocalCloud(LocalCloudConfig.ephemeral()) as cloud:
        yield cloud


@pytest.fixture
def cloud(_session_cloud: LocalCloud) -> LocalCloud:
    _session_cloud.reset()
    return _session_cloud
