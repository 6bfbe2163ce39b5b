"""Settlement commands: record a payment, apply a memo or payment to invoices and debit memos, unapply,
refund. Documents are named by number (CM-000001, PAY-000001, INV-000001, DM-000001) or id."""

from typing import Annotated, Any

import typer

from creditmemo.cli.common import DbUrl, Json, database, emit_json, fail, out
from creditmemo.cli.show import Company
from creditmemo.domain.errors import DomainError, NotFoundError, ValidationFailedError
from creditmemo.domain.settlement import AllocationInput, Application, Payment, Refund
from creditmemo.services import references
from creditmemo.services.actors import Actor, system_actor
from creditmemo.services.settlement.applications import apply_credit, unapply
from creditmemo.services.settlement.payments import record_payment
from creditmemo.services.settlement.refunds import refund
from creditmemo.store.uow import UnitOfWork


def writer(uow: UnitOfWork, slug: str) -> Actor:
    company_id = uow.companies.id_for_slug(slug)
    if company_id is None:
        raise NotFoundError("company", slug)
    return system_actor(company_id, "cli")


def application_dict(a: Application) -> dict[str, Any]:
    return {
        "id": a.id,
        "source_type": str(a.source_type),
        "source_id": a.source_id,
        "target_type": str(a.target_type),
        "target_id": a.target_id,
        "amount": str(a.amount.amount),
        "currency": a.currency,
        "status": str(a.status),
        "applied_on": str(a.applied_on),
    }


def payment_dict(p: Payment) -> dict[str, Any]:
    return {
        "id": p.id,
        "number": p.number,
        "customer_id": p.customer_id,
        "amount": str(p.amount.amount),
        "currency": p.currency,
        "amount_applied": str(p.amount_applied.amount),
        "amount_available": str(p.amount_available.amount),
        "received_on": str(p.received_on),
        "method": p.method,
        "reference": p.reference,
    }


def refund_dict(r: Refund) -> dict[str, Any]:
    return {
        "id": r.id,
        "number": r.number,
        "source_type": str(r.source_type),
        "source_id": r.source_id,
        "amount": str(r.amount.amount),
        "currency": r.amount.currency,
        "method": r.method,
        "reference": r.reference,
        "refunded_on": str(r.refunded_on),
        "override_reason": r.override_reason,
    }


def register(app: typer.Typer) -> None:
    payment_app = typer.Typer(help="Payments (receipts).", no_args_is_help=True)
    app.add_typer(payment_app, name="payment")

    @payment_app.command("record")
    def payment_record(
        customer: Annotated[str, typer.Option(help="Customer name or id.")],
        amount: Annotated[str, typer.Option(help="Decimal amount, e.g. 100.00.")],
        currency: Annotated[str, typer.Option()],
        received_on: Annotated[str, typer.Option(help="YYYY-MM-DD.")],
        method: Annotated[str, typer.Option(help="wire, card, check, ach ...")] = "wire",
        reference: Annotated[str | None, typer.Option()] = None,
        rate: Annotated[str | None, typer.Option(help="Exchange rate to the company currency.")] = None,
        company: Company = "demo",
        database_url: DbUrl = None,
        as_json: Json = False,
    ) -> None:
        """Record a payment received (Dr cash, Cr AR)."""
        try:

            def run(uow: UnitOfWork) -> Payment:
                actor = writer(uow, company)
                return record_payment(
                    uow,
                    actor,
                    customer_id=references.customer_id(uow, actor, customer),
                    amount=amount,
                    currency=currency,
                    received_on=received_on,
                    method=method,
                    reference=reference,
                    exchange_rate=rate,
                )

            p = database(database_url).transact(run)
        except DomainError as e:
            fail(e)
        if as_json:
            emit_json(payment_dict(p))
        else:
            out.print(f"{p.number}: {p.amount} received {p.received_on} by {p.method}")

    @app.command("apply")
    def apply_cmd(
        source: Annotated[str, typer.Argument(help="Credit memo or payment (number or id).")],
        to: Annotated[list[str], typer.Option("--to", help="TARGET=AMOUNT, target an invoice or debit memo; repeat.")],
        on: Annotated[str | None, typer.Option(help="Application date, YYYY-MM-DD (default today).")] = None,
        company: Company = "demo",
        database_url: DbUrl = None,
        as_json: Json = False,
    ) -> None:
        """Apply a posted credit memo or a payment to open invoices and posted debit memos."""
        try:

            def run(uow: UnitOfWork) -> list[Application]:
                actor = writer(uow, company)
                source_type, source_id = references.settlement_document(uow, actor, source)
                allocations = []
                for i, spec in enumerate(to):
                    ref, sep, amount = spec.partition("=")
                    if not sep:
                        raise ValidationFailedError.single(f"to[{i}]", "Write TARGET=AMOUNT.", "invalid")
                    target_type, target_id = references.settlement_document(uow, actor, ref)
                    allocations.append(AllocationInput(target_type, target_id, amount))
                return apply_credit(
                    uow, actor, source_type=source_type, source_id=source_id, allocations=allocations, on=on
                )

            apps = database(database_url).transact(run)
        except DomainError as e:
            fail(e)
        if as_json:
            emit_json([application_dict(a) for a in apps])
            return
        for a in apps:
            out.print(f"{a.id}: {a.amount} from {source} to {a.target_type} {a.target_id}")

    @app.command("unapply")
    def unapply_cmd(
        application_id: str, company: Company = "demo", database_url: DbUrl = None, as_json: Json = False
    ) -> None:
        """Reverse an application (it is kept, marked reversed) and restore both sides."""
        try:
            a = database(database_url).transact(lambda uow: unapply(uow, writer(uow, company), application_id))
        except DomainError as e:
            fail(e)
        if as_json:
            emit_json(application_dict(a))
        else:
            out.print(f"{a.id}: reversed ({a.amount})")

    @app.command("refund")
    def refund_cmd(
        source: Annotated[str, typer.Argument(help="Credit memo or payment (number or id).")],
        amount: Annotated[str, typer.Option()],
        method: Annotated[str, typer.Option()] = "ach",
        reference: Annotated[str | None, typer.Option()] = None,
        on: Annotated[str | None, typer.Option(help="Refund date, YYYY-MM-DD (default today).")] = None,
        override_reason: Annotated[str | None, typer.Option(help="Controller override of the refund limits.")] = None,
        company: Company = "demo",
        database_url: DbUrl = None,
        as_json: Json = False,
    ) -> None:
        """Pay money back against a credit memo's or payment's available amount (Dr AR, Cr cash)."""
        try:

            def run(uow: UnitOfWork) -> Refund:
                actor = writer(uow, company)
                source_type, source_id = references.settlement_document(uow, actor, source)
                return refund(
                    uow,
                    actor,
                    source_type=source_type,
                    source_id=source_id,
                    amount=amount,
                    method=method,
                    reference=reference,
                    refunded_on=on,
                    override_reason=override_reason,
                )

            r = database(database_url).transact(run)
        except DomainError as e:
            fail(e)
        if as_json:
            emit_json(refund_dict(r))
        else:
            out.print(f"{r.number}: {r.amount} refunded from {source} by {r.method}")
