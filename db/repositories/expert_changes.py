"""The experts repository's part for verified experts' changes waiting for an admin's review
(``expert_profile_changes``): the approved values stay on ``experts`` until approved."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from db.models import ExpertProfileChangeRow
from db.tx import Tx
from domain.marketplace.model import Proficiency, ProfileChange, Specialty


class ProfileChanges:
    """Mixed into ``SqlExpertRepository``."""

    _tx: Tx

    async def changes_of(self, expert_ids: list[UUID]) -> dict[UUID, list[ProfileChange]]:
        """The changes (pending or rejected) of each expert, by field."""
        found: dict[UUID, list[ProfileChange]] = {}
        for change in await self._tx.orm.scalars(
            select(ExpertProfileChangeRow)
            .where(ExpertProfileChangeRow.expert_id.in_(expert_ids))
            .order_by(ExpertProfileChangeRow.field)
        ):
            found.setdefault(change.expert_id, []).append(_change(change))
        return found

    async def put_change(self, expert_id: UUID, change: ProfileChange) -> None:
        """Store ``change`` as the one waiting for review of its field (replacing an earlier
        one, pending or rejected)."""
        if change.field == "specialties":
            value: dict[str, Any] = {
                "specialties": [[s.subject, s.proficiency.value] for s in change.specialties]
            }
        else:
            value = {"credentials": change.credentials}
        statement = insert(ExpertProfileChangeRow).values(
            expert_id=expert_id, field=change.field, value=value
        )
        await self._tx.orm.execute(
            statement.on_conflict_do_update(
                index_elements=["expert_id", "field"],
                set_={"value": value, "rejected_reason": None, "submitted_at": func.now()},
            )
        )

    async def drop_changes(self, expert_id: UUID, field: str | None = None) -> None:
        """Forget the expert's changes waiting for review (of ``field`` only, if given)."""
        query = delete(ExpertProfileChangeRow).where(ExpertProfileChangeRow.expert_id == expert_id)
        if field is not None:
            query = query.where(ExpertProfileChangeRow.field == field)
        await self._tx.orm.execute(query)

    async def reject_changes(self, expert_id: UUID, reason: str) -> None:
        """Mark the expert's pending changes rejected, with the admin's reason."""
        await self._tx.orm.execute(
            update(ExpertProfileChangeRow)
            .where(
                ExpertProfileChangeRow.expert_id == expert_id,
                ExpertProfileChangeRow.rejected_reason.is_(None),
            )
            .values(rejected_reason=reason)
        )


def _change(row: ExpertProfileChangeRow) -> ProfileChange:
    if row.field == "specialties":
        specialties = tuple(
            Specialty(subject, Proficiency(level)) for subject, level in row.value["specialties"]
        )
        return ProfileChange(
            "specialties",
            specialties=specialties,
            rejected_reason=row.rejected_reason,
            submitted_at=row.submitted_at,
        )
    return ProfileChange(
        row.field,
        credentials=row.value.get("credentials"),
        rejected_reason=row.rejected_reason,
        submitted_at=row.submitted_at,
    )
