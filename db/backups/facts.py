"""What a database holds, as a manifest records it: the server's version, the Alembic
revision and the exact row count of every table (read in the caller's transaction, so with a
dump's exported snapshot the counts are those of the dump)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, table, text
from sqlalchemy.ext.asyncio import AsyncConnection

_TABLES = text(
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname"
)


@dataclass(frozen=True)
class Facts:
    server_version: str
    server_major: int
    alembic_revision: str | None
    row_counts: dict[str, int]


async def server_major(conn: AsyncConnection) -> tuple[str, int]:
    """The server's version ("15.20") and major version (15)."""
    version = str(await conn.scalar(text("SHOW server_version")))
    number = int(str(await conn.scalar(text("SHOW server_version_num"))))
    return version.split()[0], number // 10000


async def read_facts(conn: AsyncConnection) -> Facts:
    version, major = await server_major(conn)
    counts = {}
    for name in (await conn.execute(_TABLES)).scalars():
        # a Core statement: SQLAlchemy quotes the table's name, no SQL is built by hand
        counting = select(func.count()).select_from(table(name, schema="public"))
        counts[name] = int(await conn.scalar(counting) or 0)
    revision = None
    if "alembic_version" in counts:
        revision = await conn.scalar(text("SELECT version_num FROM alembic_version"))
    return Facts(version, major, revision, counts)
