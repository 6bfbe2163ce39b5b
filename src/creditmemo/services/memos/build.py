"""Turning requests into memo values — shared by create, edit and preview (nothing written here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from creditmemo.domain.crediting import build_credit_lines, build_free_lines
from creditmemo.domain.documents import Company, Invoice, Memo, MemoKind, MemoLine, MemoSource, memo_totals
from creditmemo.domain.errors import CurrencyMismatchError, ForbiddenError, ValidationFailedError
from creditmemo.domain.inputs import CreditLineInput, FreeLineInput
from creditmemo.domain.lifecycle import Status
from creditmemo.domain.metadata import parse_metadata
from creditmemo.domain.money import Money, parse_currency
from creditmemo.domain.parsing import parse_date
from creditmemo.ids import new_id
from creditmemo.services import periods
from creditmemo.services.actors import Actor, Permission
from creditmemo.services.companies import rate_for
from creditmemo.store.uow import UnitOfWork

MAX_TEXT = 5000


@dataclass(frozen=True, slots=True)
class Header:
    reason_code: str
    memo_text: str | None
    reference: str | None
    issue_date: date
    auto_apply: bool
    metadata: dict[str, str] = field(default_factory=dict)


def invoice_bound(invoice: Invoice) -> periods.Bound:
    """A memo from (or referring to) an invoice is issued on or after it."""
    return periods.Bound(invoice.issue_date, f"{invoice.number}'s issue date")


def return_bound(received_at: datetime | None, number: str) -> list[periods.Bound]:
    """A memo from a return is issued on or after the return's receipt."""
    return [] if received_at is None else [periods.Bound(received_at.date(), f"{number}'s receipt date")]


def memo_bounds(uow: UnitOfWork, memo: Memo) -> list[periods.Bound]:
    """What a memo's issue date may not be before: its invoice's issue date, its return's receipt."""
    bounds = []
    if memo.invoice_id is not None:
        bounds.append(invoice_bound(uow.invoices.get(memo.company_id, memo.invoice_id)))
    if memo.return_id is not None:
        ret = uow.returns.get(memo.company_id, memo.return_id)
        bounds.extend(return_bound(ret.received_at, ret.number))
    return bounds


def check_reason(uow: UnitOfWork, company_id: str, code: object, kind: MemoKind) -> str:
    """A new or changed memo takes an active reason code of its kind. A deactivated code stays on the memos
    that have it and is refused here (issue 17)."""
    if code is None or code == "":
        raise ValidationFailedError.single("reason_code", "Choose a reason.", "required")
    known = {r["code"]: r for r in uow.companies.reason_codes(company_id)}
    active = sorted(c for c, r in known.items() if r["active"])
    if not isinstance(code, str) or code not in known:
        raise ValidationFailedError.single(
            "reason_code", f"Unknown reason code {code!r}; known: {', '.join(active)}.", "unknown_reason"
        )
    if not known[code]["active"]:
        raise ValidationFailedError.single(
            "reason_code", f"Reason code {code!r} is inactive; active codes: {', '.join(active)}.", "inactive_reason"
        )
    if known[code]["applies_to"] not in ("both", str(kind)):
        raise ValidationFailedError.single("reason_code", f"{code!r} is not a {kind} memo reason.", "wrong_kind")
    return code


def header(
    uow: UnitOfWork,
    actor: Actor,
    kind: MemoKind,
    *,
    reason_code: object,
    memo_text: object,
    reference: object,
    issue_date: object,
    auto_apply: object,
    not_before: Sequence[periods.Bound] = (),
    check_date: bool = True,
    current_reason: str | None = None,
    metadata: object = None,
) -> Header:
    """The header fields, parsed. The issue date (default today, but not before ``not_before``: the invoice's
    issue date, the return's receipt) follows the date rules (services/periods.py). ``current_reason``: the code
    the memo has (an edit); kept, it is not checked again (it may have been deactivated since)."""
    body = text(memo_text, "memo", MAX_TEXT)
    ref = text(reference, "reference", 200)
    if not isinstance(auto_apply, bool):
        raise ValidationFailedError.single("auto_apply", "Must be true or false.", "invalid")
    if issue_date is None:
        issued = max([uow.now().date(), *(b.on for b in not_before)])
    else:
        issued = parse_date(issue_date, "issue_date")
    if check_date:  # an edit that leaves the date as it was does not re-check it
        periods.check(uow, actor.company_id, "issue_date", issued, what="issue date", not_before=not_before)
    if current_reason is None or reason_code != current_reason:
        reason_code = check_reason(uow, actor.company_id, reason_code, kind)
    return Header(str(reason_code), body, ref, issued, auto_apply, parse_metadata(metadata))


