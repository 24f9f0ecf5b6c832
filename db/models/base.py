"""The declarative base and the column helpers every table module uses."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    DateTime,
    ForeignKey,
    MetaData,
    Uuid,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

TIMESTAMPTZ = DateTime(timezone=True)
NOW = text("now()")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _id() -> Mapped[uuid.UUID]:
    return mapped_column(Uuid, primary_key=True, server_default=text("gen_random_uuid()"))


def _fk(target: str, *, nullable: bool = True) -> Mapped[Any]:
    """A UUID column referencing ``target`` with ON DELETE CASCADE (nullable, as in the seed)."""
    return mapped_column(Uuid, ForeignKey(target, ondelete="CASCADE"), nullable=nullable)


def _stamp(*, nullable: bool = True) -> Mapped[Any]:
    """``created_at``/``updated_at``: ``DEFAULT now()``; a trigger moves ``updated_at``."""
    return mapped_column(TIMESTAMPTZ, nullable=nullable, server_default=NOW)
