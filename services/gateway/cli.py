"""`reos-gateway`: serve the API, or manage its API keys.

    reos-gateway [serve]                                   serve the API
    reos-gateway keys create --name NAME --scopes read,operate
    reos-gateway keys list
    reos-gateway keys revoke ID_OR_NAME
    reos-gateway seed-demo [...]                           fill the database with demo data

`keys create` prints what it made, then the new key alone on the last line: it is shown
this once (only its prefix and its HMAC are stored). `keys revoke` takes a key's id or
name (every live key of that name). Scopes: read, operate, admin (each includes the ones
before it). Exit status: 0 done, 1 nothing to revoke, 2 on a usage error (from argparse).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable

from services.gateway import security
from services.gateway.queries import keys as key_store
from shared.db.session import create_engine
from shared.settings import Settings, get_settings

EXIT_DONE, EXIT_NOTHING = 0, 1


def _scopes(text: str) -> frozenset[security.Scope]:
    try:
        return security.parse_scopes(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reos-gateway", description="Real Estate OS gateway")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the API (the default)")
    commands.add_parser(
        "seed-demo", add_help=False, help="fill the database with demo data (see --help)"
    )
    keys = commands.add_parser("keys", help="manage API keys").add_subparsers(
        dest="action", required=True
    )
    create = keys.add_parser("create", help="make a key; prints it once, on the last line")
    create.add_argument("--name", required=True, help="who or what uses the key")
    create.add_argument("--scopes", type=_scopes, default="read", help="e.g. read,operate")
    keys.add_parser("list", help="every key: id, name, prefix, scopes, created, revoked")
    revoke = keys.add_parser("revoke", help="revoke a key by id, or every live key of a name")
    revoke.add_argument("key", help="the key's id or name")
    return parser


async def create_key(settings: Settings, name: str, scopes: frozenset[security.Scope]) -> str:
    """Store a new key and give it back (the only time it exists in the clear)."""
    made = security.new_key(settings.api_key_secret.get_secret_value())
    engine = create_engine(settings, application_name="reos-gateway-keys")
    try:
        async with engine.begin() as connection:
            key_id = await key_store.insert_key(
                connection, name, made.prefix, made.digest, security.ordered(scopes)
            )
    finally:
        await engine.dispose()
    print(
        f"created key {key_id} {name!r} ({made.prefix}...) with scopes {','.join(sorted(scopes))}"
    )
    return made.secret


async def _list_keys(settings: Settings) -> int:
    engine = create_engine(settings, application_name="reos-gateway-keys")
    try:
        async with engine.connect() as connection:
            rows = await key_store.list_keys(connection)
    finally:
        await engine.dispose()
    print("id\tname\tprefix\tscopes\tcreated_at\trevoked_at")
    for row in rows:
        revoked = row["revoked_at"].isoformat() if row["revoked_at"] else "-"
        scopes = ",".join(security.ordered(row["scopes"]))
        print(
            f"{row['id']}\t{row['name']}\t{row['key_prefix']}\t{scopes}\t"
            f"{row['created_at'].isoformat()}\t{revoked}"
        )
    return EXIT_DONE


async def _revoke_key(settings: Settings, key: str) -> int:
    engine = create_engine(settings, application_name="reos-gateway-keys")
    try:
        async with engine.begin() as connection:
            revoked = await key_store.revoke_key(connection, int(key) if key.isdigit() else key)
    finally:
        await engine.dispose()
    print(f"revoked {revoked} key(s)")
    return EXIT_DONE if revoked else EXIT_NOTHING


async def _create_and_print(
    settings: Settings, name: str, scopes: frozenset[security.Scope]
) -> int:
    print(await create_key(settings, name, scopes))
    return EXIT_DONE


def main(argv: list[str] | None = None, *, serve: Callable[[], None]) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["seed-demo"]:
        from services.gateway import seed

        return seed.main(argv[1:])
    args = _parser().parse_args(argv)
    if args.command in (None, "serve"):
        serve()
        return EXIT_DONE
    settings = get_settings()
    if args.action == "create":
        return asyncio.run(_create_and_print(settings, args.name, args.scopes))
    if args.action == "list":
        return asyncio.run(_list_keys(settings))
    return asyncio.run(_revoke_key(settings, args.key))
