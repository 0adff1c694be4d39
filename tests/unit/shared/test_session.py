"""The URLs the engines are made from: one `DATABASE_URL` for psycopg (the services) and
asyncpg (the gateway's reads)."""

from __future__ import annotations

import pytest

from shared.db.session import async_url, reads_url


@pytest.mark.parametrize(
    "given",
    [
        "postgresql://reos:s%40cret@db:5432/reos",
        "postgres://reos:s%40cret@db:5432/reos",
        "postgresql+psycopg://reos:s%40cret@db:5432/reos",
    ],
)
def test_every_form_of_the_url_names_each_driver(given: str) -> None:
    assert async_url(given) == "postgresql+psycopg://reos:s%40cret@db:5432/reos"
    assert reads_url(given) == "postgresql+asyncpg://reos:s%40cret@db:5432/reos"


def test_libpq_parameters_take_their_asyncpg_names() -> None:
    """asyncpg refuses `sslmode` as a connection argument; it takes the same modes as `ssl`."""
    url = reads_url("postgresql://reos:reos@db/reos?sslmode=verify-full")
    assert url == "postgresql+asyncpg://reos:reos@db/reos?ssl=verify-full"