def text(value: object, field: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ValidationFailedError.single(field, f"Text of at most {limit} characters.", "invalid")
    return value


def check_line_privilege(actor: Actor, line_count: int) -> None:
    """Seed 003: without create_multiline_memo, a memo may have one line only."""
    if line_count > 1 and not actor.can(Permission.CREATE_MULTILINE_MEMO):
        raise ForbiddenError(
            "Creating a memo of more than one line needs the create_multiline_memo privilege.",
            field="lines",
            permission="create_multiline_memo",
        )


def lines_from_invoice(
    invoice: Invoice, lines: Sequence[CreditLineInput] | None, *, restock: bool
) -> tuple[MemoLine, ...]:
    return build_credit_lines(invoice, lines, new_id, restock_default=restock)


def free_lines(
    uow: UnitOfWork, company_id: str, lines: Sequence[FreeLineInput], currency: str, kind: MemoKind
) -> tuple[MemoLine, ...]:
    accounts = frozenset(a["code"] for a in uow.companies.accounts(company_id) if a["active"])
    return build_free_lines(
        lines, currency, new_id, id_prefix="dml" if kind is MemoKind.DEBIT else "cml", known_accounts=accounts
    )


def check_invoice_currency(invoice: Invoice, currency: object) -> None:
    """Rule 3: a memo from an invoice has the invoice's currency; asking for another is an error."""
    if currency is not None and currency != invoice.currency:
        raise CurrencyMismatchError(
            f"Invoice {invoice.number} is in {invoice.currency}; a memo from it cannot be in {currency}.",
            field="currency",
            expected=invoice.currency,
        )


def standalone_currency(
    uow: UnitOfWork, company: Company, customer_currency: str, currency: object, exchange_rate: object, on: date
) -> tuple[str, Decimal]:
    """The currency (the customer's) and the rate: given, or the company's rate of ``on`` (issue 15)."""
    cur = parse_currency(currency)
    if cur != customer_currency:
        raise CurrencyMismatchError(
            f"The customer is billed in {customer_currency}, not {cur}.", field="currency", expected=customer_currency
        )
    return cur, rate_for(cur, company, exchange_rate, uow=uow, on=on)


def new_memo(
    *,
    actor: Actor,
    kind: MemoKind,
    number: str,
    customer_id: str,
    source: MemoSource,
    head: Header,
    currency: str,
    rate: Decimal,
    lines: tuple[MemoLine, ...],
    invoice_id: str | None,
    now_: datetime,
) -> Memo:
    subtotal, tax_total, total_ = memo_totals(lines, currency)
    zero = Money.zero(currency)
    return Memo(
        id=new_id("dm" if kind is MemoKind.DEBIT else "cm"),
        company_id=actor.company_id,
        kind=kind,
        number=number,
        customer_id=customer_id,
        source=source,
        reason_code=head.reason_code,
        currency=currency,
        exchange_rate=rate,
        issue_date=head.issue_date,
        status=Status.DRAFT,
        lines=lines,
        subtotal=subtotal,
        tax_total=tax_total,
        total=total_,
        amount_applied=zero,
        amount_refunded=zero,
        invoice_id=invoice_id,
        memo_text=head.memo_text,
        auto_apply=head.auto_apply,
        reference=head.reference,
        metadata=head.metadata,
        created_by=actor.user_id,
        created_at=now_,
        updated_at=now_,
    )
