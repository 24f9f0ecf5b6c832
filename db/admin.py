"""Creating and dropping whole databases (tests and benchmarks use a fresh one per run)."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import text
from sqlalchemy.engine import make_url

from db.engine import create_engine

_SAFE_NAME = re.compile(r"^[a-z0-9_]{1,63}$")


async def create_database(server: str, prefix: str = "syllabot_test") -> str:
    """Create an empty database with a fresh name on ``server`` and return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    await _outside_transaction(server, 'CREATE DATABASE "{}"', name)
    return make_url(server).set(database=name).render_as_string(hide_password=False)


async def drop_database(server: str, url: str) -> None:
    """Drop the database that ``url`` names, disconnecting anyone still on it."""
    await _outside_transaction(
        server, 'DROP DATABASE IF EXISTS "{}" WITH (FORCE)', make_url(url).database or ""
    )


async def _outside_transaction(server: str, template: str, name: str) -> None:
    # Identifiers cannot be bound parameters: only a checked, lower-case name goes in.
    if not _SAFE_NAME.match(name):
        raise ValueError(f"unsafe database name {name!r}")
    admin = create_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(template.format(name)))
    finally:
        await admin.dispose()
