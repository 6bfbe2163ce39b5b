"""Issue 13 item 5: audit anchors outside the database. Someone with write access to the database rewrites an
event and then every later hash and the chain head, consistently: the plain `audit verify` passes (the chain is
self-consistent), `audit verify --anchors FILE --public-key KEY` fails naming the first anchor broken. Also the
key handling, the API's list and what a bad anchors file or a wrong key gets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from creditmemo.app import create_app
from creditmemo.domain.audit import GENESIS, event_hash
from creditmemo.services.actors import system_actor
from creditmemo.services.users import ensure_company_user, issue_api_key
from creditmemo.store.repositories.audit import _event_from_row
from creditmemo.store.tables import audit_events, audit_heads
from tests.builders import credit, invoice, line, post
from tests.cli.test_audit_verify import cli, company_with_history


def _keys(db: Any, tmp_path: Path) -> tuple[Path, str]:
    key = tmp_path / "anchor.pem"
    result = cli(db, "audit", "keygen", "--out", str(key))
    assert result.returncode == 0, result.stderr
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    return key, (tmp_path / "anchor.pem.pub").read_text().strip()


def _rewrite_consistently(db: Any, company_id: str, seq: int) -> None:
    """What a forger with database access does: change event ``seq``, then re-hash it and every later event
    and move the head, so that the chain verifies again."""
    with db.engine.begin() as conn:
        conn.execute(
            update(audit_events)
            .where(audit_events.c.company_id == company_id, audit_events.c.seq == seq)
            .values(changes={"status": ["draft", "void"]})
        )
        rows = (
            conn.execute(
                select(audit_events)
                .where(audit_events.c.company_id == company_id, audit_events.c.seq.is_not(None))
                .order_by(audit_events.c.seq)
            )
            .mappings()
            .all()
        )
        prev = GENESIS
        for row in rows:
            event = _event_from_row(row)
            assert event.seq is not None
            digest = event_hash(event, event.seq, prev)
            conn.execute(
                update(audit_events)
                .where(audit_events.c.company_id == company_id, audit_events.c.id == event.id)
                .values(prev_hash=prev, hash=digest)
            )
            prev = digest
        conn.execute(
            update(audit_heads)
            .where(audit_heads.c.company_id == company_id)
            .values(last_seq=rows[-1]["seq"], last_hash=prev)
        )


def test_a_consistent_rewrite_passes_the_plain_walk_but_not_the_anchors(db: Any, tmp_path: Path) -> None:
    slug, company_id = company_with_history(db)
    key, public = _keys(db, tmp_path)
    anchors = tmp_path / "anchors.jsonl"
    first = cli(db, "audit", "anchor", "--company", slug, "--key", str(key), "--anchors", str(anchors))
    assert first.returncode == 0, first.stderr
    actor = system_actor(company_id, "test")  # more history after the first anchor, and a second anchor
    post(db, actor, credit(db, actor, invoice(db, actor, [line("1", "50.00")]), auto_apply=False))
    second = cli(db, "audit", "anchor", "--company", slug, "--key", str(key), "--anchors", str(anchors))
    assert second.returncode == 0, second.stderr
    published = [json.loads(x) for x in anchors.read_text().splitlines()]
    assert len(published) == 2
    assert published[0]["seq"] < published[1]["seq"]
    args = ["audit", "verify", "--company", slug, "--anchors", str(anchors), "--public-key", public]
    intact = cli(db, *args)
    assert intact.returncode == 0, intact.stderr
    assert "anchors ok" in intact.stdout

    _rewrite_consistently(db, company_id, seq=published[1]["seq"] - 1)  # after the first anchor, before the second
    plain = cli(db, "audit", "verify", "--company", slug)
    assert plain.returncode == 0, plain.stderr  # the rewrite fools the walk of the chain alone
    anchored = cli(db, *args)
    assert anchored.returncode == 1
    assert f"anchor 2 (event #{published[1]['seq']}" in anchored.stderr
    assert "no longer has the anchored hash" in anchored.stderr

    _rewrite_consistently(db, company_id, seq=2)  # now before the first anchor too: it is the first named
    again = cli(db, *args)
    assert again.returncode == 1
    assert f"anchor 1 (event #{published[0]['seq']}" in again.stderr


def test_deleted_tail_and_a_wrong_key_are_caught(db: Any, tmp_path: Path) -> None:
    slug, company_id = company_with_history(db)
    key, public = _keys(db, tmp_path)
    anchors = tmp_path / "anchors.jsonl"
    assert cli(db, "audit", "anchor", "--company", slug, "--key", str(key), "--anchors", str(anchors)).returncode == 0
    other_key = tmp_path / "other"
    other_key.mkdir()
    _, other_public = _keys(db, other_key)
    wrong = cli(db, "audit", "verify", "--company", slug, "--anchors", str(anchors), "--public-key", other_public)
    assert wrong.returncode == 1
    assert "signature does not match" in wrong.stderr
    with db.engine.begin() as conn:  # the head moved back: the last events "never happened"
        conn.execute(update(audit_heads).where(audit_heads.c.company_id == company_id).values(last_seq=1))
    gone = cli(db, "audit", "verify", "--company", slug, "--anchors", str(anchors), "--public-key", public)
    assert gone.returncode == 1


def test_bad_input_is_a_clear_error(db: Any, tmp_path: Path) -> None:
    slug, _ = company_with_history(db)
    no_key = cli(db, "audit", "anchor", "--company", slug, "--anchors", str(tmp_path / "a.jsonl"))
    assert no_key.returncode == 1
    assert "AUDIT_ANCHOR_KEY" in no_key.stderr
    assert "Traceback" not in no_key.stderr
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("not json\n")
    key, public = _keys(db, tmp_path)
    bad_file = cli(db, "audit", "verify", "--company", slug, "--anchors", str(garbage), "--public-key", public)
    assert bad_file.returncode == 1
    assert "line 1" in bad_file.stderr
    half = cli(db, "audit", "verify", "--company", slug, "--anchors", str(garbage))
    assert half.returncode == 2
    again = cli(db, "audit", "keygen", "--out", str(key))
    assert again.returncode == 1  # an existing key is never overwritten
    assert "not overwritten" in again.stderr


def test_the_api_lists_the_company_anchors_to_auditors_only(db: Any, tmp_path: Path) -> None:
    slug, company_id = company_with_history(db)
    key, _ = _keys(db, tmp_path)
    assert (
        cli(db, "audit", "anchor", "--company", slug, "--key", str(key), "--anchors", str(tmp_path / "a")).returncode
        == 0
    )
    with db.uow() as uow:
        auditor = ensure_company_user(uow, slug, f"auditor@{slug}.test", "auditor")
        clerk = ensure_company_user(uow, slug, f"clerk@{slug}.test", "clerk")
        seeder = system_actor(company_id, "test")
        keys = {str(u.role): issue_api_key(uow, seeder, u.id).key for u in (auditor, clerk)}
    other_slug, _ = company_with_history(db)
    client = TestClient(create_app(db))
    listed = client.get("/v1/audit-anchors", headers={"Authorization": f"Bearer {keys['auditor']}"})
    assert listed.status_code == 200, listed.text
    data = listed.json()["data"]
    assert [a["company_id"] for a in data] == [company_id]  # not the other company's
    assert other_slug != slug
    assert client.get("/v1/audit-anchors", headers={"Authorization": f"Bearer {keys['clerk']}"}).status_code == 403


def test_the_worker_anchors_when_it_has_a_key(db: Any, tmp_path: Path) -> None:
    """`creditmemo worker --once` with AUDIT_ANCHOR_KEY set anchors every chain once at start (then hourly)."""
    import os
    import subprocess

    from tests.cli.test_audit_verify import CREDITMEMO

    slug, company_id = company_with_history(db)
    key, public = _keys(db, tmp_path)
    anchors = tmp_path / "worker-anchors.jsonl"
    env = {
        **os.environ,
        "DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
        "AUDIT_ANCHOR_KEY": key.read_text(),  # the PEM text itself, as a secret store would hand it over
    }
    done = subprocess.run(
        [CREDITMEMO, "worker", "--once", "--anchors", str(anchors)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    published = [json.loads(x) for x in anchors.read_text().splitlines()]
    assert company_id in {a["company_id"] for a in published}
    verified = cli(db, "audit", "verify", "--company", slug, "--anchors", str(anchors), "--public-key", public)
    assert verified.returncode == 0, verified.stderr
