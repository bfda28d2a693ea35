"""What the schema needs beyond SQLModel's tables: columns an older database lacks (added in
place) and the timeline's full-text search index (SQLite FTS5, kept by triggers)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from warroom.store.reader import (
    StoreError,
    deferred,
)

if TYPE_CHECKING:
    import sqlalchemy as sa
    import sqlmodel
    from sqlalchemy import Column, Connection, MetaData

    from warroom.store import tables
else:  # the schema's: imported only to set up or upgrade a database (sql.py says why)
    sa = deferred("sqlalchemy")
    sqlmodel = deferred("sqlmodel")
    tables = deferred("warroom.store.tables")


def _missing_columns(conn: Connection, metadata: MetaData) -> list[tuple[str, Column[Any]]]:
    """Columns `metadata`'s tables have and the database's tables lack."""
    missing = []
    for table in metadata.sorted_tables:
        rows = conn.exec_driver_sql(f'PRAGMA table_info("{table.name}")').fetchall()
        have = {row[1] for row in rows}
        if not have:
            continue  # no such table yet: create_all makes it whole
        missing += [(table.name, column) for column in table.columns if column.name not in have]
    return missing


def add_missing_columns(conn: Connection, metadata: MetaData | None = None) -> list[str]:
    """Add the columns the database lacks (``ALTER TABLE ... ADD COLUMN``); their names.

    Only nullable columns (or ones with a server default) can be added to existing rows;
    anything else is a StoreError, raised before any column is added.
    """
    missing = _missing_columns(conn, metadata or tables.METADATA)
    for table, column in missing:
        if not column.nullable and column.server_default is None:
            raise StoreError(f"cannot add column {table}.{column.name}: NOT NULL, no default")
    for table, column in missing:
        ddl = sa.schema.CreateColumn(column).compile(dialect=conn.dialect)
        conn.exec_driver_sql(f'ALTER TABLE "{table}" ADD COLUMN {ddl}')
    return [f"{table}.{column.name}" for table, column in missing]


SEARCH_INDEX = (
    # The timeline's full-text index (SQLite FTS5), kept by triggers: schema 7.
    "CREATE VIRTUAL TABLE IF NOT EXISTS timeline_search USING fts5("
    " text, content='timeline_entry', content_rowid='id', tokenize='unicode61')",
    "CREATE TRIGGER IF NOT EXISTS timeline_search_insert AFTER INSERT ON timeline_entry BEGIN"
    " INSERT INTO timeline_search(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS timeline_search_delete AFTER DELETE ON timeline_entry BEGIN"
    " INSERT INTO timeline_search(timeline_search, rowid, text)"
    " VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS timeline_search_update AFTER UPDATE OF text ON timeline_entry"
    " BEGIN INSERT INTO timeline_search(timeline_search, rowid, text)"
    " VALUES ('delete', old.id, old.text);"
    " INSERT INTO timeline_search(rowid, text) VALUES (new.id, new.text); END",
)
