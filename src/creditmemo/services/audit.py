"""Recording audit events from services: who did what to which document, with before/after."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from creditmemo.services.actors import Actor
from creditmemo.store.uow import UnitOfWork


def record(
    uow: UnitOfWork, actor: Actor, action: str, entity_type: str, entity_id: str, changes: Mapping[str, Any]
) -> None:
    uow.audit.record(
        company_id=actor.company_id,
        actor_id=actor.user_id,
        actor_label=actor.label,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        changes=changes,
        now=uow.now(),
    )


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields that changed."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
