"""Creating and dropping whole databases (tests and benchmarks use a fresh one per run)."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.engine import make_url

from db.engine import create_engine


async def create_database(server: str, prefix: str = "syllabot_test") -> str:
    """Create an empty database with a fresh name on ``server`` and return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unsafe database name {name!r}")
    admin = create_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            # Identifiers cannot be bound parameters; the name is ours and checked above.
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


async def drop_database(server: str, url: str) -> None:
    """Drop the database that ``url`` names, disconnecting anyone still on it."""
    name = make_url(url).database
    if not name or not name.replace("_", "").isalnum():
        raise ValueError(f"unsafe database name {name!r}")
    admin = create_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()
