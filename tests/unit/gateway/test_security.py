"""API keys: their form, their stored digest, scopes and how a request presents them."""

from __future__ import annotations

import pytest

from services.gateway import security
from services.gateway.security import ANONYMOUS_READER, Principal

SECRET = "test-server-secret"


def test_a_new_key_is_stored_only_as_prefix_and_digest() -> None:
    made = security.new_key(SECRET)
    assert made.secret.startswith("reos_") and len(made.secret) == 48
    assert made.prefix == made.secret[: security.PREFIX_LENGTH]
    assert made.secret not in made.digest
    assert security.matches(made.secret, made.digest, SECRET)


def test_a_key_does_not_match_under_another_secret_or_when_altered() -> None:
    made = security.new_key(SECRET)
    assert not security.matches(made.secret, made.digest, "another-secret")
    assert not security.matches(made.secret[:-1] + "x", made.digest, SECRET)


def test_two_new_keys_differ() -> None:
    assert security.new_key(SECRET).secret != security.new_key(SECRET).secret


@pytest.mark.parametrize("key", ["", "reos_", "reos_short", "bearer-ish", "reos_" + "a" * 200])
def test_malformed_keys_have_no_lookup_prefix(key: str) -> None:
    assert security.prefix_of(key) is None


def test_scopes_nest_admin_over_operate_over_read() -> None:
    reader = Principal("r", security.parse_scopes("read"))
    operator = Principal("o", security.parse_scopes("operate"))
    admin = Principal("a", security.parse_scopes(["admin"]))
    assert (reader.allows("read"), reader.allows("operate")) == (True, False)
    assert (operator.allows("read"), operator.allows("operate"), operator.allows("admin")) == (
        True,
        True,
        False,
    )
    assert all(admin.allows(scope) for scope in security.SCOPES)
    assert ANONYMOUS_READER.anonymous and not ANONYMOUS_READER.allows("operate")


def test_scope_lists_are_parsed_strictly_and_shown_in_order() -> None:
    assert security.ordered(security.parse_scopes(" operate , read ")) == ["read", "operate"]
    with pytest.raises(ValueError, match="unknown scope"):
        security.parse_scopes("read,write")
    with pytest.raises(ValueError, match="at least one"):
        security.parse_scopes(" , ")
