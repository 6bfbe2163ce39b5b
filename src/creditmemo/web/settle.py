"""The settlement forms of a memo's page and of a payment's page, written once (issue 14): apply the document to
open items, unapply one of its applications, refund what is left of it. Each submits once, calls the same
service as the API, goes back to the document's page when done, and on a refusal shows that page again with the
errors where the form has them and the status the API gives the same error (``api/problems.status_for``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from creditmemo.domain.errors import DomainError, NotFoundError
from creditmemo.domain.settlement import AllocationInput
from creditmemo.services.settlement.applications import apply_credit, get_application, unapply
from creditmemo.services.settlement.refunds import refund
from creditmemo.store.uow import UnitOfWork
from creditmemo.web.core import as_str, field_errors
from creditmemo.web.messages import on_form
from creditmemo.web.once import submit_change

MAX_ROWS: Final = 500  # rows of an apply form
REFUND_FIELDS: Final = ("amount", "method", "reference", "refunded_on", "override_reason")
TARGET: Final = re.compile(r"^(invoice|debit_memo):([A-Za-z0-9_]{1,40})$")
_ALLOCATION: Final = re.compile(r"^allocations\[(\d+)\]")

Row = tuple[int, str, str, str]  # (form row, target type, target id, amount as typed)
Page = Callable[..., Response]  # the document's page again: page(errors=..., form=..., status=...)


def allocation_rows(form: FormData) -> list[Row]:
    """Each row of an apply form (``target_N``, ``alloc_N``) with an amount other than zero."""
    rows = []
    for n in range(MAX_ROWS):
        target = form.get(f"target_{n}")
        if target is None:
            break
        m = TARGET.match(str(target))
        amount = as_str(form, f"alloc_{n}")
        if m is None or amount is None or _is_zero(amount):
            continue
        rows.append((n, m.group(1), m.group(2), amount))
    return rows


def _is_zero(text: str) -> bool:
    try:
        return Decimal(text) == 0
    except ArithmeticError:
        return False


def apply_form(
    request: Request,
    v: Any,
    form: FormData,
    rows: list[Row],
    *,
    source_type: str,
    source_id: str,
    back: str,
    page: Page,
) -> Response:
    """Apply the document to the rows' targets in one transaction (the source, then the targets in id order:
    docs/CONCURRENCY.md); an error about ``allocations[i]`` is shown next to that row."""
    allocations = [AllocationInput(kind, target_id, amount) for _n, kind, target_id, amount in rows]

    def errors(e: DomainError) -> dict[str, str]:
        found = {}
        for key, message in field_errors(e).items():
            m = _ALLOCATION.match(key or "")
            at = int(m.group(1)) if m else -1
            found[f"alloc_{rows[at][0]}" if 0 <= at < len(rows) else "apply"] = message
        return found

    return submit_change(
        request,
        v,
        form,
        lambda uow: apply_credit(uow, v.actor, source_type=source_type, source_id=source_id, allocations=allocations),
        then=f"{back}?done=apply",
        page=page,
        errors=errors,
    )


def unapply_form(
    request: Request, v: Any, form: FormData, application_id: str, *, document_id: str, back: str, page: Page
) -> Response:
    """Reverse one application of the document (its source or its target); another document's is not found."""

    def change(uow: UnitOfWork) -> None:
        application = get_application(uow, v.actor, application_id)
        if document_id not in (application.source_id, application.target_id):
            raise NotFoundError("application", application_id)
        unapply(uow, v.actor, application_id)

    return submit_change(
        request,
        v,
        form,
        change,
        then=f"{back}?done=unapply",
        page=page,
        errors=lambda e: {"unapply": " ".join(field_errors(e).values())},
        refill=False,  # the page's other forms keep their own values (the apply form its proposal)
    )


def refund_form(
    request: Request, v: Any, form: FormData, *, source_type: str, source_id: str, back: str, page: Page
) -> Response:
    """Refund part of what is left of the document; errors are keyed ``refund.<field>`` (``refund.form``
    for those the form has no field for)."""

    def change(uow: UnitOfWork) -> None:
        refund(
            uow,
            v.actor,
            source_type=source_type,
            source_id=source_id,
            amount=as_str(form, "amount"),
            method=as_str(form, "method"),
            reference=as_str(form, "reference"),
            refunded_on=as_str(form, "refunded_on"),
            override_reason=as_str(form, "override_reason"),
        )

    return submit_change(
        request,
        v,
        form,
        change,
        then=f"{back}?done=refund",
        page=page,
        errors=lambda e: {f"refund.{k}": m for k, m in on_form(field_errors(e), REFUND_FIELDS).items()},
    )
