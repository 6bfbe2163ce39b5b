"""Return authorizations (RMA, issue 10): authorize -> receive -> credit, or cancel. Pure rules: the
transition table, what may still be returned of an invoice line, receipts and what a credit takes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from creditmemo.domain.crediting import parse_quantity
from creditmemo.domain.documents import Invoice, InvoiceLine
from creditmemo.domain.errors import FieldError, InvalidTransitionError, OverReturnError, ValidationFailedError

IdFactory = Callable[[str], str]
MAX_CONDITION = 500
NOT_STOCK = "The invoice line has no unit cost: nothing of it goes back to stock."


class ReturnStatus(StrEnum):
    AUTHORIZED = "authorized"
    RECEIVED = "received"
    CREDITED = "credited"
    CANCELLED = "cancelled"


class ReturnAction(StrEnum):
    EDIT = "edit"
    RECEIVE = "receive"
    CREDIT = "credit"  # a credit memo from what is received and not yet credited
    CANCEL = "cancel"


RS, RA = ReturnStatus, ReturnAction
RETURN_TRANSITIONS: Final[Mapping[tuple[ReturnStatus, ReturnAction], ReturnStatus]] = MappingProxyType(
    {
        (RS.AUTHORIZED, RA.EDIT): RS.AUTHORIZED,
        (RS.AUTHORIZED, RA.RECEIVE): RS.RECEIVED,
        (RS.AUTHORIZED, RA.CANCEL): RS.CANCELLED,
        # Partial receipt: the rest can be received later; what is received can be credited meanwhile.
        (RS.RECEIVED, RA.RECEIVE): RS.RECEIVED,
        (RS.RECEIVED, RA.CREDIT): RS.CREDITED,  # or stays received while something is left to receive
    }
)


@dataclass(frozen=True, slots=True)
class ReturnLine:
    id: str
    line_no: int
    invoice_line_id: str
    quantity: Decimal  # authorized
    quantity_received: Decimal = Decimal(0)
    quantity_credited: Decimal = Decimal(0)  # on credit memos not discarded or voided
    restock: bool = True
    condition: str | None = None
    quantity_cancelled: Decimal = Decimal(0)  # authorized but never coming: the rest cancelled at a receipt

    @property
    def to_receive(self) -> Decimal:
        return self.quantity - self.quantity_received - self.quantity_cancelled

    @property
    def held(self) -> Decimal:
        """What the line holds of its invoice line: authorized, less what was cancelled."""
        return self.quantity - self.quantity_cancelled

    @property
    def to_credit(self) -> Decimal:
        return self.quantity_received - self.quantity_credited


@dataclass(frozen=True, slots=True)
class ReturnAuthorization:
    id: str
    company_id: str
    number: str
    customer_id: str
    invoice_id: str
    status: ReturnStatus
    reason_code: str
    lines: tuple[ReturnLine, ...]
    case_reference: str | None = None
    cancel_reason: str | None = None
    created_by: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    received_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    version: int = 1

    def line(self, line_id: str) -> ReturnLine | None:
        return next((line for line in self.lines if line.id == line_id), None)


def allowed_return_actions(ret: ReturnAuthorization) -> tuple[ReturnAction, ...]:
    """Edges out of the status whose guard holds now: receive while something is left to receive, credit
    while something received is not credited yet (buttons and ``allowed_actions`` read this)."""
    actions = []
    for action in RA:
        if (ret.status, action) not in RETURN_TRANSITIONS:
            continue
        if action is RA.RECEIVE and not any(line.to_receive > 0 for line in ret.lines):
            continue
        if action is RA.CREDIT and not any(line.to_credit > 0 for line in ret.lines):
            continue
        actions.append(action)
    return tuple(actions)


def ensure_return_action(ret: ReturnAuthorization, action: ReturnAction) -> None:
    """Raise invalid_transition (naming what is allowed) unless ``action`` is allowed now."""
    allowed = allowed_return_actions(ret)
    if action not in allowed:
        raise InvalidTransitionError(ret.status, action, [str(a) for a in allowed], "return")


def status_after(lines: Sequence[ReturnLine]) -> ReturnStatus:
    """Received until everything authorized is received and credited; then credited."""
    if all(line.to_receive == 0 and line.to_credit == 0 for line in lines):
        return RS.CREDITED
    return RS.RECEIVED


# authorize --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ReturnLineInput:
    invoice_line_id: object
    quantity: object = None  # None: everything still returnable on the invoice line
    restock: object = None  # None: back to stock when the invoice line has a unit cost (goods)


def returnable(line: InvoiceLine, held_by_returns: Decimal, credited_through_returns: Decimal) -> Decimal:
    """What may still be returned of ``line``: invoiced, less what other returns hold (their authorized
    quantity), less what was credited by quantity other than through a return (a return's own posted
    credit is already in ``held_by_returns``)."""
    credited_elsewhere = line.credited_quantity - credited_through_returns
    return max(line.quantity - credited_elsewhere - held_by_returns, Decimal(0))


def build_return_lines(
    invoice: Invoice,
    inputs: Sequence[ReturnLineInput],
    available: Mapping[str, Decimal],
    ids: IdFactory,
) -> tuple[ReturnLine, ...]:
    """Return lines against ``invoice``; ``available`` is :func:`returnable` per invoice line id.
    Every field problem is reported at once; over-returns raise over_return naming the line's quantity."""
    if not inputs:
        raise ValidationFailedError.single("lines", "At least one line is required.", "required")
    errors: list[FieldError] = []
    over: list[tuple[str, str, Decimal]] = []
    seen: set[str] = set()
    lines: list[ReturnLine] = []
    for i, raw in enumerate(inputs):
        p = f"lines[{i}]"
        inv_line = invoice.line(raw.invoice_line_id) if isinstance(raw.invoice_line_id, str) else None
        if inv_line is None:
            errors.append(
                FieldError(f"{p}.invoice_line_id", "not_on_invoice", f"Not a line of invoice {invoice.number}.")
            )
            continue
        if inv_line.id in seen:
            errors.append(
                FieldError(f"{p}.invoice_line_id", "duplicate", "This invoice line is already returned here.")
            )
            continue
        seen.add(inv_line.id)
        restock = inv_line.unit_cost is not None if raw.restock is None else raw.restock
        if not isinstance(restock, bool):
            errors.append(FieldError(f"{p}.restock", "invalid", "Must be true or false."))
            continue
        if restock and inv_line.unit_cost is None:
            errors.append(FieldError(f"{p}.restock", "no_unit_cost", NOT_STOCK))
            continue
        left = available.get(inv_line.id, Decimal(0))
        if raw.quantity is None:
            quantity = left
        else:
            try:
                quantity = parse_quantity(raw.quantity, f"{p}.quantity")
            except ValidationFailedError as err:
                errors.extend(err.errors)
                continue
        if quantity <= 0 or quantity > left:
            over.append((f"{p}.quantity", inv_line.id, left))
            continue
        lines.append(ReturnLine(ids("rmal"), i + 1, inv_line.id, quantity, restock=restock))
    if errors:
        raise ValidationFailedError(errors)
    if over:
        field, line_id, left = over[0]
        raise OverReturnError(
            f"{field}: more than the {left} left to return on that invoice line.",
            field=field,
            invoice_line_id=line_id,
            returnable_quantity=str(left),
        )
    return tuple(lines)


