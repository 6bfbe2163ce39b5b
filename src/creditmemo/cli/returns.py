"""`creditmemo return show RMA-000001 [--json]`: a return authorization with its lines and credit memos."""

from typing import Any

import typer
from rich.table import Table

from creditmemo.cli.common import DbUrl, Json, emit_json, in_uow, out
from creditmemo.cli.show import Company, reader
from creditmemo.domain.errors import NotFoundError
from creditmemo.domain.returns import ReturnAuthorization, allowed_return_actions
from creditmemo.services.invoices import get_invoice
from creditmemo.services.lists import MemoSummary
from creditmemo.services.returns.read import get_return, get_return_by_number, return_memos
from creditmemo.store.uow import UnitOfWork


def return_dict(r: ReturnAuthorization, memos: list[MemoSummary]) -> dict[str, Any]:
    return {
        "id": r.id,
        "number": r.number,
        "status": str(r.status),
        "allowed_actions": [str(a) for a in allowed_return_actions(r)],
        "customer_id": r.customer_id,
        "invoice_id": r.invoice_id,
        "reason_code": r.reason_code,
        "case_reference": r.case_reference,
        "cancel_reason": r.cancel_reason,
        "created_at": None if r.created_at is None else r.created_at.isoformat(),
        "received_at": None if r.received_at is None else r.received_at.isoformat(),
        "lines": [
            {
                "id": line.id,
                "invoice_line_id": line.invoice_line_id,
                "quantity": str(line.quantity),
                "quantity_received": str(line.quantity_received),
                "quantity_credited": str(line.quantity_credited),
                "quantity_cancelled": str(line.quantity_cancelled),
                "restock": line.restock,
                "condition": line.condition,
            }
            for line in r.lines
        ],
        "credit_memos": [{"id": m.id, "number": m.number, "status": m.status} for m in memos],
    }


def _find(uow: UnitOfWork, company: str, ref: str) -> tuple[ReturnAuthorization, list[MemoSummary], dict[str, str]]:
    """The return by number or id, its memos, and its invoice's number and line descriptions."""
    actor = reader(uow, company)
    try:
        ret = get_return_by_number(uow, actor, ref)
    except NotFoundError:
        ret = get_return(uow, actor, ref)
    invoice = get_invoice(uow, actor, ret.invoice_id)
    descriptions = {line.id: line.description for line in invoice.lines}
    descriptions["invoice"] = invoice.number
    return ret, return_memos(uow, actor, ret.id), descriptions


def register(app: typer.Typer) -> None:
    return_app = typer.Typer(help="Show return authorizations (RMA).", no_args_is_help=True)
    app.add_typer(return_app, name="return")

    @return_app.command("show")
    def show(ref: str, company: Company = "demo", database_url: DbUrl = None, as_json: Json = False) -> None:
        """Show a return by number (RMA-000001) or id."""
        ret, memos, names = in_uow(database_url, lambda uow: _find(uow, company, ref), readonly=True)
        data = return_dict(ret, memos)
        if as_json:
            emit_json(data)
            return
        out.print(
            f"[bold]{ret.number}[/bold]  return  status {ret.status}  invoice {names['invoice']}  "
            f"reason {ret.reason_code}  case {ret.case_reference or '-'}"
        )
        table = Table()
        for col in ("#", "item", "authorized", "received", "credited", "cancelled", "restock", "condition"):
            table.add_column(col)
        for line in ret.lines:
            table.add_row(
                str(line.line_no),
                names.get(line.invoice_line_id, line.invoice_line_id),
                str(line.quantity),
                str(line.quantity_received),
                str(line.quantity_credited),
                str(line.quantity_cancelled),
                "yes" if line.restock else "no",
                line.condition or "",
            )
        out.print(table)
        for m in memos:
            out.print(f"credit memo {m.number}  {m.status}")
        if ret.cancel_reason:
            out.print(f"cancelled: {ret.cancel_reason}")
