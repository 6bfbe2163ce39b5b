"""Read-only commands: a memo, its journal entries, a customer's balance."""

from typing import Annotated, Any

import typer
from rich.table import Table

from creditmemo.cli.common import DbUrl, Json, database, emit_json, fail, out
from creditmemo.domain.documents import Memo
from creditmemo.domain.errors import DomainError, NotFoundError
from creditmemo.domain.ledger import JournalEntry
from creditmemo.services import references
from creditmemo.services.actors import Actor, Role
from creditmemo.services.customers import get_customer
from creditmemo.services.memos.read import get_memo, memo_journal
from creditmemo.store.uow import UnitOfWork

Company = Annotated[str, typer.Option("--company", help="Company slug.")]


def reader(uow: UnitOfWork, slug: str) -> Actor:
    company_id = uow.companies.id_for_slug(slug)
    if company_id is None:
        raise NotFoundError("company", slug)
    return Actor(None, company_id, Role.AUDITOR, label="cli")


def memo_dict(m: Memo) -> dict[str, Any]:
    return {
        "id": m.id,
        "number": m.number,
        "kind": str(m.kind),
        "status": str(m.status),
        "source": str(m.source),
        "customer_id": m.customer_id,
        "invoice_id": m.invoice_id,
        "reason_code": m.reason_code,
        "currency": m.currency,
        "exchange_rate": str(m.exchange_rate),
        "issue_date": str(m.issue_date),
        "subtotal": str(m.subtotal.amount),
        "tax_total": str(m.tax_total.amount),
        "total": str(m.total.amount),
        "amount_applied": str(m.amount_applied.amount),
        "amount_refunded": str(m.amount_refunded.amount),
        "amount_available": str(m.amount_available.amount),
        "settlement_status": m.settlement_status,
        "memo": m.memo_text,
        "discard_reason": m.discard_reason,
        "post_error": m.post_error,
        "lines": [
            {
                "id": line.id,
                "invoice_line_id": line.invoice_line_id,
                "description": line.description,
                "quantity": None if line.quantity is None else str(line.quantity),
                "unit_price": None if line.unit_price is None else str(line.unit_price),
                "net_amount": str(line.net.amount),
                "tax_rate": str(line.tax_rate),
                "tax_amount": str(line.tax.amount),
                "total": str(line.total.amount),
            }
            for line in m.lines
        ],
    }


def entry_dict(e: JournalEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "date": str(e.date),
        "kind": e.kind,
        "source_type": e.source_type,
        "source_id": e.source_id,
        "currency": e.currency,
        "lines": [
            {
                "account": line.account,
                "debit": str(line.debit.amount),
                "credit": str(line.credit.amount),
                "functional_debit": str(line.functional_debit.amount),
                "functional_credit": str(line.functional_credit.amount),
            }
            for line in e.lines
        ],
    }


def register(app: typer.Typer) -> None:
    memo_app = typer.Typer(help="Show credit and debit memos.", no_args_is_help=True)
    customer_app = typer.Typer(help="Show customers.", no_args_is_help=True)
    app.add_typer(memo_app, name="memo")
    app.add_typer(customer_app, name="customer")

    @memo_app.command("show")
    def show(ref: str, company: Company = "demo", database_url: DbUrl = None, as_json: Json = False) -> None:
        """Show a memo by number (CM-000001) or id."""
        try:
            with database(database_url).uow(readonly=True) as uow:
                actor = reader(uow, company)
                memo = get_memo(uow, actor, references.memo_id(uow, actor, ref))
        except DomainError as e:
            fail(e)
        data = memo_dict(memo)
        if as_json:
            emit_json(data)
            return
        out.print(f"[bold]{memo.number}[/bold]  {memo.kind} memo  status {memo.status}  reason {memo.reason_code}")
        table = Table()
        for col in ("#", "description", "quantity", "net", "tax rate %", "tax", "total"):
            table.add_column(col)
        for line in data["lines"]:
            table.add_row(
                str(len(table.rows) + 1),
                line["description"],
                line["quantity"] or "",
                line["net_amount"],
                line["tax_rate"],
                line["tax_amount"],
                line["total"],
            )
        out.print(table)
        out.print(
            f"subtotal {data['subtotal']}  tax {data['tax_total']}  total {data['total']} {memo.currency}  "
            f"available {data['amount_available']}  {data['settlement_status']}"
        )
        if memo.post_error:
            out.print(f"[red]last posting failed:[/red] {memo.post_error}", highlight=False)

    @memo_app.command("journal")
    def journal(ref: str, company: Company = "demo", database_url: DbUrl = None, as_json: Json = False) -> None:
        """Show the journal entries a memo wrote (its posting and any reversal)."""
        try:
            with database(database_url).uow(readonly=True) as uow:
                actor = reader(uow, company)
                entries = memo_journal(uow, actor, references.memo_id(uow, actor, ref))
        except DomainError as e:
            fail(e)
        if as_json:
            emit_json([entry_dict(entry) for entry in entries])
            return
        if not entries:
            out.print("No journal entries (the memo is not posted).")
        for entry in entries:
            table = Table(title=f"{entry.date} {entry.kind} {entry.description}")
            for col in ("account", "debit", "credit", "functional debit", "functional credit"):
                table.add_column(col, justify="left" if col == "account" else "right")
            for line in entry.lines:
                table.add_row(
                    line.account,
                    str(line.debit.amount or ""),
                    str(line.credit.amount or ""),
                    str(line.functional_debit.amount or ""),
                    str(line.functional_credit.amount or ""),
                )
            out.print(table)

    @customer_app.command("balance")
    def balance(name_or_id: str, company: Company = "demo", database_url: DbUrl = None, as_json: Json = False) -> None:
        """A customer's balance (negative when it holds credit) and available credit."""
        try:
            with database(database_url).uow(readonly=True) as uow:
                actor = reader(uow, company)
                cid = references.customer_id(uow, actor, name_or_id)
                customer = get_customer(uow, actor, cid)
        except DomainError as e:
            fail(e)
        data = {
            "id": customer.id,
            "name": customer.name,
            "currency": customer.currency,
            "balance": str(customer.balance.amount),
            "available_credit": str(customer.available_credit.amount),
        }
        if as_json:
            emit_json(data)
        else:
            out.print(
                f"{customer.name}: balance {data['balance']} {customer.currency}, "
                f"available credit {data['available_credit']} {customer.currency}"
            )
