"""The functions' deployment on the session's local cloud, for every test that calls a handler in-process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localcloud import LocalCloud
from shared import wiring
from tests.integration.deployment import Deployment


@pytest.fixture
def deployment(cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> Iterator[Deployment]:
    deployed = Deployment(cloud)
    for name, value in deployed.env().items():
        monkeypatch.setenv(name, value)
    wiring.reset()
    yield deployed
    wiring.reset()
