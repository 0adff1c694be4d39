"""The migrations make the schema the shared metadata describes: the services, the tests and
the benchmarks that build tables from the metadata meet the database a deployment has."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from shared.db.tables import metadata
from shared.settings import Settings

COLUMNS = sa.text(
    """
    SELECT table_name, column_name, data_type, character_maximum_length, is_nullable,
        column_default
    FROM information_schema.columns WHERE table_schema = 'public'
    ORDER BY table_name, column_name
    """
)
INDEXES = sa.text(
    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname"
)
CONSTRAINTS = sa.text(
    """
    SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace
    ORDER BY 1, 2
    """
)


def _schema(url: str) -> dict[str, list[tuple[object, ...]]]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        schema = {
            name: [tuple(row) for row in connection.execute(query)]
            for name, query in (
                ("columns", COLUMNS),
                ("indexes", INDEXES),
                ("constraints", CONSTRAINTS),
            )
        }
    engine.dispose()
    # Alembic's own bookkeeping is no part of the metadata.
    return {
        name: [row for row in rows if not any("alembic_version" in str(cell) for cell in row)]
        for name, rows in schema.items()
    }


@pytest.fixture
def from_metadata(settings: Settings) -> Iterator[str]:
    """A scratch database whose tables are made from the metadata alone."""
    admin = sa.create_engine(settings.database_url, isolation_level="AUTOCOMMIT")
    name = f"reos_schema_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(settings.database_url).set(database=name).render_as_string(False)
    engine = sa.create_engine(url)
    metadata.create_all(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_migrated_database_has_the_schema_of_the_metadata(
    settings: Settings, from_metadata: str
) -> None:
    migrated, described = _schema(settings.database_url), _schema(from_metadata)
    for part in ("columns", "indexes", "constraints"):
        assert sorted(set(migrated[part]) - set(described[part])) == [], f"{part} only migrated"
        assert sorted(set(described[part]) - set(migrated[part])) == [], f"{part} only described"
