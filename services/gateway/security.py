"""API keys: what they look like, how they are stored, what their scopes allow.

A key is `reos_` followed by 43 random URL-safe characters (256 bits). Only its first
`PREFIX_LENGTH` characters (to find and name it) and its HMAC-SHA256 under the server's
secret (`REOS_API_KEY_SECRET`) are stored; the key itself is shown once, when created.
A presented key is looked up by its prefix and accepted when the HMACs are equal, compared
in constant time.

Scopes nest: `admin` includes `operate`, which includes `read`. Reading needs `read`
(or anonymous reads switched on), triggering, cancelling and replaying need `operate`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

Scope = Literal["read", "operate", "admin"]
SCOPES: tuple[Scope, ...] = get_args(Scope)
KEY_PREFIX = "reos_"
PREFIX_LENGTH = 12
MAX_KEY_LENGTH = 128

_RANK: dict[str, int] = {scope: rank for rank, scope in enumerate(SCOPES)}


@dataclass(frozen=True)
class NewKey:
    """A freshly made key: `secret` is shown once, the rest is stored."""

    secret: str
    prefix: str
    digest: str


@dataclass(frozen=True)
class Principal:
    """Who is calling: a named key with its scopes, or an anonymous reader."""

    name: str
    scopes: frozenset[Scope]
    key_id: int | None = None

    @property
    def anonymous(self) -> bool:
        return self.key_id is None

    def allows(self, scope: Scope) -> bool:
        return any(_RANK[held] >= _RANK[scope] for held in self.scopes)


ANONYMOUS_READER = Principal(name="anonymous", scopes=frozenset({"read"}))


def digest(key: str, server_secret: str) -> str:
    """The stored form of `key`: hex HMAC-SHA256 under the server secret."""
    return hmac.new(server_secret.encode(), key.encode(), hashlib.sha256).hexdigest()


def new_key(server_secret: str) -> NewKey:
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    return NewKey(secret=key, prefix=key[:PREFIX_LENGTH], digest=digest(key, server_secret))


def prefix_of(key: str) -> str | None:
    """The lookup prefix of a presented key, or None when it cannot be one of ours."""
    if not key.startswith(KEY_PREFIX) or not PREFIX_LENGTH < len(key) <= MAX_KEY_LENGTH:
        return None
    return key[:PREFIX_LENGTH]


def matches(key: str, stored_digest: str, server_secret: str) -> bool:
    return hmac.compare_digest(digest(key, server_secret), stored_digest)


def parse_scopes(text: str | Iterable[str]) -> frozenset[Scope]:
    """`"read,operate"` (or a list of names) as scopes; raises ValueError on unknown ones."""
    names = text.split(",") if isinstance(text, str) else list(text)
    cleaned = {name.strip() for name in names if name.strip()}
    unknown = sorted(cleaned - set(SCOPES))
    if unknown:
        raise ValueError(f"unknown scope(s) {', '.join(unknown)}; choose from {', '.join(SCOPES)}")
    if not cleaned:
        raise ValueError(f"give at least one scope of {', '.join(SCOPES)}")
    return frozenset(scope for scope in SCOPES if scope in cleaned)


def ordered(scopes: Iterable[str]) -> list[str]:
    """Scopes in their natural order (read, operate, admin), for storing and showing."""
    held = set(scopes)
    return [scope for scope in SCOPES if scope in held]
