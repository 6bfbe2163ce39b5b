"""Documents to journal entries (DESIGN §2 table): whole entries per source, and every entry the rules
produce balances in document and functional currency (rule 5)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from creditmemo.domain.chart import DEFAULT_ACCOUNTS, DEFAULT_REASON_CODES
from creditmemo.domain.crediting import build_credit_lines, build_free_lines, build_invoice_lines
from creditmemo.domain.documents import Company, Invoice, Memo, MemoKind, MemoLine, MemoSource, memo_totals
from creditmemo.domain.inputs import CreditLineInput, FreeLineInput, InvoiceLineInput
from creditmemo.domain.ledger import JournalEntry
from creditmemo.domain.lifecycle import Status
from creditmemo.domain.money import Money
from creditmemo.domain.posting_rules import invoice_entry, memo_entry
from tests.builders import expect_journal

D = Decimal
DAY = date(2026, 3, 2)
_n = iter(range(10**9))


def ids(prefix: str) -> str:
    return f"{prefix}_{next(_n)}"


def company(functional: str = "USD") -> Company:
    return Company(
        "co_1",
        "test",
        "Test Co",
        functional,
        {a.role: a.code for a in DEFAULT_ACCOUNTS if a.role},
        {r.code: r.account_code for r in DEFAULT_REASON_CODES},
    )


def make_invoice(lines: list[InvoiceLineInput], currency: str = "USD", rate: str = "1") -> Invoice:
    built = build_invoice_lines(lines, currency, "4000", ids)
    subtotal, tax, total = memo_totals(built, currency)  # type: ignore[arg-type]  # a built memo is a sequence of lines
    zero = Money.zero(currency)
    return Invoice(
        "inv_1",
        "co_1",
        "cus_1",
        "INV-000001",
        "issued",
        currency,
        D(rate),
        DAY,
        DAY,
        built,
        subtotal,
        tax,
        total,
        zero,
        zero,
    )


def make_memo(
    lines: tuple[MemoLine, ...],
    *,
    currency: str = "USD",
    rate: str = "1",
    kind: MemoKind = MemoKind.CREDIT,
    source: MemoSource = MemoSource.INVOICE,
    reason: str = "billing_error",
) -> Memo:
    subtotal, tax, total = memo_totals(lines, currency)
    zero = Money.zero(currency)
    return Memo(
        "cm_1",
        "co_1",
        kind,
        "CM-000001",
        "cus_1",
        source,
        reason,
        currency,
        D(rate),
        DAY,
        Status.DRAFT,
        lines,
        subtotal,
        tax,
        total,
        zero,
        zero,
        invoice_id="inv_1" if source is not MemoSource.STANDALONE else None,
    )


def functional_rows(entry: JournalEntry) -> list[tuple[str, str, str]]:
    return [
        (line.account, str(line.functional_debit.amount), str(line.functional_credit.amount)) for line in entry.lines
    ]


def assert_balanced(entry: JournalEntry) -> None:
    assert sum(line.debit.amount for line in entry.lines) == sum(line.credit.amount for line in entry.lines)
    assert sum(line.functional_debit.amount for line in entry.lines) == sum(
        line.functional_credit.amount for line in entry.lines
    )


INVOICE = [
    InvoiceLineInput("Subscription", "10", "100.00", tax_rate="8.25"),
    InvoiceLineInput("Gateway", "5", "499.00", tax_rate="8.25", unit_cost="310.00"),
]


class TestWholeEntries:
    def test_invoice(self):
        inv = make_invoice(INVOICE)
        entry = invoice_entry(inv, company(), ids)
        expect_journal(
            entry,
            """
            Cr 4000 3495.00 USD
            Cr 2200 288.34 USD
            Dr 1200 3783.34 USD
        """,
        )
        assert (entry.source_type, entry.source_id, entry.kind, entry.date) == ("invoice", "inv_1", "post", DAY)
        assert entry.lines[-1].customer_id == "cus_1"

    def test_credit_memo_from_an_invoice(self):
        inv = make_invoice(INVOICE)
        lines = build_credit_lines(inv, [CreditLineInput(inv.lines[0].id, quantity="3")], ids)
        entry = memo_entry(make_memo(lines), company(), ids, date(2026, 3, 5))
        expect_journal(
            entry,
            """
            Dr 4900 300.00 USD
            Dr 2200 24.75 USD
            Cr 1200 324.75 USD
        """,
        )
        assert (entry.source_type, entry.date, entry.lines[-1].customer_id) == (
            "credit_memo",
            date(2026, 3, 5),
            "cus_1",
        )

    def test_return_with_restock_moves_inventory_at_unit_cost(self):
        inv = make_invoice(INVOICE)
        lines = build_credit_lines(inv, [CreditLineInput(inv.lines[1].id, quantity="2", restock=True)], ids)
        assert lines[0].restock
        assert lines[0].unit_cost == D("310.00")
        entry = memo_entry(make_memo(lines, source=MemoSource.RETURN, reason="return"), company(), ids, DAY)
        expect_journal(
            entry,
            """
            Dr 4900 998.00 USD
            Dr 2200 82.34 USD
            Dr 1300 620.00 USD
            Cr 5000 620.00 USD
            Cr 1200 1080.34 USD
        """,
        )

    def test_return_without_restock_moves_no_inventory(self):
        inv = make_invoice(INVOICE)
        lines = build_credit_lines(inv, [CreditLineInput(inv.lines[1].id, quantity="2")], ids)
        entry = memo_entry(make_memo(lines, source=MemoSource.RETURN, reason="return"), company(), ids, DAY)
        assert {line.account for line in entry.lines} == {"4900", "2200", "1200"}

    def test_standalone_goodwill_debits_the_reason_account(self):
        lines = build_free_lines([FreeLineInput("Goodwill", "1", "300.00")], "USD", ids)
        entry = memo_entry(make_memo(lines, source=MemoSource.STANDALONE, reason="goodwill"), company(), ids, DAY)
        expect_journal(
            entry,
            """
            Dr 6100 300.00 USD
            Cr 1200 300.00 USD
        """,
        )

    def test_standalone_line_with_its_own_account_and_tax(self):
        lines = build_free_lines([FreeLineInput("Promo", "2", "25.00", tax_rate="10", account_code="6200")], "USD", ids)
        entry = memo_entry(make_memo(lines, source=MemoSource.STANDALONE, reason="goodwill"), company(), ids, DAY)
        expect_journal(
            entry,
            """
            Dr 6200 50.00 USD
            Dr 2200 5.00 USD
            Cr 1200 55.00 USD
        """,
        )

    def test_debit_memo_debits_ar_and_credits_the_reason_account(self):
        lines = build_free_lines(
            [FreeLineInput("Charge-back", "1", "1200.00", tax_rate="5")], "USD", ids, id_prefix="dml"
        )
        memo = make_memo(lines, kind=MemoKind.DEBIT, source=MemoSource.STANDALONE, reason="chargeback")
        entry = memo_entry(memo, company(), ids, DAY)
        expect_journal(
            entry,
            """
            Cr 4000 1200.00 USD
            Cr 2200 60.00 USD
            Dr 1200 1260.00 USD
        """,
        )
        assert entry.source_type == "debit_memo"
        temporary = make_memo(lines, kind=MemoKind.DEBIT, source=MemoSource.STANDALONE, reason="temporary_credit")
        assert [line.account for line in memo_entry(temporary, company(), ids, DAY).lines] == ["1150", "2200", "1200"]

    def test_eur_memo_converts_at_the_invoice_rate(self):
        inv = make_invoice([InvoiceLineInput("Retainer", "1", "8000.00", tax_rate="19")], "EUR", "1.0850")
        lines = build_credit_lines(inv, [CreditLineInput(inv.lines[0].id, amount="800.00")], ids)
        entry = memo_entry(make_memo(lines, currency="EUR", rate="1.0850"), company(), ids, DAY)
        expect_journal(
            entry,
            """
            Dr 4900 800.00 EUR
            Dr 2200 152.00 EUR
            Cr 1200 952.00 EUR
        """,
        )
        assert functional_rows(entry) == [
            ("4900", "868.00", "0.00"),
            ("2200", "164.92", "0.00"),
            ("1200", "0.00", "1032.92"),
        ]


CURRENCY_RATES = st.sampled_from(
    [("USD", "1"), ("EUR", "1.0850"), ("JPY", "0.0067"), ("KWD", "3.2616"), ("GBP", "149.5")]
)
invoice_lines = st.lists(
    st.builds(
        lambda q, p, r, c: InvoiceLineInput("Item", str(q), str(p), tax_rate=str(r), unit_cost=str(c)),
        st.integers(1, 500),
        st.decimals(min_value=1, max_value=50000, places=0, allow_nan=False, allow_infinity=False),
        st.decimals(min_value=0, max_value=30, places=4, allow_nan=False, allow_infinity=False),
        st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=200, deadline=None)
@given(CURRENCY_RATES, invoice_lines, st.data())
def test_every_entry_posting_rules_produce_balances(currency_rate, lines, data):
    currency, rate = currency_rate
    functional = data.draw(st.sampled_from(["USD", "JPY", "KWD"]))
    co = company(functional)
    inv = make_invoice(lines, currency, rate)
    assert_balanced(invoice_entry(inv, co, ids))
    chosen = [
        CreditLineInput(
            line.id, quantity=str(data.draw(st.integers(1, int(line.quantity)))), restock=data.draw(st.booleans())
        )
        for line in inv.lines
    ]
    credit_lines = build_credit_lines(inv, chosen, ids)
    for source in (MemoSource.INVOICE, MemoSource.RETURN):
        assert_balanced(memo_entry(make_memo(credit_lines, currency=currency, rate=rate, source=source), co, ids, DAY))
    free = build_free_lines([FreeLineInput("x", i.quantity, i.unit_price, i.tax_rate) for i in lines], currency, ids)
    for kind, reason in ((MemoKind.CREDIT, "goodwill"), (MemoKind.DEBIT, "chargeback")):
        memo = make_memo(free, currency=currency, rate=rate, kind=kind, source=MemoSource.STANDALONE, reason=reason)
        entry = memo_entry(memo, co, ids, DAY)
        assert_balanced(entry)
        ar = entry.lines[-1]
        assert ar.account == "1200"
        assert (ar.debit if kind is MemoKind.DEBIT else ar.credit) == memo.total
