"""The demo company: customers, invoices and memos in every state, built through the real services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from creditmemo.domain.documents import Invoice
from creditmemo.domain.inputs import CreditLineInput, FreeLineInput, InvoiceLineInput
from creditmemo.domain.returns import ReceiptInput, ReturnLineInput
from creditmemo.services.actors import Actor, Role, system_actor
from creditmemo.services.companies import create_company
from creditmemo.services.customers import create_customer
from creditmemo.services.invoices import issue_invoice
from creditmemo.services.memos.approval import approve_memo, submit_memo
from creditmemo.services.memos.create import (
    create_credit_memo_from_invoice,
    create_debit_memo,
    create_standalone_credit_memo,
)
from creditmemo.services.memos.discard import discard_memo
from creditmemo.services.memos.post import post_memo, queue_post
from creditmemo.services.memos.void import void_memo
from creditmemo.services.returns.authorize import cancel_return, create_return
from creditmemo.services.returns.credit import create_credit_memo_from_return
from creditmemo.services.returns.receive import receive_return
from creditmemo.services.revenue import recognize
from creditmemo.services.settings import update_legal_details
from creditmemo.services.users import User, actor_for, ensure_company_user, issue_api_key
from creditmemo.store.uow import Database, UnitOfWork

DEMO_SLUG = "demo"
DEMO_COMPANY_LEGAL: dict[str, object] = {
    "legal_name": "Demo Trading Company, Inc.",
    "address_line1": "1200 Harbor Boulevard, Suite 400",
    "postal_code": "94065",
    "city": "Redwood City",
    "country": "US",
    "tax_id": "EIN 94-1234567",
}
DEMO_CUSTOMER_LEGAL: dict[str, dict[str, object]] = {
    "acme": {
        "legal_name": "Acme Corporation",
        "address_line1": "77 Massachusetts Avenue",
        "postal_code": "02139",
        "city": "Cambridge",
        "country": "US",
        "tax_id": "EIN 04-3456789",
    },
    "globex": {
        "legal_name": "Globex Handelsgesellschaft mbH",
        "address_line1": "Friedrichstraße 123",
        "address_line2": "Aufgang B",
        "postal_code": "10117",
        "city": "Berlin",
        "country": "DE",
        "tax_id": "DE 123456789",
    },
    "initech": {
        "legal_name": "Initech LLC",
        "address_line1": "4120 Freidrich Lane",
        "postal_code": "78744",
        "city": "Austin",
        "country": "US",
        "tax_id": "EIN 74-2345678",
    },
}


@dataclass
class DemoSummary:
    company_id: str
    created: bool
    memos: list[tuple[str, str, str, str]] = field(default_factory=list)  # number, status, total, customer
    returns: list[tuple[str, str, str, str]] = field(default_factory=list)  # number, status, invoice, customer


def load_demo(db: Database, *, slug: str = DEMO_SLUG, today: date | None = None) -> DemoSummary:
    """Create the demo company unless it exists. Every step is its own transaction, as in real use."""
    with db.uow() as uow:
        existing = uow.companies.id_for_slug(slug)
        if existing is not None:
            return DemoSummary(existing, created=False)
        company = create_company(uow, slug=slug, name="Demo Trading Co.", functional_currency="USD")
    actor = system_actor(company.id, "demo loader")
    today = today or db.clock().date()
    start = today - timedelta(days=75)
    with db.uow() as uow:
        # Legal details, so the demo's documents look like real ones (issue 18 item 5).
        update_legal_details(uow, Actor(None, company.id, Role.ADMIN, label="demo loader"), DEMO_COMPANY_LEGAL)
        acme = create_customer(
            uow, actor, name="Acme Corp", currency="USD", payment_terms_days=30, legal=DEMO_CUSTOMER_LEGAL["acme"]
        )
        globex = create_customer(
            uow, actor, name="Globex GmbH", currency="EUR", payment_terms_days=14, legal=DEMO_CUSTOMER_LEGAL["globex"]
        )
        initech = create_customer(
            uow, actor, name="Initech", currency="USD", payment_terms_days=45, legal=DEMO_CUSTOMER_LEGAL["initech"]
        )
    lines = [
        InvoiceLineInput("Annual platform subscription", "1", "12000.00", tax_rate="8.25"),
        InvoiceLineInput("Implementation services (hours)", "40", "150.00", tax_rate="8.25"),
        InvoiceLineInput("Hardware gateway", "5", "499.00", tax_rate="8.25", unit_cost="310.00", item="GW-5"),
    ]
    invoices = []
    with db.uow() as uow:
        for i, customer in enumerate([acme, initech, acme, initech]):
            invoices.append(
                issue_invoice(
                    uow,
                    actor,
                    customer_id=customer.id,
                    currency="USD",
                    issue_date=start + timedelta(days=15 * i),
                    lines=lines,
                )
            )
        eur = issue_invoice(
            uow,
            actor,
            customer_id=globex.id,
            currency="EUR",
            exchange_rate="1.0850",
            issue_date=start + timedelta(days=20),
            lines=[InvoiceLineInput("Consulting retainer", "1", "8000.00", tax_rate="19")],
        )
    with db.uow() as uow:
        # Posted: a billing error on the hours, narrowed by quantity.
        m1 = create_credit_memo_from_invoice(
            uow,
            actor,
            invoices[0].id,
            reason_code="billing_error",
            lines=[CreditLineInput(invoices[0].lines[1].id, quantity="6")],
            memo_text="Six hours billed twice.",
        )
        post_memo(uow, actor, m1.id)
        # Posted: a return of two gateways (RMA-000001: authorized, received, restocked, credited).
        rma = create_return(
            uow,
            actor,
            invoice_id=invoices[1].id,
            lines=[ReturnLineInput(invoices[1].lines[2].id, "2")],
            case_reference="CASE-1001",
        )
        receive_return(uow, actor, rma.id)
        m2 = create_credit_memo_from_return(uow, actor, rma.id)
        post_memo(uow, actor, m2.id)
        _other_returns(uow, actor, invoices)
        # Draft: the whole invoice pre-populated, waiting for a decision.
        create_credit_memo_from_invoice(uow, actor, invoices[2].id, reason_code="price_correction")
        # Void: posted by mistake, then voided.
        m4 = create_credit_memo_from_invoice(
            uow,
            actor,
            invoices[3].id,
            reason_code="other",
            lines=[CreditLineInput(invoices[3].lines[0].id, amount="500.00")],
            auto_apply=False,
        )  # left unapplied, so it can be voided
        post_memo(uow, actor, m4.id)
        void_memo(uow, actor, m4.id, reason="Wrong customer")
        # Discarded draft keeps its number.
        m5 = create_standalone_credit_memo(
            uow,
            actor,
            customer_id=initech.id,
            currency="USD",
            reason_code="promotion",
            lines=[FreeLineInput("Spring promotion", "1", "250.00")],
        )
        discard_memo(uow, actor, m5.id, reason="Promotion cancelled")
        # Standalone goodwill credit, posted; and an SLA credit in EUR.
        m6 = create_standalone_credit_memo(
            uow,
            actor,
            customer_id=acme.id,
            currency="USD",
            reason_code="goodwill",
            lines=[FreeLineInput("Goodwill for delayed delivery", "1", "300.00")],
        )
        post_memo(uow, actor, m6.id)
        m7 = create_credit_memo_from_invoice(
            uow,
            actor,
            eur.id,
            reason_code="sla_credit",
            lines=[CreditLineInput(eur.lines[0].id, amount="800.00")],
            memo_text="Outage of 36 hours in March.",
        )
        post_memo(uow, actor, m7.id)
        # A debit memo for a charge-back.
        d1 = create_debit_memo(
            uow,
            actor,
            customer_id=initech.id,
            currency="USD",
            reason_code="chargeback",
            lines=[FreeLineInput("Charge-back dispute lost by customer", "1", "1200.00")],
        )
        post_memo(uow, actor, d1.id)
    with db.uow() as uow:
        # A yearly subscription billed in advance (issue 12): deferred, recognized month by month; the run
        # recognizes every month that has ended.
        issue_invoice(
            uow,
            actor,
            customer_id=initech.id,
            currency="USD",
            issue_date=start,
            lines=[
                InvoiceLineInput(
                    "Analytics subscription, 12 months",
                    "1",
                    "6000.00",
                    tax_rate="8.25",
                    service_start=start,
                    service_end=start + timedelta(days=364),
                )
            ],
        )
        recognize(uow, actor, through=today.replace(day=1) - timedelta(days=1))
    with db.uow() as uow:
        _waiting_memos(uow, slug, acme.id, initech.id)
    return summarize_demo(db, company.id, created=True)


def summarize_demo(db: Database, company_id: str, *, created: bool) -> DemoSummary:
    """The demo company's memos and returns as they stand now (the CLI prints it on every run)."""
    summary = DemoSummary(company_id, created=created)
    with db.uow(readonly=True) as uow:
        from sqlalchemy import select

        from creditmemo.store.tables import customers, invoices, memos

        names: dict[str, str] = {
            i: n
            for i, n in uow.conn.execute(
                select(customers.c.id, customers.c.name).where(customers.c.company_id == company_id)
            )
        }
        invoice_numbers: dict[str, str] = {
            i: n
            for i, n in uow.conn.execute(
                select(invoices.c.id, invoices.c.number).where(invoices.c.company_id == company_id)
            )
        }
        rows = uow.conn.execute(
            select(memos.c.number, memos.c.status, memos.c.customer_id, memos.c.id)
            .where(memos.c.company_id == company_id)
            .order_by(memos.c.kind, memos.c.number)
        ).all()
        for number, status, customer_id, memo_id in rows:
            memo = uow.memos.get(company_id, memo_id)
            summary.memos.append((number, status, str(memo.total), names[customer_id]))
        for ret in uow.returns.list(company_id, filters={}, sort="number", limit=100)[0]:
            summary.returns.append(
                (ret.number, str(ret.status), invoice_numbers[ret.invoice_id], names[ret.customer_id])
            )
    return summary


