"""The load the stress tests put on a server: client threads, each with its own HTTP connection, its own random
stream and the customer it works on, picking operations by weight (OPERATIONS: every write of the API;
KILL_OPERATIONS: the creates and settlements the kill test checks afterwards)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from tests.stress.harness import Api, Call, Pool, Recorder, new_key, today


def amount(rng: random.Random, low: float, high: float) -> str:
    cents = rng.randint(int(low * 100), int(high * 100))
    return f"{cents // 100}.{cents % 100:02d}"


class Client:
    """One load thread: an Api (its own HTTP connection), a random stream, the customer it works on."""

    def __init__(self, api: Api, twin: Api, rng: random.Random, pool: Pool, world: World) -> None:
        self.api, self.twin, self.rng, self.pool, self.world = api, twin, rng, pool, world
        self.recent_posts: list[Call] = []  # successful POSTs, for the replay check
        self.recent = 4 if pool.hot else 6  # the hot customer's threads meet on the same few invoices

    # helpers ---------------------------------------------------------------------------------------
    def author(self) -> str:
        """Who creates, edits, submits, discards and applies: a clerk or a controller."""
        return self.rng.choice(["clerk", "controller"])

    def remember(self, call: Call) -> Call:
        if call.ok and call.method == "POST":
            self.recent_posts = [*self.recent_posts[-9:], call]
        return call

    def expect_status(self, call: Call, *wanted: str) -> None:
        if call.ok and isinstance(call.data, dict) and call.data.get("status") not in wanted:
            self.world.recorder.violation(
                f"{call.op}: status {call.data.get('status')!r}, expected one of "
                f"{wanted} ({call.method} {call.path}, request {call.request_id})"
            )

    def invoice(self) -> dict[str, Any] | None:
        return self.pool.pick("invoices", self.rng, recent=self.recent)

    def credit_line(self, inv: dict[str, Any]) -> dict[str, Any]:
        line = self.rng.choice(inv["lines"])
        if self.rng.random() < 0.5:
            return {"invoice_line_id": line["id"], "quantity": "1"}
        return {"invoice_line_id": line["id"], "amount": amount(self.rng, 0.5, 5)}

    def free_line(self, low: float = 1, high: float = 20) -> dict[str, Any]:
        return {"description": "Goodwill credit", "quantity": "1", "unit_price": amount(self.rng, low, high)}

    def posted_memo(self, call: Call) -> None:
        if call.ok and call.data.get("status") == "posted":
            self.pool.add("posted", call.data["id"])

    # operations ------------------------------------------------------------------------------------
    def invoice_create(self) -> None:
        lines = [
            {
                "description": f"Item {i}",
                "quantity": str(self.rng.randint(3, 10)),
                "unit_price": amount(self.rng, 1, 50),
                "tax_rate": self.rng.choice(["0", "8.25", "10"]),
            }
            for i in range(self.rng.randint(1, 3))
        ]
        key = new_key()
        call = self.api.post(
            "invoice.create",
            "/v1/invoices",
            {
                "customer_id": self.pool.customer_id,
                "currency": "USD",
                "issue_date": today(),
                "lines": lines,
                "memo": key,
            },
            key=key,
            role=self.author(),
        )
        if self.remember(call).ok:
            self.pool.add("invoices", call.data)

    def cm_from_invoice(self, post: bool = False) -> None:
        inv = self.invoice()
        if inv is None:
            return
        key = new_key()
        body: dict[str, Any] = {
            "reason_code": self.rng.choice(["billing_error", "price_correction", "damaged_goods"]),
            "reference": key,
        }
        if self.rng.random() < 0.9:  # else every line, in full (mostly over_credit on the hot invoices)
            body["lines"] = [self.credit_line(inv)]
        if self.rng.random() < 0.3:
            body["auto_apply"] = False  # stays unapplied: voidable, refundable
        if post:
            body["post"] = True
        op = "cm.from_invoice post:true" if post else "cm.from_invoice"
        call = self.api.post(
            op, f"/v1/invoices/{inv['id']}/credit-memos", body, key=key, role="controller" if post else self.author()
        )
        self.remember(call)
        if post:
            self.expect_status(call, "posted")
            self.posted_memo(call)
        elif call.ok:
            self.expect_status(call, "draft")
            self.pool.add("drafts", (call.data["id"], "invoice"))

    def cm_with_invoice_id(self) -> None:
        inv = self.invoice()
        if inv is None:
            return
        key = new_key()
        post = self.rng.random() < 0.5
        body: dict[str, Any] = {
            "invoice_id": inv["id"],
            "reason_code": "billing_error",
            "reference": key,
            "lines": [self.credit_line(inv)],
        }
        if post:
            body["post"] = True
        call = self.remember(self.api.post("cm.with_invoice_id", "/v1/credit-memos", body, key=key))
        if post:
            self.expect_status(call, "posted")
            self.posted_memo(call)
        elif call.ok:
            self.pool.add("drafts", (call.data["id"], "invoice"))

    def cm_standalone(self, post: bool = False) -> None:
        key = new_key()
        body: dict[str, Any] = {
            "customer_id": self.pool.customer_id,
            "currency": "USD",
            "reference": key,
            "reason_code": self.rng.choice(["goodwill", "promotion", "sla_credit"]),
            "lines": [self.free_line()],
        }
        if post:
            body["post"] = True
        op = "cm.standalone post:true" if post else "cm.standalone"
        call = self.remember(
            self.api.post(op, "/v1/credit-memos", body, key=key, role="controller" if post else self.author())
        )
        if post:
            self.expect_status(call, "posted")
            self.posted_memo(call)
        elif call.ok:
            self.expect_status(call, "draft")
            self.pool.add("drafts", (call.data["id"], "standalone"))

    def cm_patch(self) -> None:
        found = self.pool.pick("drafts", self.rng)
        if found is None:
            return
        memo_id, source = found
        body: dict[str, Any] = {"memo": f"edited {self.rng.random():.6f}"}
        if source == "standalone":
            body["lines"] = [self.free_line(), self.free_line()] if self.rng.random() < 0.3 else [self.free_line()]
        else:
            body["reason_code"] = self.rng.choice(["billing_error", "price_correction"])
        call = self.api.call("cm.patch", "PATCH", f"/v1/credit-memos/{memo_id}", body, role=self.author())
        if "lines" in body:  # lines change only in a draft
            self.expect_status(call, "draft")
        else:  # text (and a reason equal to the current one) may change in any status since issue 17 item 6b: a
            # draft another client moved on meanwhile is still edited, and the amounts stay as they were
            self.expect_status(
                call, "draft", "pending_approval", "approved", "ready_to_post", "posted", "void", "discarded"
            )

    def cm_submit(self) -> None:
        found = self.pool.pick("drafts", self.rng)
        if found is None:
            return
        memo_id = found[0]
        call = self.remember(self.api.post("cm.submit", f"/v1/credit-memos/{memo_id}/submit", {}, role=self.author()))
        if call.ok:
            self.pool.remove("drafts", memo_id)
            self.expect_status(call, "approved", "pending_approval")
            if call.data["status"] == "approved":
                self.pool.add("approved", memo_id)
            elif call.data["status"] == "pending_approval":  # a big memo rejected earlier, submitted again
                approver = "vp" if Decimal(call.data["total"]) > 25000 else "manager"
                self.pool.add("pending", (memo_id, "author", approver))

    def cm_approve(self) -> None:
        found = self.pool.pick("pending", self.rng)
        if found is None:
            return
        memo_id, _creator, approver = found
        call = self.remember(
            self.api.post("cm.approve", f"/v1/credit-memos/{memo_id}/approve", {"comment": "ok"}, role=approver)
        )
        self.expect_status(call, "approved")
        if call.ok or call.code == "invalid_transition":
            self.pool.remove("pending", found)
        if call.ok:
            self.pool.add("approved", memo_id)

    def cm_reject(self) -> None:
        found = self.pool.pick("pending", self.rng)
        if found is None:
            return
        memo_id, _creator, approver = found
        call = self.remember(
            self.api.post("cm.reject", f"/v1/credit-memos/{memo_id}/reject", {"comment": "not this one"}, role=approver)
        )
        self.expect_status(call, "draft")
        if call.ok or call.code == "invalid_transition":
            self.pool.remove("pending", found)
        if call.ok:
            self.pool.add("drafts", (memo_id, "standalone"))

    def cm_post(self) -> None:
        source = "approved" if self.rng.random() < 0.4 else "drafts"
        found = self.pool.pick(source, self.rng)
        if found is None:
            return
        memo_id = found if source == "approved" else found[0]
        call = self.remember(self.api.post("cm.post", f"/v1/credit-memos/{memo_id}/post", {}))
        self.expect_status(call, "posted")
        if call.ok or call.code == "invalid_transition":
            self.pool.remove(source, memo_id)
        self.posted_memo(call)

    def cm_discard(self) -> None:
        found = self.pool.pick("drafts", self.rng)
        if found is None:
            return
        call = self.remember(
            self.api.post(
                "cm.discard", f"/v1/credit-memos/{found[0]}/discard", {"reason": "raised in error"}, role=self.author()
            )
        )
        self.expect_status(call, "discarded")
        if call.ok or call.code == "invalid_transition":
            self.pool.remove("drafts", found[0])

    def cm_void(self) -> None:
        memo_id = self.pool.pick("posted", self.rng)
        if memo_id is None:
            return
        call = self.remember(self.api.post("cm.void", f"/v1/credit-memos/{memo_id}/void", {"reason": "stress"}))
        self.expect_status(call, "void")
        if call.ok or call.code == "invalid_transition":
            self.pool.remove("posted", memo_id)

    def cm_apply(self, to_debit_memo: bool = False) -> None:
        memo_id = self.pool.pick("posted", self.rng)
        if to_debit_memo:
            target = self.pool.pick("debit_memos", self.rng)
            allocation = None if target is None else {"debit_memo_id": target}
        else:
            inv = self.invoice()
            allocation = None if inv is None else {"invoice_id": inv["id"]}
        if memo_id is None or allocation is None:
            return
        allocation["amount"] = amount(self.rng, 0.5, 5)
        op = "cm.apply to debit memo" if to_debit_memo else "cm.apply"
        call = self.remember(
            self.api.post(
                op, f"/v1/credit-memos/{memo_id}/applications", {"allocations": [allocation]}, role=self.author()
            )
        )
        if call.ok:
            for app in call.data:
                self.pool.add("applications", ("credit_memo", memo_id, app["id"]))

    def unapply(self) -> None:
        found = self.pool.pick("applications", self.rng)
        if found is None:
            return
        kind, source_id, app_id = found
        path = "credit-memos" if kind == "credit_memo" else "payments"
        op = "cm.unapply" if kind == "credit_memo" else "payment.unapply"
        call = self.api.call(op, "DELETE", f"/v1/{path}/{source_id}/applications/{app_id}", role=self.author())
        if call.ok and call.data.get("status") != "reversed":
            self.world.recorder.violation(f"{op}: application {app_id} answered {call.data.get('status')!r}")
        if call.ok or call.code == "invalid_transition":
            self.pool.remove("applications", found)

    def cm_refund(self) -> None:
        memo_id = self.pool.pick("posted", self.rng)
        if memo_id is None:
            return
        key = new_key()
        body: dict[str, Any] = {"amount": amount(self.rng, 0.5, 3), "method": "ach", "reference": key}
        if self.rng.random() < 0.5:  # money back beyond where it came in: a controller's override
            body["override_reason"] = "customer asked"
        self.remember(self.api.post("cm.refund", f"/v1/credit-memos/{memo_id}/refunds", body, key=key))

    def payment_create(self) -> None:
        key = new_key()
        call = self.remember(
            self.api.post(
                "payment.create",
                "/v1/payments",
                {
                    "customer_id": self.pool.customer_id,
                    "amount": amount(self.rng, 5, 40),
                    "currency": "USD",
                    "received_on": today(),
                    "method": "wire",
                    "reference": key,
                },
                key=key,
                role=self.author(),
            )
        )
        if call.ok:
            self.pool.add("payments", call.data["id"])

    def payment_apply(self) -> None:
        payment_id, inv = self.pool.pick("payments", self.rng), self.invoice()
        if payment_id is None or inv is None:
            return
        call = self.remember(
            self.api.post(
                "payment.apply",
                f"/v1/payments/{payment_id}/applications",
                {"allocations": [{"invoice_id": inv["id"], "amount": amount(self.rng, 1, 10)}]},
                role=self.author(),
            )
        )
        if call.ok:
            for app in call.data:
                self.pool.add("applications", ("payment", payment_id, app["id"]))

    def payment_refund(self) -> None:
        payment_id = self.pool.pick("payments", self.rng)
        if payment_id is None:
            return
        key = new_key()
        self.remember(
            self.api.post(
                "payment.refund",
                f"/v1/payments/{payment_id}/refunds",
                {
                    "amount": amount(self.rng, 0.5, 2),
                    "method": "ach",
                    "reference": key,
                    "override_reason": "customer asked",
                },
                key=key,
            )
        )

    def dm_create(self, post: bool) -> None:
        key = new_key()
        body: dict[str, Any] = {
            "customer_id": self.pool.customer_id,
            "currency": "USD",
            "reference": key,
            "reason_code": self.rng.choice(["chargeback", "underbilling"]),
            "lines": [{"description": "Charge-back", "quantity": "1", "unit_price": amount(self.rng, 5, 30)}],
        }
        if post:
            body["post"] = True
        call = self.remember(
            self.api.post(
                "dm.create post:true" if post else "dm.create",
                "/v1/debit-memos",
                body,
                key=key,
                role="controller" if post else self.author(),
            )
        )
        if post:
            self.expect_status(call, "posted")
            if call.ok:
                self.pool.add("debit_memos", call.data["id"])
        elif call.ok:
            self.pool.add("debit_drafts", call.data["id"])

    def dm_post(self) -> None:
        memo_id = self.pool.pick("debit_drafts", self.rng)
        if memo_id is None:
            return
        call = self.remember(self.api.post("dm.post", f"/v1/debit-memos/{memo_id}/post", {}))
        self.expect_status(call, "posted")
        if call.ok or call.code == "invalid_transition":
            self.pool.remove("debit_drafts", memo_id)
        if call.ok:
            self.pool.add("debit_memos", memo_id)

    def create_for_approval(self) -> None:
        """Above 5,000 a manager signs off (default policy): a clerk creates and submits, a manager approves
        (another thread may get there first), a controller posts."""
        key = new_key()
        call = self.remember(
            self.api.post(
                "cm.create for approval",
                "/v1/credit-memos",
                {
                    "customer_id": self.pool.customer_id,
                    "currency": "USD",
                    "reason_code": "goodwill",
                    "reference": key,
                    "lines": [self.free_line(5001, 6000)],
                },
                key=key,
                role="clerk",
            )
        )
        if not call.ok:
            return
        memo_id = call.data["id"]
        submitted = self.remember(self.api.post("cm.submit", f"/v1/credit-memos/{memo_id}/submit", {}, role="clerk"))
        self.expect_status(submitted, "pending_approval")
        if submitted.ok:
            self.pool.add("pending", (memo_id, "clerk", "manager"))

    def create_post_true_for_approval(self) -> None:
        """``post: true`` on a memo the policy sends to approval: created and submitted (pending_approval);
        above 25,000 it takes a VP."""
        vp = self.rng.random() < 0.3
        key = new_key()
        call = self.remember(
            self.api.post(
                "cm.create post:true for approval",
                "/v1/credit-memos",
                {
                    "customer_id": self.pool.customer_id,
                    "currency": "USD",
                    "reason_code": "goodwill",
                    "reference": key,
                    "post": True,
                    "lines": [self.free_line(25001, 26000) if vp else self.free_line(5001, 6000)],
                },
                key=key,
            )
        )
        self.expect_status(call, "pending_approval")
        if call.ok and call.data.get("status") == "pending_approval":
            self.pool.add("pending", (call.data["id"], "controller", "vp" if vp else "manager"))

    def bulk_post(self) -> None:
        """A few fresh drafts (and maybe one another thread may also post) queued for the worker."""
        ids = []
        for _ in range(self.rng.randint(2, 3)):
            key = new_key()
            if self.rng.random() < 0.5 and (inv := self.invoice()) is not None:
                call = self.api.post(
                    "cm.from_invoice",
                    f"/v1/invoices/{inv['id']}/credit-memos",
                    {"reason_code": "billing_error", "reference": key, "lines": [self.credit_line(inv)]},
                    key=key,
                )
            else:
                call = self.api.post(
                    "cm.standalone",
                    "/v1/credit-memos",
                    {
                        "customer_id": self.pool.customer_id,
                        "currency": "USD",
                        "reason_code": "goodwill",
                        "reference": key,
                        "lines": [self.free_line()],
                    },
                    key=key,
                )
            if call.ok:
                ids.append(call.data["id"])
        if not ids:
            return
        call = self.remember(self.api.post("cm.bulk-post", "/v1/credit-memos/bulk-post", {"memo_ids": ids}))
        if call.ok:
            bad = [m["status"] for m in call.data if m["status"] != "ready_to_post"]
            if bad:
                self.world.recorder.violation(f"cm.bulk-post: statuses {bad}, expected ready_to_post")
            with self.world.lock:
                self.world.bulk_queued.update(ids)

    def replay(self) -> None:
        """A successful POST sent again with its Idempotency-Key: the first response, marked replayed."""
        if not self.recent_posts:
            return
        first = self.rng.choice(self.recent_posts)
        again = self.api.call("idempotent replay", "POST", first.path, first.body, key=first.key)
        if again.ok and (again.status != first.status or again.data != first.data or not again.replayed):
            self.world.recorder.violation(
                f"replay of {first.op} {first.path} (key {first.key}): {again.status} "
                f"replayed={again.replayed}, same body: {again.data == first.data}"
            )

    def same_key_twice(self) -> None:
        """The same create sent twice at once with one Idempotency-Key: both answered with one document."""
        key = new_key()
        inv = self.invoice()
        body: dict[str, Any]
        if self.rng.random() < 0.5 or inv is None:
            path, body = (
                "/v1/payments",
                {
                    "customer_id": self.pool.customer_id,
                    "amount": amount(self.rng, 5, 20),
                    "currency": "USD",
                    "received_on": today(),
                    "method": "wire",
                    "reference": key,
                },
            )
        else:
            path, body = (
                f"/v1/invoices/{inv['id']}/credit-memos",
                {"reason_code": "billing_error", "reference": key, "post": True, "lines": [self.credit_line(inv)]},
            )
        op = "same key twice at once"
        other: list[Call] = []
        th = threading.Thread(target=lambda: other.append(self.twin.post(op, path, body, key=key)))
        th.start()
        mine = self.api.post(op, path, body, key=key)
        th.join(120)
        if other and mine.ok and other[0].ok:
            if mine.data.get("id") != other[0].data.get("id"):
                self.world.recorder.violation(
                    f"{op}: {path} created two documents for one key "
                    f"({mine.data.get('number')}, {other[0].data.get('number')})"
                )
            if "payments" in path:
                self.pool.add("payments", mine.data["id"])
            else:
                self.posted_memo(mine)
        elif other and "payments" in path and not (mine.ok and other[0].ok):
            # Recording a payment cannot be refused by a race: both answers are the one payment. (A memo may
            # be refused to the first request and created by its twin: a refusal stores no response.)
            self.world.recorder.violation(f"{op}: {path} answered {mine.outcome} and {other[0].outcome}")


OPERATIONS: list[tuple[str, int, Callable[[Client], None]]] = [
    ("invoice.create", 3, Client.invoice_create),
    ("cm.from_invoice", 6, lambda c: c.cm_from_invoice(post=False)),
    ("cm.from_invoice post:true", 10, lambda c: c.cm_from_invoice(post=True)),
    ("cm.with_invoice_id", 3, Client.cm_with_invoice_id),
    ("cm.standalone", 5, lambda c: c.cm_standalone(post=False)),
    ("cm.standalone post:true", 6, lambda c: c.cm_standalone(post=True)),
    ("cm.patch", 4, Client.cm_patch),
    ("cm.submit", 4, Client.cm_submit),
    ("cm.approve", 2, Client.cm_approve),
    ("cm.reject", 1, Client.cm_reject),
    ("cm.post", 6, Client.cm_post),
    ("cm.discard", 3, Client.cm_discard),
    ("cm.void", 3, Client.cm_void),
    ("cm.apply", 8, lambda c: c.cm_apply(to_debit_memo=False)),
    ("cm.apply to debit memo", 3, lambda c: c.cm_apply(to_debit_memo=True)),
    ("unapply", 5, Client.unapply),
    ("cm.refund", 6, Client.cm_refund),
    ("payment.create", 5, Client.payment_create),
    ("payment.apply", 5, Client.payment_apply),
    ("payment.refund", 2, Client.payment_refund),
    ("dm.create post:true", 3, lambda c: c.dm_create(post=True)),
    ("dm.create", 2, lambda c: c.dm_create(post=False)),
    ("dm.post", 2, Client.dm_post),
    ("cm.create for approval", 2, Client.create_for_approval),
    ("cm.create post:true for approval", 1, Client.create_post_true_for_approval),
    ("cm.bulk-post", 2, Client.bulk_post),
    ("idempotent replay", 2, Client.replay),
    ("same key twice at once", 1, Client.same_key_twice),
]


class World:
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.lock = threading.Lock()
        self.bulk_queued: set[str] = set()
        self.crashes: list[str] = []  # exceptions in the load threads themselves (a bug of the test)


def seed_customer(api: Api, name: str, hot: bool, invoices: int) -> Pool:
    customer = api.post("setup", "/v1/customers", {"name": name, "currency": "USD"}, record=False)
    assert customer.ok, customer.describe()
    pool = Pool(customer.data["id"], hot)
    for i in range(invoices):
        inv = api.post(
            "setup",
            "/v1/invoices",
            {
                "customer_id": pool.customer_id,
                "currency": "USD",
                "issue_date": today(),
                "lines": [
                    {
                        "description": f"Line {j}",
                        "quantity": "10",
                        "unit_price": f"{20 + 10 * j + i}.00",
                        "tax_rate": ["0", "8.25", "10"][j],
                    }
                    for j in range(3)
                ],
            },
            record=False,
        )
        assert inv.ok, inv.describe()
        pool.add("invoices", inv.data)
    return pool


Operations = list[tuple[str, int, Callable[[Client], None]]]

# The kill test: documents created and posted, applications, refunds, payments; nothing is unapplied or
# voided, so what an acknowledged response said stays true (amounts applied and refunded only grow).
KILL_OPERATIONS: Operations = [
    ("invoice.create", 2, Client.invoice_create),
    ("cm.from_invoice post:true", 8, lambda c: c.cm_from_invoice(post=True)),
    ("cm.standalone post:true", 5, lambda c: c.cm_standalone(post=True)),
    ("cm.apply", 5, lambda c: c.cm_apply(to_debit_memo=False)),
    ("cm.apply to debit memo", 1, lambda c: c.cm_apply(to_debit_memo=True)),
    ("cm.refund", 4, Client.cm_refund),
    ("payment.create", 4, Client.payment_create),
    ("payment.apply", 4, Client.payment_apply),
    ("dm.create post:true", 1, lambda c: c.dm_create(post=True)),
]


def run_load(
    clients: list[Client], operations: Operations, *, seconds: float | None = None, stop: threading.Event | None = None
) -> None:
    """Every client in its own thread, until ``seconds`` have passed or ``stop`` is set."""
    names = [name for name, _, _ in operations]
    weights = [w for _, w, _ in operations]
    table = {name: fn for name, _, fn in operations}
    until = time.monotonic() + (seconds if seconds is not None else 3600)
    stop = stop or threading.Event()

    def loop(client: Client) -> None:
        while time.monotonic() < until and not stop.is_set():
            name = client.rng.choices(names, weights)[0]
            try:
                table[name](client)
            except Exception as e:  # a bug in the load itself: reported, the thread goes on
                client.world.crashes.append(f"{name}: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=loop, args=(c,), name=f"load-{i}", daemon=True) for i, c in enumerate(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join((seconds or 60) + 180)
    assert not any(th.is_alive() for th in threads), "a load thread hung"