# receive ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ReceiptInput:
    return_line_id: object
    quantity_received: object = None  # None: everything still to receive on the line
    restock: object = None  # None: as authorized
    condition: object = None


def receive_lines(
    ret: ReturnAuthorization,
    inputs: Sequence[ReceiptInput] | None,
    *,
    cancel_rest: bool = False,
    stockable: frozenset[str] | None = None,
) -> tuple[ReturnLine, ...]:
    """The lines after a receipt. ``inputs`` None receives everything still to receive (with ``cancel_rest``:
    nothing more); otherwise each named line receives the given quantity (added to what earlier receipts
    brought, at most what is authorized), optionally changing whether it goes back to stock and noting its
    condition. ``cancel_rest``: what is still not received after this receipt will not come; it is
    cancelled (and may be returned again on another return). ``stockable``: the invoice lines with a unit
    cost (only those can be restocked; None: not checked)."""
    if inputs is None:
        inputs = [] if cancel_rest else [ReceiptInput(line.id) for line in ret.lines if line.to_receive > 0]
    if not inputs and not cancel_rest:
        raise ValidationFailedError.single("lines", "At least one line is required.", "required")
    errors: list[FieldError] = []
    changed: dict[str, ReturnLine] = {}
    for i, raw in enumerate(inputs):
        p = f"lines[{i}]"
        line = ret.line(raw.return_line_id) if isinstance(raw.return_line_id, str) else None
        if line is None:
            errors.append(FieldError(f"{p}.return_line_id", "not_on_return", f"Not a line of {ret.number}."))
            continue
        if line.id in changed:
            errors.append(FieldError(f"{p}.return_line_id", "duplicate", "This line is already in the receipt."))
            continue
        if raw.restock is not None and not isinstance(raw.restock, bool):
            errors.append(FieldError(f"{p}.restock", "invalid", "Must be true or false."))
            continue
        if raw.restock is True and stockable is not None and line.invoice_line_id not in stockable:
            errors.append(FieldError(f"{p}.restock", "no_unit_cost", NOT_STOCK))
            continue
        if raw.condition is not None and (not isinstance(raw.condition, str) or len(raw.condition) > MAX_CONDITION):
            errors.append(FieldError(f"{p}.condition", "invalid", f"Text of at most {MAX_CONDITION} characters."))
            continue
        if raw.quantity_received is None:
            quantity = line.to_receive
        else:
            try:
                quantity = parse_quantity(raw.quantity_received, f"{p}.quantity_received")
            except ValidationFailedError as err:
                errors.extend(err.errors)
                continue
        if quantity <= 0 or quantity > line.to_receive:
            raise OverReturnError(
                f"{p}.quantity_received: more than the {line.to_receive} authorized and not yet received.",
                field=f"{p}.quantity_received",
                return_line_id=line.id,
                receivable_quantity=str(line.to_receive),
            )
        changed[line.id] = replace(
            line,
            quantity_received=line.quantity_received + quantity,
            restock=line.restock if raw.restock is None else bool(raw.restock),
            condition=line.condition if raw.condition is None else str(raw.condition),
        )
    if errors:
        raise ValidationFailedError(errors)
    lines = tuple(changed.get(line.id, line) for line in ret.lines)
    if cancel_rest:
        if not any(line.quantity_received > 0 for line in lines):
            raise ValidationFailedError.single(
                "cancel_rest", "Nothing is received: cancel the return instead.", "nothing_received"
            )
        lines = tuple(replace(line, quantity_cancelled=line.quantity_cancelled + line.to_receive) for line in lines)
    return lines


# credit -----------------------------------------------------------------------------------------
def to_credit(ret: ReturnAuthorization) -> tuple[ReturnLine, ...]:
    """The lines with received, not yet credited quantity: what a credit memo from the return takes."""
    ensure_return_action(ret, RA.CREDIT)
    return tuple(line for line in ret.lines if line.to_credit > 0)


def credited(ret: ReturnAuthorization, quantities: Mapping[str, Decimal], sign: int = 1) -> tuple[ReturnLine, ...]:
    """The lines with ``quantities`` (by invoice line id) credited (sign 1: a memo was created) or given
    back (sign -1: that memo was discarded or voided)."""
    out = []
    for line in ret.lines:
        qty = quantities.get(line.invoice_line_id, Decimal(0))
        out.append(replace(line, quantity_credited=line.quantity_credited + sign * qty) if qty else line)
    return tuple(out)
