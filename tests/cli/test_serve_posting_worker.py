"""`creditmemo serve --posting-worker` (what scripts/run starts, issue 18 item 10): a memo queued to
ready_to_post (bulk post) is posted by the worker running beside the server, and stopping the server stops
it. Both engines: a real server process, the queue written through the services beforehand."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx

from creditmemo.domain.lifecycle import Status
from creditmemo.services.actors import Actor
from creditmemo.services.memos.bulk import bulk_post
from creditmemo.store.uow import Database
from tests.builders import credit, invoice, line
from tests.cli.test_worker_kill import CREDITMEMO, worker_env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_bulk_posted_memo_is_posted_by_the_worker_beside_the_server(db: Database, controller: Actor) -> None:
    inv = invoice(db, controller, [line("1", "40.00")])
    memo = credit(db, controller, inv, auto_apply=False)
    with db.uow() as uow:
        (queued,) = bulk_post(uow, controller, [memo.id])
    assert queued.status is Status.READY_TO_POST
    port = _free_port()
    proc = subprocess.Popen(
        [CREDITMEMO, "serve", "--port", str(port), "--posting-worker"],  # and the sealer process (the default)
        env=worker_env(db),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        status: Status = queued.status
        while status is not Status.POSTED:
            assert time.monotonic() < deadline, f"still {status} after 90 s"
            time.sleep(0.5)
            with db.uow(readonly=True) as uow:
                status = uow.memos.get(controller.company_id, memo.id).status
        while True:  # the server runs too (the worker may have been quicker to start than uvicorn)
            assert time.monotonic() < deadline, "the server did not answer"
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/sign-in", timeout=5).status_code == 200
                break
            except httpx.TransportError:
                time.sleep(0.2)
    finally:
        proc.terminate()  # the companions must go with it: a survivor would hold the pipes and this would time out
        out, _ = proc.communicate(timeout=60)
    assert "posting worker: on" in out
    with db.uow(readonly=True) as uow:
        entries = uow.journal.for_source(controller.company_id, memo.id)
    assert [e.kind for e in entries] == ["post"]  # posted once
