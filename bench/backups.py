"""How long do backup and verification take, and how big is the dump, on the marketplace
benchmark's database (10,000 experts, 100,000 bookings: ``bench.marketplace.seed``)?

    python -m bench.backups                     # embedded PostgreSQL in a temp dir
    BENCH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres \\
        python -m bench.backups                 # a server of yours (pg_dump must match it)

It runs ``db.backups`` exactly as ``syllabot db backup`` and ``db verify`` do (a mirror in a
second temporary directory), and prints the times, the size and the rows.
"""

from __future__ import annotations

import asyncio
import os
import random
import tempfile
import time
from pathlib import Path

from bench.common import asyncpg_dsn, bench_database
from bench.marketplace import seed
from db.backups import BackupConfig
from db.backups.dump import backup, tools_for
from db.backups.verify import verify


async def run(url: str) -> None:
    started = time.perf_counter()
    await seed(asyncpg_dsn(url), random.Random(2026))
    print(f"seeded the marketplace in {time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory() as where:
        config = BackupConfig(
            Path(where) / "backups",
            Path(where) / "mirror",
            embedded=not os.environ.get("BENCH_DATABASE_URL"),
        )
        tools = await tools_for(url, config)
        print(f"using {tools.pg_dump} ({tools.version})")
        began = time.perf_counter()
        made = await backup(url, config, tools=tools)
        whole = time.perf_counter() - began
        rows = sum(made.row_counts.values())
        print(
            f"backup: {made.seconds:.1f} s dump, {whole:.1f} s with checksum and mirror copy, "
            f"{made.size_bytes / 2**20:.1f} MiB "
            f"({rows:,} rows, {made.row_counts.get('bookings', 0):,} bookings)"
        )
        result = await verify(url, config, tools=tools)
        assert result.ok, result.problems
        print(f"verify: {result.seconds:.1f} s ({', '.join(result.checked)})")


async def main() -> None:
    async with bench_database() as url:
        await run(url)


if __name__ == "__main__":
    asyncio.run(main())
