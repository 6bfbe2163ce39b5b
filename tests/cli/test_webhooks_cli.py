"""Issue 13 items 3 and 5: a real `creditmemo worker` delivering webhooks is killed with SIGKILL while requests
are in flight, and a new one finishes: every event reaches the receiver (at least once), each document's events
in order. `creditmemo audit anchor` publishes each anchor as an `audit.anchor` webhook event, signed."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from creditmemo.services import webhooks as webhook_service
from creditmemo.services.actors import Actor, Role, system_actor
from creditmemo.services.memos.approval import submit_memo
from creditmemo.store.tables import webhook_outbox
from tests.builders import credit, invoice, line
from tests.cli.test_audit_verify import company_with_history
from tests.cli.test_worker_kill import CREDITMEMO, worker_env
from tests.receiver import Receiver, verify


@pytest.fixture(autouse=True)
def _loopback_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDITMEMO_WEBHOOKS_ALLOW_PRIVATE", "1")


def _endpoint(db: Any, company_id: str, url: str, events: list[str]) -> webhook_service.NewEndpoint:
    with db.uow() as uow:
        return webhook_service.create_endpoint(
            uow, Actor(None, company_id, Role.ADMIN, label="admin"), url=url, events=events
        )


def _outbox(db: Any, company_id: str) -> list[tuple[str, str, str, str]]:
    with db.uow(readonly=True) as uow:
        o = webhook_outbox.c
        return [
            tuple(r)
            for r in uow.conn.execute(
                select(o.event_id, o.document_id, o.position, o.status)
                .where(o.company_id == company_id)
                .order_by(o.position)
            )
        ]


def test_no_event_is_lost_across_a_worker_kill_and_order_holds(db: Any, company_id: str) -> None:
    receiver = Receiver(delay=0.3)  # requests stay in flight long enough for the kill to land among them
    try:
        made = _endpoint(db, company_id, receiver.url, ["credit_memo.*"])
        actor = system_actor(company_id, "test")
        inv = invoice(db, actor, [line("1", "10.00") for _ in range(8)])
        for _ in range(8):
            memo = credit(db, actor, inv, auto_apply=False)
            with db.uow() as uow:
                submit_memo(uow, actor, memo.id)
        queued = _outbox(db, company_id)
        assert len(queued) == 16
        args = ["worker", "--poll-interval", "0.1", "--webhook-timeout", "2", "--webhook-lease", "3"]
        first = subprocess.Popen(
            [CREDITMEMO, *args], env=worker_env(db), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 60
            while not receiver.requests:
                assert time.monotonic() < deadline, "the worker never delivered"
                time.sleep(0.01)
        finally:
            first.kill()  # SIGKILL, requests in flight and nothing recorded for them yet
            first.wait()
        second = subprocess.Popen(
            [CREDITMEMO, *args], env=worker_env(db), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 90
            while any(status != "delivered" for *_, status in _outbox(db, company_id)):
                assert time.monotonic() < deadline, _outbox(db, company_id)
                time.sleep(0.2)
        finally:
            second.kill()
            second.wait()
    finally:
        receiver.stop()
    got = receiver.delivered()
    assert {r.json["id"] for r in got} == {event_id for event_id, *_ in queued}  # none lost
    for r in got:
        assert verify(made.secret, r.headers["Creditmemo-Signature"], r.body)
    by_document: dict[str, list[str]] = {}
    for event_id, document_id, *_ in queued:
        by_document.setdefault(document_id, []).append(event_id)
    for document_id, expected in by_document.items():
        seen: list[str] = []
        for r in got:  # the first receipt of each event, in the order the receiver got them
            if r.json["data"]["document_id"] == document_id and r.json["id"] not in seen:
                seen.append(r.json["id"])
        assert seen == expected, document_id
        kinds = [r.json["type"] for r in got if r.json["data"]["document_id"] == document_id]
        assert kinds.index("credit_memo.submitted") > kinds.index("credit_memo.created")


def test_audit_anchor_is_delivered_as_a_webhook_event(db: Any, tmp_path: Path) -> None:
    slug, company_id = company_with_history(db)
    receiver = Receiver()
    try:
        made = _endpoint(db, company_id, receiver.url, ["audit.anchor"])
        env = {**worker_env(db), "COLUMNS": "200"}
        key = tmp_path / "anchor.pem"
        assert (
            subprocess.run([CREDITMEMO, "audit", "keygen", "--out", str(key)], env=env, capture_output=True).returncode
            == 0
        )
        anchors = tmp_path / "anchors.jsonl"
        done = subprocess.run(
            [CREDITMEMO, "audit", "anchor", "--company", slug, "--key", str(key), "--anchors", str(anchors)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        sent = subprocess.run(
            [CREDITMEMO, "webhooks", "deliver", "--once", "--timeout", "2"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert sent.returncode == 0, sent.stderr
    finally:
        receiver.stop()
    published = json.loads(anchors.read_text().splitlines()[-1])
    (event,) = receiver.delivered()
    assert event.json["type"] == "audit.anchor"
    assert event.json["data"] == published  # sequence, hash, time, key id, signature
    assert event.json["company_id"] == company_id
    assert verify(made.secret, event.headers["Creditmemo-Signature"], event.body)
    assert os.environ.get("CREDITMEMO_WEBHOOKS_ALLOW_PRIVATE") == "1"
