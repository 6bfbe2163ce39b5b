"""Saved list views per user: a name and the list's query string (filters, sort), for one page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qsl, urlencode

from creditmemo.domain.errors import FieldError, NotFoundError, ValidationFailedError
from creditmemo.ids import new_id
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.store.repositories.saved_views import SavedViewRepository
from creditmemo.store.uow import UnitOfWork

PAGES: Final = frozenset({"credit_memos", "debit_memos", "invoices", "customers", "payments"})
MAX_VIEWS: Final = 50


@dataclass(frozen=True, slots=True)
class SavedView:
    id: str
    page: str
    name: str
    query: str


def list_views(uow: UnitOfWork, actor: Actor, page: str) -> list[SavedView]:
    authorize(actor, Permission.READ)
    if actor.user_id is None:
        return []
    return [
        SavedView(r["id"], r["page"], r["name"], r["query"])
        for r in SavedViewRepository(uow.conn).for_user(actor.company_id, actor.user_id, page)
    ]


def save_view(uow: UnitOfWork, actor: Actor, *, page: object, name: object, query: object) -> SavedView:
    """Keep only the known filter keys of ``query`` (never the page number)."""
    authorize(actor, Permission.READ)
    errors = []
    if page not in PAGES:
        errors.append(FieldError("page", "invalid", f"One of {', '.join(sorted(PAGES))}."))
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 100:
        errors.append(FieldError("name", "required", "A name of 1 to 100 characters."))
    if not isinstance(query, str) or len(query) > 2000:
        errors.append(FieldError("query", "invalid", "A query string of at most 2000 characters."))
    if errors:
        raise ValidationFailedError(errors)
    assert isinstance(page, str)
    assert isinstance(name, str)
    assert isinstance(query, str)
    if actor.user_id is None:
        raise ValidationFailedError.single("user", "Only a signed-in user has saved views.", "invalid")
    repo = SavedViewRepository(uow.conn)
    if len(repo.for_user(actor.company_id, actor.user_id, page)) >= MAX_VIEWS:
        raise ValidationFailedError.single("name", f"At most {MAX_VIEWS} saved views per list.", "too_many")
    kept = urlencode([(k, v) for k, v in parse_qsl(query) if k != "page" and v])
    view = SavedView(new_id("sv"), page, name.strip(), kept)
    repo.add(
        view_id=view.id,
        company_id=actor.company_id,
        user_id=actor.user_id,
        page=page,
        name=view.name,
        query=kept,
        now=uow.now(),
    )
    return view


def delete_view(uow: UnitOfWork, actor: Actor, view_id: str) -> None:
    authorize(actor, Permission.READ)
    if actor.user_id is None or not SavedViewRepository(uow.conn).remove(actor.company_id, actor.user_id, view_id):
        raise NotFoundError("saved_view", view_id)
