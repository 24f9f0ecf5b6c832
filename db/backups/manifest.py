"""The manifest beside each dump: what it holds and how to check it (JSON, one per dump)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

SUFFIX = ".dump"
PREFIX = "syllabot-"


@dataclass(frozen=True)
class Manifest:
    """A dump's facts: ``name`` is its file name (``syllabot-20261202T033000Z.dump``)."""

    name: str
    created_at: datetime  # UTC, when the dump's snapshot was taken
    sha256: str
    size_bytes: int
    seconds: float  # how long the dump took
    server_version: str
    server_major: int
    pg_dump: str  # the pg_dump that wrote it (its --version)
    alembic_revision: str | None
    row_counts: dict[str, int]

    def to_json(self) -> str:
        document = asdict(self) | {"created_at": self.created_at.isoformat()}
        return json.dumps(document, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        document = json.loads(text)
        document["created_at"] = datetime.fromisoformat(document["created_at"]).astimezone(UTC)
        return cls(**document)


def dump_name(at: datetime) -> str:
    """The file name of a dump taken at ``at``: UTC time, sortable."""
    return f"{PREFIX}{at.astimezone(UTC):%Y%m%dT%H%M%SZ}{SUFFIX}"


def taken_at(name: str) -> datetime:
    """When the dump named ``name`` was taken (from its name)."""
    stamp = name.removeprefix(PREFIX).removesuffix(SUFFIX)
    return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def manifest_path(dump: Path) -> Path:
    return dump.with_suffix(".json")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def write(directory: Path, manifest: Manifest) -> Path:
    """Write ``manifest`` beside its dump (atomically: a reader never sees half of it)."""
    target = manifest_path(directory / manifest.name)
    partial = target.with_suffix(".json.partial")
    partial.write_text(manifest.to_json())
    partial.replace(target)
    return target


def read(directory: Path, name: str) -> Manifest:
    return Manifest.from_json(manifest_path(directory / name).read_text())


def listed(directory: Path) -> list[Manifest]:
    """The backups in ``directory`` that have a readable manifest, newest first."""
    found = []
    for path in directory.glob(f"{PREFIX}*.json") if directory.is_dir() else ():
        try:
            found.append(Manifest.from_json(path.read_text()))
        except (OSError, ValueError, TypeError, KeyError):
            continue  # a stray or half-written file is not a backup
    return sorted(found, key=lambda m: (m.created_at, m.name), reverse=True)
