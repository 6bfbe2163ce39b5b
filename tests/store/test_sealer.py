"""The audit sealer: events are committed unsealed with the change they describe and chained afterwards.
A crash between a commit and its seal loses nothing (the next seal chains the events), the chain order is
the order of the transactions, a background sealer seals in batches, and two sealers racing on one
company still give one intact chain in which every event appears exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from creditmemo.ids import new_id
from creditmemo.services.actors import system_actor
from creditmemo.services.audit_trail import list_events, pending_events, verify_audit_chain
from creditmemo.services.companies import create_company
from creditmemo.services.customers import create_customer
from creditmemo.store.sealer import seal_pending
from creditmemo.store.tables import audit_events
from creditmemo.store.uow import Database

CREDITMEMO = str(Path(sys.executable).with_name("creditmemo"))


def _url(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


def _company(db: Database) -> str:
    with db.uow() as uow:
        return create_company(uow, slug=new_id("s").lower().replace("_", "-")[:40], name="Seal Co").id


def _customers(db: Database, company_id: str, names: list[str]) -> list[str]:
    actor = system_actor(company_id, "test")
    ids = []
    for name in names:  # one transaction each
        with db.uow() as uow:
            ids.append(create_customer(uow, actor, name=name, currency="USD").id)
    return ids


def _sealed_and_pending(db: Database, company_id: str) -> tuple[int, int]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(audit_events.c.seq.is_(None), func.count())
            .where(audit_events.c.company_id == company_id)
            .group_by(audit_events.c.seq.is_(None))
        ).all()
    counts = {bool(unsealed): n for unsealed, n in rows}
    return counts.get(False, 0), counts.get(True, 0)


class TestCrashBetweenCommitAndSeal:
    def test_committed_events_wait_unsealed_and_the_next_seal_chains_them(self, db: Database) -> None:
        company_id = _company(db)  # sealed inline by the suite's Database
        crashed = Database(_url(db), sealing="off")  # a process that commits and dies before sealing
        try:
            ids = _customers(crashed, company_id, ["First", "Second", "Third"])
        finally:
            crashed.dispose()
        sealed_before, pending = _sealed_and_pending(db, company_id)
        assert pending == 3
        with db.uow(readonly=True) as uow:
            actor = system_actor(company_id, "auditor")
            assert pending_events(uow, actor) == 3
            assert verify_audit_chain(uow, actor) is None  # the chain so far is intact
            chain = list_events(uow, actor, limit=500)  # the chain holds sealed events only
            assert len(chain) == sealed_before
            timeline = uow.audit.for_entity(company_id, ids[0])  # a document's timeline shows them at once
            assert [(e.action, e.seq) for e in timeline] == [("customer.created", None)]

        assert seal_pending(db) >= 3
        assert _sealed_and_pending(db, company_id) == (sealed_before + 3, 0)
        with db.uow(readonly=True) as uow:
            actor = system_actor(company_id, "auditor")
            assert verify_audit_chain(uow, actor) is None
            chain = list_events(uow, actor, limit=500)
            # Sealed in the order of their transactions, after what was already there.
            assert [e.entity_id for e in chain[-3:]] == ids
            assert [e.seq for e in chain] == list(range(1, sealed_before + 4))

    def test_audit_verify_seals_what_a_dead_process_left_and_says_so(self, db: Database) -> None:
        company_id = _company(db)
        crashed = Database(_url(db), sealing="off")
        try:
            _customers(crashed, company_id, ["Left behind"])
        finally:
            crashed.dispose()
        with db.uow(readonly=True) as uow:
            slug = uow.companies.get(company_id).slug
        env = {**os.environ, "DATABASE_URL": _url(db), "COLUMNS": "200"}
        counted = subprocess.run(
            [CREDITMEMO, "audit", "verify", "--company", slug, "--read-only"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert counted.returncode == 0, counted.stderr
        assert "1 events not sealed yet" in counted.stdout
        result = subprocess.run(
            [CREDITMEMO, "audit", "verify", "--company", slug], env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        assert "sealed 1 events" in result.stdout
        assert "chain intact" in result.stdout
        assert _sealed_and_pending(db, company_id)[1] == 0


class TestBackgroundSealer:
    def test_seals_after_commit_in_batches(self, db: Database) -> None:
        company_id = _company(db)
        background = Database(_url(db), sealing="background")
        try:
            _customers(background, company_id, [f"C{i}" for i in range(20)])
            assert background.sealer is not None
            assert background.sealer.wait_idle(20)
        finally:
            background.dispose()
        assert _sealed_and_pending(db, company_id)[1] == 0
        with db.uow(readonly=True) as uow:
            assert verify_audit_chain(uow, company_id) is None

    @pytest.mark.postgres_only
    def test_two_sealers_racing_give_one_intact_chain(self, db: Database) -> None:
        company_id = _company(db)
        writers = [Database(_url(db), sealing="off") for _ in range(2)]
        sealers = [Database(_url(db), sealing="inline") for _ in range(3)]
        stop = threading.Event()

        def write(w: Database, n: int) -> None:
            _customers(w, company_id, [f"W{n}-{i}" for i in range(40)])

        def seal_loop(s: Database) -> None:
            while not stop.is_set():
                seal_pending(s, [company_id], wait=False)

        threads = [threading.Thread(target=seal_loop, args=(s,)) for s in sealers]
        threads += [threading.Thread(target=write, args=(w, n)) for n, w in enumerate(writers)]
        try:
            for th in threads:
                th.start()
            for th in threads[len(sealers) :]:
                th.join(120)
        finally:
            stop.set()
            for th in threads:
                th.join(30)
            for d in writers + sealers:
                d.dispose()
        seal_pending(db, [company_id])
        sealed, pending = _sealed_and_pending(db, company_id)
        assert pending == 0
        assert sealed >= 80
        with db.uow(readonly=True) as uow:
            assert verify_audit_chain(uow, company_id) is None
            assert uow.audit.head(company_id)[0] == sealed


class TestReadingBeforeTheSeal:
    def test_the_api_and_the_memo_page_show_events_not_sealed_yet(self, db: Database) -> None:
        from fastapi.testclient import TestClient

        from creditmemo.app import create_app
        from creditmemo.services.users import ensure_company_user, issue_api_key

        unsealed = Database(_url(db), sealing="off")
        try:
            slug = new_id("r").lower().replace("_", "-")[:40]
            with unsealed.uow() as uow:
                user = ensure_company_user(uow, slug, f"c@{slug}.test", "controller", [])
                key = issue_api_key(uow, system_actor(user.company_id), user.id).key
            client = TestClient(create_app(unsealed), raise_server_exceptions=False)
            headers = {"Authorization": f"Bearer {key}"}
            cust = client.post("/v1/customers", json={"name": "A", "currency": "USD"}, headers=headers).json()
            memo = client.post(
                "/v1/credit-memos",
                headers=headers,
                json={
                    "customer_id": cust["id"],
                    "currency": "USD",
                    "reason_code": "goodwill",
                    "post": True,
                    "lines": [{"description": "Goodwill", "quantity": "1", "unit_price": "5.00"}],
                },
            )
            assert memo.status_code == 201, memo.text
            events = client.get(f"/v1/credit-memos/{memo.json()['id']}/events", headers=headers)
            assert events.status_code == 200, events.text
            assert [(e["action"], e["seq"], e["hash"]) for e in events.json()] == [
                ("credit_memo.created", None, None),
                ("credit_memo.posted", None, None),
            ]
            chain = client.get("/v1/audit-events", headers=headers)
            assert chain.status_code == 200
            assert chain.json()["data"] == []  # the chain: sealed events only
        finally:
            unsealed.dispose()


def test_audit_seal_command_chains_what_a_stopped_process_left(db: Database) -> None:
    company_id = _company(db)
    crashed = Database(_url(db), sealing="off")
    try:
        _customers(crashed, company_id, ["One", "Two"])
    finally:
        crashed.dispose()
    env = {**os.environ, "DATABASE_URL": _url(db), "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "creditmemo", "audit", "seal"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "sealed" in result.stdout
    assert _sealed_and_pending(db, company_id)[1] == 0