def _waiting_memos(uow: UnitOfWork, slug: str, acme_id: str, initech_id: str) -> None:
    """Memos on their way (issue 18 item 10), made by the demo clerk so that the demo manager and VP can decide
    them: pending a manager's approval (above 5,000), pending a VP's (above 25,000), approved by the manager, and
    approved and queued for the background worker (``ready_to_post``; `scripts/run` starts one, so it posts
    within seconds of the server starting)."""
    clerk = actor_for(demo_user(uow, slug, "clerk"))
    manager = actor_for(demo_user(uow, slug, "manager"))

    def standalone(customer_id: str, reason: str, text: str, amount: str) -> str:
        memo = create_standalone_credit_memo(
            uow,
            clerk,
            customer_id=customer_id,
            currency="USD",
            reason_code=reason,
            lines=[FreeLineInput(text, "1", amount)],
        )
        return submit_memo(uow, clerk, memo.id).id

    standalone(acme_id, "price_correction", "Volume discount missed on the Q1 order", "6200.00")  # a manager's
    standalone(initech_id, "goodwill", "Early termination of the three-year support contract", "27500.00")  # a VP's
    approved = standalone(acme_id, "billing_error", "Onboarding fee charged twice", "7500.00")
    approve_memo(uow, manager, approved, comment="Checked against the contract.")
    queued = standalone(initech_id, "promotion", "Partner promotion, second quarter", "5400.00")
    approve_memo(uow, manager, queued, comment="Approved under the partner programme.")
    queue_post(uow, manager, uow.memos.get(manager.company_id, queued, for_update=True))


