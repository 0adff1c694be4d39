"""SQL of the API keys (the gateway's `api_keys` table)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.gateway.queries import Row, fetch_all
from shared.db.tables import api_keys


async def insert_key(
    connection: AsyncConnection, name: str, prefix: str, digest: str, scopes: Iterable[str]
) -> int:
    key_id = await connection.scalar(
        sa.insert(api_keys)
        .values(name=name, key_prefix=prefix, key_hash=digest, scopes=list(scopes))
        .returning(api_keys.c.id)
    )
    assert key_id is not None
    return int(key_id)


async def live_keys_with_prefix(connection: AsyncConnection, prefix: str) -> list[Row]:
    """The unrevoked keys whose stored prefix is `prefix` (in practice one at most)."""
    query = sa.select(api_keys.c.id, api_keys.c.name, api_keys.c.key_hash, api_keys.c.scopes).where(
        api_keys.c.key_prefix == prefix, api_keys.c.revoked_at.is_(None)
    )
    return await fetch_all(connection, query)


async def list_keys(connection: AsyncConnection) -> list[Row]:
    query = sa.select(
        api_keys.c.id,
        api_keys.c.name,
        api_keys.c.key_prefix,
        api_keys.c.scopes,
        api_keys.c.created_at,
        api_keys.c.revoked_at,
    ).order_by(api_keys.c.id)
    return await fetch_all(connection, query)


async def revoke_key(connection: AsyncConnection, key: int | str) -> int:
    """Revoke the key with this id, or every live key with this name; how many were revoked."""
    target = api_keys.c.id == key if isinstance(key, int) else api_keys.c.name == key
    result = await connection.execute(
        sa.update(api_keys)
        .where(target, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=sa.func.now())
    )
    return int(result.rowcount or 0)
