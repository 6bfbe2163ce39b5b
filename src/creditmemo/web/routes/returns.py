"""Returns (RMA) in the browser (issue 10): "Create return" from an invoice (its lines pre-filled, quantities
narrowed, restock ticked), the returns list with filters, a return's page with its receipt form, the
"Create credit memo" button and cancel. Same services as the API (services/returns/)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from creditmemo.domain.documents import Invoice
from creditmemo.domain.errors import DomainError, NotFoundError
from creditmemo.domain.returns import ReceiptInput, ReturnLineInput, ReturnStatus, allowed_return_actions
from creditmemo.services.actors import Permission, authorize
from creditmemo.services.chart import list_reason_codes
from creditmemo.services.customers import get_customer
from creditmemo.services.invoices import get_invoice
from creditmemo.services.lists import customer_choices
from creditmemo.services.returns import authorize as rma
from creditmemo.services.returns import credit, read, receive
from creditmemo.store.uow import UnitOfWork
from creditmemo.web.core import FormDep, ViewerDep, WebRoute, WriterDep, as_str, db_of, field_errors, redirect, render
from creditmemo.web.once import submit_once

router = APIRouter(route_class=WebRoute)


def _status(e: DomainError) -> int:
    return 409 if e.code == "invalid_transition" else 422


# create from an invoice ------------------------------------------------------------------------------------
def _return_inputs(invoice: Invoice, form: FormData) -> list[ReturnLineInput]:
    return [
        ReturnLineInput(line.id, as_str(form, f"qty_{pos}") or None, form.get(f"restock_{pos}") is not None)
        for pos, line in enumerate(invoice.lines)
        if form.get(f"include_{pos}") is not None
    ]


def _new_page(
    request: Request,
    uow: UnitOfWork,
    v: Any,
    invoice_id: str,
    form: FormData | None,
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    invoice = get_invoice(uow, v.actor, invoice_id)
    reasons = [r for r in list_reason_codes(uow, v.actor) if r["active"] and r["applies_to"] != "debit"]
    returnable = rma.returnable_quantities(uow, v.actor, invoice)
    return render(
        request,
        "return_new.html",
        status,
        invoice=invoice,
        returnable=returnable,
        reasons=reasons,
        form=form,
        errors=errors,
    )


@router.get("/invoices/{invoice_id}/return", include_in_schema=False)
def new_return(request: Request, invoice_id: str, v: ViewerDep) -> Response:
    authorize(v.actor, Permission.CREATE_MEMO)
    with db_of(request).uow(readonly=True) as uow:
        return _new_page(request, uow, v, invoice_id, None, {})


@router.post("/invoices/{invoice_id}/return", include_in_schema=False)
def create_return(request: Request, invoice_id: str, v: WriterDep, form: FormDep) -> Response:
    def attempt(uow: UnitOfWork) -> Response:
        invoice = get_invoice(uow, v.actor, invoice_id)
        inputs = _return_inputs(invoice, form)
        try:
            ret = rma.create_return(
                uow,
                v.actor,
                invoice_id=invoice.id,
                lines=inputs,
                reason_code=as_str(form, "reason_code"),
                case_reference=as_str(form, "case_reference"),
            )
        except DomainError as e:
            if e.code in ("not_found", "forbidden"):
                raise
            uow.rollback()
            return _new_page(request, uow, v, invoice_id, form, _positioned(e, invoice, inputs), _status(e))
        return redirect(f"/returns/{ret.id}?created=1")

    return submit_once(request, v, form, attempt)


def _positioned(e: DomainError, invoice: Invoice, inputs: list[ReturnLineInput]) -> dict[str, str]:
    """Errors on lines[i] shown next to the invoice line they concern (qty_<position>)."""
    position = {line.id: pos for pos, line in enumerate(invoice.lines)}
    out: dict[str, str] = {}
    for name, message in field_errors(e).items():
        if name.startswith("lines[") and "]" in name:
            i = int(name[6 : name.index("]")])
            if i < len(inputs):
                out[f"qty_{position[str(inputs[i].invoice_line_id)]}"] = message
                continue
        out[name or "form"] = message
    return out


# list and page ---------------------------------------------------------------------------------------------
@router.get("/returns", include_in_schema=False)
def returns_list(request: Request, v: ViewerDep) -> Response:
    q = request.query_params
    status = q.get("status") or None
    with db_of(request).uow(readonly=True) as uow:
        rows, more = read.list_returns(
            uow,
            v.actor,
            status=status if status in {str(s) for s in ReturnStatus} else None,
            customer_id=q.get("customer_id") or None,
            invoice_id=q.get("invoice_id") or None,
            number=q.get("number") or None,
            starting_after=q.get("starting_after") or None,
            limit=50,
        )
        names = {c["id"]: c["name"] for c in customer_choices(uow, v.actor)}
    return render(
        request,
        "returns.html",
        rows=rows,
        more=more,
        names=names,
        statuses=[str(s) for s in ReturnStatus],
        q=dict(q),
    )


def _page(
    request: Request,
    uow: UnitOfWork,
    v: Any,
    return_id: str,
    errors: dict[str, str],
    status: int = 200,
    notice: str | None = None,
) -> HTMLResponse:
    ret = read.get_return(uow, v.actor, return_id)
    invoice = get_invoice(uow, v.actor, ret.invoice_id)
    customer = get_customer(uow, v.actor, ret.customer_id)
    return render(
        request,
        "return.html",
        status,
        ret=ret,
        invoice=invoice,
        customer=customer,
        inv_lines={line.id: line for line in invoice.lines},
        memos=read.return_memos(uow, v.actor, ret.id),
        events=read.return_events(uow, v.actor, ret.id),
        actions=[str(a) for a in allowed_return_actions(ret)],
        errors=errors,
        notice=notice,
        can_write=v.actor.can(Permission.CREATE_MEMO),
        can_post=v.actor.can(Permission.POST_MEMO),
        can_cancel=v.actor.can(Permission.EDIT_MEMO),
    )


@router.get("/returns/{return_id}", include_in_schema=False)
def return_page(request: Request, return_id: str, v: ViewerDep) -> Response:
    notice = {
        "created": "Return authorized.",
        "edited": "Return changed.",
        "received": "Receipt recorded.",
        "cancelled": "Return cancelled.",
    }.get(next(iter(request.query_params), ""))
    with db_of(request).uow(readonly=True) as uow:
        return _page(request, uow, v, return_id, {}, notice=notice)


def _act(request: Request, v: Any, form: FormData, return_id: str, fn: Any, done: str) -> Response:
    """Run one return action in a transaction: a redirect on success, the page with the error otherwise."""

    def attempt(uow: UnitOfWork) -> Response:
        try:
            result = fn(uow)
        except NotFoundError:
            raise
        except DomainError as e:
            if e.code == "forbidden":
                raise
            uow.rollback()
            errors = {(k if k else "form"): m for k, m in field_errors(e).items()}
            return _page(request, uow, v, return_id, errors, _status(e))
        return redirect(done.format(id=getattr(result, "id", return_id)))

    return submit_once(request, v, form, attempt)


@router.post("/returns/{return_id}/receive", include_in_schema=False)
def receive_form(request: Request, return_id: str, v: WriterDep, form: FormDep) -> Response:
    def run(uow: UnitOfWork) -> Any:
        ret = read.get_return(uow, v.actor, return_id)
        lines = [
            ReceiptInput(
                line.id,
                as_str(form, f"received_{line.id}") or None,
                form.get(f"restock_{line.id}") is not None,
                as_str(form, f"condition_{line.id}") or None,
            )
            for line in ret.lines
            if line.to_receive > 0 and (as_str(form, f"received_{line.id}") or "0").strip() not in ("0", "")
        ]
        cancel_rest = form.get("cancel_rest") is not None
        return receive.receive_return(
            uow, v.actor, return_id, lines=lines or (None if cancel_rest else []), cancel_rest=cancel_rest
        )

    return _act(request, v, form, return_id, run, "/returns/{id}?received=1")


@router.post("/returns/{return_id}/edit", include_in_schema=False)
def edit_form(request: Request, return_id: str, v: WriterDep, form: FormDep) -> Response:
    """While authorized: the case reference and each line's quantity and restock (the API can also change the
    reason and which invoice lines are returned)."""

    def run(uow: UnitOfWork) -> Any:
        ret = read.get_return(uow, v.actor, return_id)
        lines = [
            ReturnLineInput(
                line.invoice_line_id,
                as_str(form, f"edit_qty_{line.id}") or str(line.quantity),
                form.get(f"edit_restock_{line.id}") is not None,
            )
            for line in ret.lines
        ]
        return rma.update_return(uow, v.actor, return_id, case_reference=as_str(form, "case_reference"), lines=lines)

    return _act(request, v, form, return_id, run, "/returns/{id}?edited=1")


@router.post("/returns/{return_id}/credit-memo", include_in_schema=False)
def credit_form(request: Request, return_id: str, v: WriterDep, form: FormDep) -> Response:
    return _act(
        request,
        v,
        form,
        return_id,
        lambda uow: credit.create_credit_memo_from_return(uow, v.actor, return_id, post=form.get("post") is not None),
        "/memos/{id}?created=1",
    )


@router.post("/returns/{return_id}/cancel", include_in_schema=False)
def cancel_form(request: Request, return_id: str, v: WriterDep, form: FormDep) -> Response:
    return _act(
        request,
        v,
        form,
        return_id,
        lambda uow: rma.cancel_return(uow, v.actor, return_id, reason=as_str(form, "reason")),
        "/returns/{id}?cancelled=1",
    )
