"""A client built per issue of the role's credentials: reused while FC keeps them, rebuilt when it issues new ones."""

from __future__ import annotations

from shared.infra.credentials import PerCredentials, RoleCredentials


def test_the_same_credentials_reuse_what_was_built_and_a_new_token_rebuilds_it() -> None:
    current = {"token": "t1"}
    built: list[str] = []

    def build(credentials: RoleCredentials) -> str:
        built.append(credentials.security_token)
        return f"client-{credentials.security_token}"

    clients = PerCredentials(lambda: RoleCredentials("STS.id", "secret", current["token"]), build)
    assert clients.peek() is None
    assert clients.get() == clients.get() == "client-t1"
    current["token"] = "t2"
    assert clients.get() == "client-t2"
    clients.forget()
    assert clients.peek() is None
    assert clients.get() == "client-t2"
    assert built == ["t1", "t2", "t2"]
