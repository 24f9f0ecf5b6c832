"""The second copy: every dump and its manifest also go to ``SYLLABOT_BACKUP_MIRROR`` (a
directory, e.g. a mounted remote file system), copied under a temporary name and renamed, so
the mirror never holds half a dump under its real name."""

from __future__ import annotations

import shutil
from pathlib import Path

from db.backups import BackupError
from db.backups.manifest import Manifest, manifest_path, sha256_of


def copy(directory: Path, mirror: Path, manifest: Manifest) -> None:
    """Copy a dump and its manifest to ``mirror`` and check the copy's checksum."""
    try:
        mirror.mkdir(parents=True, exist_ok=True)
        for source in (directory / manifest.name, manifest_path(directory / manifest.name)):
            partial = mirror / f"{source.name}.partial"
            shutil.copyfile(source, partial)
            partial.replace(mirror / source.name)
    except OSError as error:
        raise BackupError(f"could not copy the backup to the mirror {mirror}: {error}") from None
    problem = check(mirror, manifest)
    if problem is not None:
        raise BackupError(problem)


def check(mirror: Path, manifest: Manifest) -> str | None:
    """What is wrong with the mirror's copy of a backup, or None if it matches its manifest."""
    copied = mirror / manifest.name
    if not copied.is_file():
        return f"the mirror {mirror} has no copy of {manifest.name}"
    if sha256_of(copied) != manifest.sha256:
        return f"the mirror's copy {copied} does not match its checksum"
    return None


def remove(mirror: Path, name: str) -> None:
    """Delete a backup's copy (retention), if it is there."""
    for path in (mirror / name, manifest_path(mirror / name)):
        path.unlink(missing_ok=True)
