"""Returns (RMA, issue 10, seed 002) through the real app, on both engines: authorize -> receive -> credit
memo with inventory and COGS, the seed's numbers to the cent, partial receipts, edits and cancels, the
refusals (typed problems, nothing written), roles and company isolation, the audit trail, and two memos
racing for one return's received quantity on PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from creditmemo.services.actors import system_actor
from creditmemo.services.audit_trail import verify_audit_chain
from creditmemo.services.reports import reconcile, trial_balance
from creditmemo.store.uow import Database
from tests.api.conftest import Tenant, assert_problem

WIDGET = {"description": "Widget", "quantity": "1", "unit_price": "100.00", "unit_cost": "60.00"}


def goods(tenant: Tenant, *lines: dict[str, Any], customer_id: str | None = None) -> dict[str, Any]:
    return tenant.invoice(customer_id, list(lines) or [WIDGET])


def rma(
    tenant: Tenant,
    inv: dict[str, Any],
    *quantities: str | None,
    role: str = "controller",
    key: str | None = None,
    **body: Any,
) -> Any:
    lines = [
        {"invoice_line_id": line["id"], **({} if qty is None else {"quantity": qty})}
        for line, qty in zip(inv["lines"], quantities or ("1",), strict=False)
    ]
    return tenant.post("/v1/returns", {"invoice_id": inv["id"], "lines": lines, **body}, role=role, key=key)


def entry(tenant: Tenant, memo_id: str) -> list[list[tuple[str, str, str]]]:
    entries = tenant.ok(tenant.get(f"/v1/credit-memos/{memo_id}/journal-entries"))
    return [sorted((j["account"], j["debit"], j["credit"]) for j in e["lines"]) for e in entries]


def returns_of(tenant: Tenant, inv: dict[str, Any]) -> list[dict[str, Any]]:
    return tenant.ok(tenant.get(f"/v1/returns?invoice_id={inv['id']}"))["data"]


def books_are_sound(db: Database, tenant: Tenant) -> None:
    with db.uow(readonly=True) as uow:
        actor = system_actor(tenant.company_id, "test")
        assert reconcile(uow, actor).problems == ()
        assert trial_balance(uow, actor).balanced
    with db.uow() as uow:
        assert verify_audit_chain(uow, tenant.company_id) is None


class TestSeed002:
    def test_returned_and_restocked_posts_revenue_ar_inventory_and_cogs_to_the_cent(
        self, db: Database, tenant: Tenant
    ) -> None:
        inv = goods(tenant)
        ret = tenant.ok(rma(tenant, inv, "1", case_reference="CASE-4711"), 201)
        assert ret["number"] == "RMA-000001"
        assert (ret["status"], ret["invoice_id"], ret["customer_id"]) == ("authorized", inv["id"], inv["customer_id"])
        assert ret["case_reference"] == "CASE-4711"
        assert [
            (x["quantity"], x["quantity_received"], x["quantity_credited"], x["restock"]) for x in ret["lines"]
        ] == [("1", "0", "0", True)]
        assert ret["allowed_actions"] == ["edit", "receive", "cancel"]
        received = tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/receive"))
        assert received["status"] == "received"
        assert received["lines"][0]["quantity_received"] == "1"
        assert received["allowed_actions"] == ["credit"]
        memo = tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/credit-memo", {"post": True}), 201)
        assert (memo["status"], memo["source"], memo["return_id"]) == ("posted", "return", ret["id"])
        assert (memo["invoice_id"], memo["reference"], memo["total"]) == (inv["id"], "CASE-4711", "100.00")
        assert entry(tenant, memo["id"]) == [
            sorted(
                [
                    ("4900", "100.00", "0.00"),
                    ("1200", "0.00", "100.00"),
                    ("1300", "60.00", "0.00"),
                    ("5000", "0.00", "60.00"),
                ]
            )
        ]
        after = tenant.ok(tenant.get(f"/v1/returns/{ret['id']}"))
        assert after["status"] == "credited"
        assert after["allowed_actions"] == []
        assert after["lines"][0]["quantity_credited"] == "1"
        assert [(m["id"], m["number"], m["status"]) for m in after["credit_memos"]] == [
            (memo["id"], memo["number"], "posted")
        ]
        assert tenant.ok(tenant.get(f"/v1/invoices/{inv['id']}"))["amount_credited"] == "100.00"
        books_are_sound(db, tenant)

    def test_a_damaged_line_posts_no_inventory_entry(self, tenant: Tenant) -> None:
        inv = goods(tenant)
        ret = tenant.ok(rma(tenant, inv, "1"), 201)
        line = ret["lines"][0]["id"]
        received = tenant.ok(
            tenant.post(
                f"/v1/returns/{ret['id']}/receive",
                {"lines": [{"return_line_id": line, "restock": False, "condition": "crushed"}]},
            )
        )
        assert (received["lines"][0]["restock"], received["lines"][0]["condition"]) == (False, "crushed")
        memo = tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/credit-memo", {"post": True}), 201)
        assert entry(tenant, memo["id"]) == [sorted([("4900", "100.00", "0.00"), ("1200", "0.00", "100.00")])]

    def test_a_void_reverses_all_of_it_and_the_return_can_be_credited_again(self, db: Database, tenant: Tenant) -> None:
        inv = goods(tenant)
        ret = tenant.ok(rma(tenant, inv, "1"), 201)
        tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/receive"))
        memo = tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/credit-memo", {"post": True, "auto_apply": False}), 201)
        tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/void", {"reason": "wrong return"}))
        posted, reversal = entry(tenant, memo["id"])
        assert reversal == sorted(
            [
                ("4900", "0.00", "100.00"),
                ("1200", "100.00", "0.00"),
                ("1300", "0.00", "60.00"),
                ("5000", "60.00", "0.00"),
            ]
        )
        assert posted != reversal
        again = tenant.ok(tenant.get(f"/v1/returns/{ret['id']}"))
        assert (again["status"], again["lines"][0]["quantity_credited"], again["allowed_actions"]) == (
            "received",
            "0",
            ["credit"],
        )
        assert tenant.ok(tenant.get(f"/v1/invoices/{inv['id']}"))["amount_credited"] == "0.00"
        second = tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/credit-memo", {"post": True}), 201)
        assert second["total"] == "100.00"
        books_are_sound(db, tenant)


class TestLifecycle:
    def test_partial_receipt_is_credited_and_the_rest_received_later(self, tenant: Tenant) -> None:
        inv = goods(
            tenant,
            {"description": "Widget", "quantity": "3", "unit_price": "19.99", "tax_rate": "8.25", "unit_cost": "7.50"},
        )
        ret = tenant.ok(rma(tenant, inv, "3"), 201)
        line = ret["lines"][0]["id"]
        tenant.ok(
            tenant.post(
                f"/v1/returns/{ret['id']}/receive", {"lines": [{"return_line_id": line, "quantity_received": "1"}]}
            )
        )
        first = tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/credit-memo", {"post": True}), 201)
        assert (first["lines"][0]["quantity"], first["subtotal"], first["tax_total"]) == ("1", "19.99", "1.65")
        mid = tenant.ok(tenant.get(f"/v1/returns/{ret['id']}"))
        assert (mid["status"], mid["allowed_actions"]) == ("received", ["receive"])
        assert_problem(tenant.post(f"/v1/returns/{ret['id']}/credit-memo", {}), 409, "invalid_transition")
        tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/receive"))
        second = tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/credit-memo", {"post": True}), 201)
        # rule 2: the completing credit takes what is left, so the line nets to zero
        assert (second["lines"][0]["quantity"], second["subtotal"], second["tax_total"]) == ("2", "39.98", "3.30")
        invoice = tenant.ok(tenant.get(f"/v1/invoices/{inv['id']}"))
        assert invoice["amount_credited"] == invoice["total"]
        assert entry(tenant, second["id"])[0] == sorted(
            [
                ("4900", "39.98", "0.00"),
                ("2200", "3.30", "0.00"),
                ("1200", "0.00", "43.28"),
                ("1300", "15.00", "0.00"),
                ("5000", "0.00", "15.00"),
            ]
        )
        assert tenant.ok(tenant.get(f"/v1/returns/{ret['id']}"))["status"] == "credited"

    def test_the_rest_that_will_not_come_is_cancelled_and_can_be_returned_again(self, tenant: Tenant) -> None:
        inv = goods(tenant, {**WIDGET, "quantity": "3"})
        ret = tenant.ok(rma(tenant, inv, "3"), 201)
        line = ret["lines"][0]["id"]
        tenant.ok(
            tenant.post(
                f"/v1/returns/{ret['id']}/receive", {"lines": [{"return_line_id": line, "quantity_received": "1"}]}
            )
        )
        memo = tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/credit-memo", {"post": True}), 201)
        assert memo["total"] == "100.00"
        assert_problem(rma(tenant, inv, "1"), 422, "over_return")  # the other two are still held
        closed = tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/receive", {"cancel_rest": True}))
        assert (closed["status"], closed["allowed_actions"]) == ("credited", [])
        assert [(x["quantity_received"], x["quantity_credited"], x["quantity_cancelled"]) for x in closed["lines"]] == [
            ("1", "1", "2")
        ]
        assert tenant.ok(rma(tenant, inv, "2"), 201)["number"] == "RMA-000002"

    def test_cancelling_the_rest_of_nothing_received_is_refused(self, tenant: Tenant) -> None:
        inv = goods(tenant)
        ret = tenant.ok(rma(tenant, inv, "1"), 201)
        assert_problem(
            tenant.post(f"/v1/returns/{ret['id']}/receive", {"cancel_rest": True}),
            422,
            "validation_error",
            "cancel_rest",
        )
        assert tenant.ok(tenant.get(f"/v1/returns/{ret['id']}"))["status"] == "authorized"

    def test_a_line_credited_partly_by_amount_and_partly_through_a_return_nets_its_tax(self, tenant: Tenant) -> None:
        inv = goods(tenant, {"description": "Widget", "quantity": "2", "unit_price": "10.00", "tax_rate": "7.5"})
        line = inv["lines"][0]
        by_amount = tenant.memo_from(inv, lines=[{"invoice_line_id": line["id"], "amount": "0.07"}])
        tenant.ok(tenant.post(f"/v1/credit-memos/{by_amount['id']}/post"))
        ret = tenant.ok(rma(tenant, inv, "2"), 201)
        tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/receive"))
        tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/credit-memo", {"post": True}), 201)
        invoice = tenant.ok(tenant.get(f"/v1/invoices/{inv['id']}"))
        assert (invoice["amount_credited"], invoice["total"]) == ("21.50", "21.50")

    def test_a_large_return_credit_needs_a_managers_sign_off_seed_000(self, tenant: Tenant) -> None:
        """Ironclad: returns above 5,000 need a manager; the memo from a return follows the same approvals."""
        inv = goods(tenant, {"description": "Press", "quantity": "1", "unit_price": "7000.00", "unit_cost": "4000.00"})
        ret = tenant.ok(rma(tenant, inv, "1", case_reference="CASE-IRON-1"), 201)
        tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/receive"))
        memo = tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/credit-memo", {"post": True}), 201)
        assert (memo["status"], memo["reference"]) == ("pending_approval", "CASE-IRON-1")
        assert tenant.ok(tenant.get(f"/v1/credit-memos/{memo['id']}/journal-entries")) == []
        tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/approve", role="manager"))
        assert tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post"))["status"] == "posted"
        assert entry(tenant, memo["id"]) == [
            sorted(
                [
                    ("4900", "7000.00", "0.00"),
                    ("1200", "0.00", "7000.00"),
                    ("1300", "4000.00", "0.00"),
                    ("5000", "0.00", "4000.00"),
                ]
            )
        ]

    def test_a_draft_memo_holds_the_quantity_and_discarding_it_gives_it_back(self, tenant: Tenant) -> None:
        inv = goods(tenant)
        ret = tenant.ok(rma(tenant, inv, "1", reason_code="damaged_goods"), 201)
        tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/receive"))
        draft = tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/credit-memo"), 201)
        assert (draft["status"], draft["reason_code"], draft["lines"][0]["restock"]) == ("draft", "damaged_goods", True)
        assert_problem(tenant.post(f"/v1/returns/{ret['id']}/credit-memo"), 409, "invalid_transition")
        assert_problem(
            tenant.patch(
                f"/v1/credit-memos/{draft['id']}",
                {"lines": [{"invoice_line_id": inv["lines"][0]["id"], "quantity": "1"}]},
            ),
            422,
            "validation_error",
            "lines",
        )
        tenant.ok(tenant.post(f"/v1/credit-memos/{draft['id']}/discard", {"reason": "redo"}))
        assert tenant.ok(tenant.get(f"/v1/returns/{ret['id']}"))["allowed_actions"] == ["credit"]

    def test_edit_while_authorized_then_cancel_frees_the_quantity(self, tenant: Tenant) -> None:
        inv = goods(tenant, {**WIDGET, "quantity": "5"})
        ret = tenant.ok(rma(tenant, inv, "2"), 201)
        edited = tenant.ok(
            tenant.patch(
                f"/v1/returns/{ret['id']}",
                {
                    "case_reference": "T-9",
                    "lines": [{"invoice_line_id": inv["lines"][0]["id"], "quantity": "5", "restock": False}],
                },
            )
        )
        assert (edited["case_reference"], edited["lines"][0]["quantity"], edited["lines"][0]["restock"]) == (
            "T-9",
            "5",
            False,
        )
        assert_problem(rma(tenant, inv, "1"), 422, "over_return", "lines[0].quantity")
        assert_problem(
            tenant.post(f"/v1/returns/{ret['id']}/cancel", {"reason": " "}), 422, "validation_error", "reason"
        )
        cancelled = tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/cancel", {"reason": "kept the goods"}))
        assert (cancelled["status"], cancelled["cancel_reason"], cancelled["allowed_actions"]) == (
            "cancelled",
            "kept the goods",
            [],
        )
        assert_problem(tenant.patch(f"/v1/returns/{ret['id']}", {"case_reference": "late"}), 409, "invalid_transition")
        assert tenant.ok(rma(tenant, inv, "5"), 201)["number"] == "RMA-000002"

    def test_numbers_are_gapless_and_lists_filter(self, tenant: Tenant) -> None:
        inv = goods(tenant, {**WIDGET, "quantity": "9"})
        first = tenant.ok(rma(tenant, inv, "1"), 201)
        assert_problem(rma(tenant, inv, "99"), 422, "over_return")  # refused: takes no number
        second = tenant.ok(rma(tenant, inv, "1"), 201)
        assert (first["number"], second["number"]) == ("RMA-000001", "RMA-000002")
        tenant.ok(tenant.post(f"/v1/returns/{second['id']}/receive"))
        other_inv = goods(tenant, customer_id=None)
        tenant.ok(rma(tenant, other_inv, "1"), 201)
        page = tenant.ok(tenant.get("/v1/returns?status=received"))
        assert [r["id"] for r in page["data"]] == [second["id"]]
        assert page["data"][0]["credit_memos"] is None
        assert {r["id"] for r in returns_of(tenant, inv)} == {first["id"], second["id"]}
        by_customer = tenant.ok(tenant.get(f"/v1/returns?customer_id={inv['customer_id']}&sort=number&limit=1"))
        assert ([r["number"] for r in by_customer["data"]], by_customer["has_more"]) == (["RMA-000001"], True)


class TestRefusals:
    @pytest.mark.parametrize(
        ("quantity", "status", "code", "field"),
        [
            ("2", 422, "over_return", "lines[0].quantity"),
            ("0", 422, "validation_error", "lines[0].quantity"),
            ("abc", 422, "validation_error", "lines[0].quantity"),
        ],
    )
    def test_bad_quantities_write_nothing(
        self, tenant: Tenant, quantity: str, status: int, code: str, field: str
    ) -> None:
        inv = goods(tenant)
        assert_problem(rma(tenant, inv, quantity), status, code, field)
        assert returns_of(tenant, inv) == []

    def test_what_earlier_returns_and_quantity_credits_took_is_not_returnable(self, tenant: Tenant) -> None:
        inv = goods(tenant, {**WIDGET, "quantity": "4"})
        line = inv["lines"][0]["id"]
        memo = tenant.memo_from(inv, lines=[{"invoice_line_id": line, "quantity": "1"}])
        tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/post"))
        tenant.ok(rma(tenant, inv, "2"), 201)
        body = assert_problem(rma(tenant, inv, "2"), 422, "over_return", "lines[0].quantity")
        assert body["returnable_quantity"] == "1"
        assert len(returns_of(tenant, inv)) == 1

    def test_restocking_a_line_without_a_unit_cost_is_refused(self, tenant: Tenant) -> None:
        inv = goods(tenant, WIDGET, {"description": "Installation", "quantity": "1", "unit_price": "50.00"})
        body = {"invoice_id": inv["id"], "lines": [{"invoice_line_id": inv["lines"][1]["id"], "restock": True}]}
        assert_problem(tenant.post("/v1/returns", body), 422, "validation_error", "lines[0].restock")
        ret = tenant.ok(rma(tenant, inv, None, None), 201)
        assert [x["restock"] for x in ret["lines"]] == [True, False]
        service_line = ret["lines"][1]["id"]
        assert_problem(
            tenant.post(
                f"/v1/returns/{ret['id']}/receive", {"lines": [{"return_line_id": service_line, "restock": True}]}
            ),
            422,
            "validation_error",
            "lines[0].restock",
        )
        assert returns_of(tenant, inv)[0]["status"] == "authorized"

    def test_receiving_more_than_authorized_is_over_return(self, tenant: Tenant) -> None:
        inv = goods(tenant, {**WIDGET, "quantity": "2"})
        ret = tenant.ok(rma(tenant, inv, "2"), 201)
        line = ret["lines"][0]["id"]
        assert_problem(
            tenant.post(
                f"/v1/returns/{ret['id']}/receive", {"lines": [{"return_line_id": line, "quantity_received": "3"}]}
            ),
            422,
            "over_return",
            "lines[0].quantity_received",
        )
        assert_problem(
            tenant.post(f"/v1/returns/{ret['id']}/receive", {"lines": [{"return_line_id": "rmal_nope"}]}),
            422,
            "validation_error",
            "lines[0].return_line_id",
        )
        assert tenant.ok(tenant.get(f"/v1/returns/{ret['id']}"))["lines"][0]["quantity_received"] == "0"

    def test_crediting_unreceived_twice_and_cancelling_received_are_invalid_transitions(self, tenant: Tenant) -> None:
        inv = goods(tenant)
        ret = tenant.ok(rma(tenant, inv, "1"), 201)
        body = assert_problem(tenant.post(f"/v1/returns/{ret['id']}/credit-memo"), 409, "invalid_transition")
        assert body["allowed_actions"] == ["edit", "receive", "cancel"]
        tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/receive"))
        body = assert_problem(
            tenant.post(f"/v1/returns/{ret['id']}/cancel", {"reason": "x"}), 409, "invalid_transition"
        )
        assert body["allowed_actions"] == ["credit"]
        assert_problem(tenant.post(f"/v1/returns/{ret['id']}/receive"), 409, "invalid_transition")
        tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/credit-memo"), 201)
        body = assert_problem(tenant.post(f"/v1/returns/{ret['id']}/credit-memo"), 409, "invalid_transition")
        assert body["allowed_actions"] == []
        assert len(tenant.ok(tenant.get(f"/v1/credit-memos?invoice_id={inv['id']}"))["data"]) == 1

    def test_a_line_of_another_invoice_or_company_and_unknown_ids(self, tenant: Tenant, other: Tenant) -> None:
        inv, elsewhere = goods(tenant), goods(tenant)
        body = {"invoice_id": inv["id"], "lines": [{"invoice_line_id": elsewhere["lines"][0]["id"], "quantity": "1"}]}
        assert_problem(tenant.post("/v1/returns", body), 422, "validation_error", "lines[0].invoice_line_id")
        theirs = goods(other)
        assert_problem(rma(tenant, theirs, "1"), 404, "not_found")
        their_ret = other.ok(rma(other, theirs, "1"), 201)
        for response in (
            tenant.get(f"/v1/returns/{their_ret['id']}"),
            tenant.post(f"/v1/returns/{their_ret['id']}/receive"),
            tenant.post(f"/v1/returns/{their_ret['id']}/cancel", {"reason": "x"}),
            tenant.post(f"/v1/returns/{their_ret['id']}/credit-memo"),
            tenant.patch(f"/v1/returns/{their_ret['id']}", {"case_reference": "x"}),
            tenant.get("/v1/returns/rma_unknown"),
        ):
            assert_problem(response, 404, "not_found")
        assert tenant.ok(tenant.get("/v1/returns"))["data"] == []
        assert other.ok(other.get(f"/v1/returns/{their_ret['id']}"))["status"] == "authorized"
        assert_problem(tenant.post("/v1/returns", {"invoice_id": inv["id"], "lines": []}), 422, "validation_error")
        assert_problem(
            tenant.post(
                "/v1/returns",
                {"invoice_id": inv["id"], "lines": [{"invoice_line_id": inv["lines"][0]["id"], "quantity": 1}]},
            ),
            422,
            "validation_error",
        )
        assert_problem(rma(tenant, inv, "1", reason_code="nonsense"), 422, "validation_error", "reason_code")
        assert returns_of(tenant, inv) == []


class TestRolesAndAudit:
    def test_roles(self, tenant: Tenant) -> None:
        inv = goods(tenant)
        assert_problem(rma(tenant, inv, "1", role="auditor"), 403, "forbidden")
        assert_problem(rma(tenant, inv, "1", role="admin"), 403, "forbidden")
        ret = tenant.ok(rma(tenant, inv, "1", role="clerk"), 201)
        assert tenant.ok(tenant.get(f"/v1/returns/{ret['id']}", role="auditor"))["id"] == ret["id"]
        assert_problem(tenant.post(f"/v1/returns/{ret['id']}/receive", role="auditor"), 403, "forbidden")
        tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/receive", role="clerk"))
        assert_problem(
            tenant.post(f"/v1/returns/{ret['id']}/credit-memo", {"post": True}, role="clerk"), 403, "forbidden"
        )
        assert tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/credit-memo", role="clerk"), 201)["status"] == "draft"
        assert tenant.client.get("/v1/returns").status_code == 401

    def test_every_step_is_an_audit_event_and_idempotency_replays(self, db: Database, tenant: Tenant) -> None:
        inv = goods(tenant)
        first = rma(tenant, inv, "1", key="rma-1")
        replay = rma(tenant, inv, "1", key="rma-1")
        assert replay.headers.get("Idempotent-Replayed") == "true"
        assert first.json() == replay.json()
        assert_problem(rma(tenant, inv, None, key="rma-1"), 409, "idempotency_conflict")
        ret = first.json()
        tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/receive"))
        tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/credit-memo"), 201)
        events = tenant.ok(tenant.get(f"/v1/audit-events?entity_id={ret['id']}&limit=100", role="auditor"))["data"]
        assert [e["action"] for e in events] == ["return.authorized", "return.received", "return.credited"]
        assert events[0]["changes"]["number"] == [None, "RMA-000001"]
        books_are_sound(db, tenant)

    def test_edits_cancels_and_memos_given_back_are_audit_events_too(self, db: Database, tenant: Tenant) -> None:
        inv = goods(tenant, {**WIDGET, "quantity": "2"})
        kept = tenant.ok(rma(tenant, inv, "1"), 201)
        tenant.ok(tenant.patch(f"/v1/returns/{kept['id']}", {"case_reference": "T-1"}))
        tenant.ok(tenant.post(f"/v1/returns/{kept['id']}/cancel", {"reason": "kept"}))
        ret = tenant.ok(rma(tenant, inv, "1"), 201)
        tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/receive"))
        memo = tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/credit-memo", {"post": True, "auto_apply": False}), 201)
        tenant.ok(tenant.post(f"/v1/credit-memos/{memo['id']}/void", {"reason": "redo"}))

        def actions(return_id: str) -> list[str]:
            events = tenant.ok(tenant.get(f"/v1/audit-events?entity_id={return_id}&limit=100", role="auditor"))["data"]
            return [e["action"] for e in events]

        assert actions(kept["id"]) == ["return.authorized", "return.updated", "return.cancelled"]
        assert actions(ret["id"]) == [
            "return.authorized",
            "return.received",
            "return.credited",
            "return.credit_released",
        ]
        books_are_sound(db, tenant)


class TestRace:
    @pytest.mark.postgres_only
    def test_two_memos_racing_for_one_returns_received_quantity_one_wins(self, db: Database, tenant: Tenant) -> None:
        inv = goods(tenant, {**WIDGET, "quantity": "3"})
        ret = tenant.ok(rma(tenant, inv, "3"), 201)
        tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/receive"))
        results: list[Any] = []
        barrier = threading.Barrier(4)

        def go(post: bool) -> None:
            barrier.wait(10)
            results.append(tenant.post(f"/v1/returns/{ret['id']}/credit-memo", {"post": post}))

        threads = [threading.Thread(target=go, args=(i % 2 == 0,)) for i in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(30)
        assert sorted(r.status_code for r in results) == [201, 409, 409, 409]
        assert {r.json()["code"] for r in results if r.status_code == 409} == {"invalid_transition"}
        memos = tenant.ok(tenant.get(f"/v1/credit-memos?invoice_id={inv['id']}"))["data"]
        assert len(memos) == 1
        assert memos[0]["lines"][0]["quantity"] == "3"
        after = tenant.ok(tenant.get(f"/v1/returns/{ret['id']}"))
        assert (after["status"], after["lines"][0]["quantity_credited"]) == ("credited", "3")
        books_are_sound(db, tenant)

    @pytest.mark.postgres_only
    def test_two_returns_racing_for_the_last_units_of_a_line_one_wins(self, db: Database, tenant: Tenant) -> None:
        inv = goods(tenant, {**WIDGET, "quantity": "2"})
        results: list[Any] = []
        barrier = threading.Barrier(4)

        def go() -> None:
            barrier.wait(10)
            results.append(rma(tenant, inv, "2"))

        threads = [threading.Thread(target=go) for _ in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(30)
        assert sorted(r.status_code for r in results) == [201, 422, 422, 422]
        assert {r.json()["code"] for r in results if r.status_code == 422} == {"over_return"}
        assert [r["number"] for r in returns_of(tenant, inv)] == ["RMA-000001"]

    @pytest.mark.postgres_only
    def test_voiding_a_returns_memo_while_it_is_credited_again_never_deadlocks(
        self, db: Database, tenant: Tenant
    ) -> None:
        """The void locks memo, return, invoice; the new credit locks return, invoice: one order, no deadlock.
        Whichever goes first, the books reconcile and the return is credited at most once at any time."""
        for _ in range(3):
            inv = goods(tenant, {**WIDGET, "quantity": "2"})
            ret = tenant.ok(rma(tenant, inv, "2"), 201)
            tenant.ok(tenant.post(f"/v1/returns/{ret['id']}/receive"))
            first = tenant.ok(
                tenant.post(f"/v1/returns/{ret['id']}/credit-memo", {"post": True, "auto_apply": False}), 201
            )
            results: dict[str, Any] = {}
            barrier = threading.Barrier(2)

            def void(memo_id: str = first["id"], barrier: Any = barrier, results: Any = results) -> None:
                barrier.wait(10)
                results["void"] = tenant.post(f"/v1/credit-memos/{memo_id}/void", {"reason": "race"})

            def credit(return_id: str = ret["id"], barrier: Any = barrier, results: Any = results) -> None:
                barrier.wait(10)
                results["credit"] = tenant.post(f"/v1/returns/{return_id}/credit-memo", {"post": True})

            threads = [threading.Thread(target=void), threading.Thread(target=credit)]
            for th in threads:
                th.start()
            for th in threads:
                th.join(30)
            assert results["void"].status_code == 200, results["void"].text
            assert results["credit"].status_code in (201, 409), results["credit"].text
            after = tenant.ok(tenant.get(f"/v1/returns/{ret['id']}"))
            credited = "2" if results["credit"].status_code == 201 else "0"
            assert after["lines"][0]["quantity_credited"] == credited
            posted = [m for m in after["credit_memos"] if m["status"] == "posted"]
            assert len(posted) == (1 if credited == "2" else 0)
        books_are_sound(db, tenant)