def _other_returns(uow: UnitOfWork, actor: Actor, invoices: list[Invoice]) -> None:
    """Returns in the other statuses: authorized (RMA-000002), received in part (RMA-000003, one of
    two gateways in, one damaged), cancelled (RMA-000004)."""
    create_return(
        uow,
        actor,
        invoice_id=invoices[2].id,
        lines=[ReturnLineInput(invoices[2].lines[2].id, "1")],
        case_reference="CASE-1002",
    )
    part = create_return(
        uow,
        actor,
        invoice_id=invoices[0].id,
        lines=[ReturnLineInput(invoices[0].lines[2].id, "2")],
        reason_code="damaged_goods",
        case_reference="CASE-1003",
    )
    receive_return(
        uow, actor, part.id, lines=[ReceiptInput(part.lines[0].id, "1", restock=False, condition="Casing cracked")]
    )
    cancelled = create_return(
        uow, actor, invoice_id=invoices[3].id, lines=[ReturnLineInput(invoices[3].lines[2].id, "1")]
    )
    cancel_return(uow, actor, cancelled.id, reason="The customer kept the gateway")


# Demo users and API keys (the run command prints them) ------------------------------------------
DEMO_ROLES = ("clerk", "manager", "vp", "controller", "auditor", "admin")


@dataclass(frozen=True)
class DemoAccess:
    role: str
    email: str
    password: str  # deterministic, for a demo only
    api_key: str  # fresh on every call: keys are stored hashed, so only a new one can be shown


def demo_access(db: Database, *, slug: str = DEMO_SLUG) -> list[DemoAccess]:
    """One user per role in the demo company (created when missing, password reset to the demo one) and a
    fresh API key for each. The clerk has the create_multiline_memo privilege."""
    result = []
    with db.uow() as uow:
        for role in DEMO_ROLES:
            user = demo_user(uow, slug, role)
            key = issue_api_key(uow, system_actor(user.company_id, "demo loader"), user.id, name="demo")
            result.append(DemoAccess(role, user.email, demo_password(slug, role), key.key))
    return result


def demo_password(slug: str, role: str) -> str:
    return f"{slug}-{role}-password"


def demo_user(uow: UnitOfWork, slug: str, role: str) -> User:
    """The demo company's user of ``role`` (created when missing; its password reset to the demo one)."""
    privileges = ["create_multiline_memo"] if role == "clerk" else []
    return ensure_company_user(
        uow, slug, f"{role}@{slug}.example", role, privileges, password=demo_password(slug, role)
    )
