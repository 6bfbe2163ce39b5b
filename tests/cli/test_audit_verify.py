"""`creditmemo audit verify` and `creditmemo policy` through their entry point (in the test
process: tests/cli/runner.py)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from sqlalchemy import delete, select, update

from creditmemo.ids import new_id
from creditmemo.services.companies import create_company
from creditmemo.store.tables import audit_events
from tests.builders import credit, invoice, line, post
from tests.cli.runner import Ran, run_in_process

CREDITMEMO = str(Path(sys.executable).with_name("creditmemo"))


def cli(db, *args: str) -> Ran:
    env = {**os.environ, "DATABASE_URL": db.engine.url.render_as_string(hide_password=False), "COLUMNS": "200"}
    return run_in_process(list(args), env)


def company_with_history(db):
    slug = new_id("v").lower().replace("_", "-")[:40]
    with db.uow() as uow:
        company = create_company(uow, slug=slug, name="Verify Co")
    from creditmemo.services.actors import system_actor

    actor = system_actor(company.id, "test")
    inv = invoice(db, actor, [line("1", "100.00")])
    post(db, actor, credit(db, actor, inv, auto_apply=False))
    return slug, company.id


def event_id(db, company_id, seq):
    with db.engine.connect() as conn:
        return conn.execute(
            select(audit_events.c.id).where(audit_events.c.company_id == company_id, audit_events.c.seq == seq)
        ).scalar_one()


def test_intact_chain_exits_zero(db):
    slug, _ = company_with_history(db)
    result = cli(db, "audit", "verify", "--company", slug)
    assert result.returncode == 0, result.stderr
    assert "chain intact" in result.stdout


def test_altered_row_exits_one_naming_the_first_broken_event(db):
    slug, company_id = company_with_history(db)
    target = event_id(db, company_id, 4)
    with db.engine.begin() as conn:
        conn.execute(
            update(audit_events)
            .where(audit_events.c.company_id == company_id, audit_events.c.seq == 4)
            .values(changes={"status": ["draft", "void"]})
        )
    result = cli(db, "audit", "verify", "--company", slug)
    assert result.returncode == 1
    assert f"first broken event #4 id={target}" in result.stderr
    as_json = json.loads(cli(db, "audit", "verify", "--company", slug, "--json").stdout)
    assert as_json[0]["break"]["seq"] == 4
    assert as_json[0]["break"]["event_id"] == target


def test_deleted_row_exits_one(db):
    slug, company_id = company_with_history(db)
    following = event_id(db, company_id, 3)
    with db.engine.begin() as conn:
        conn.execute(delete(audit_events).where(audit_events.c.company_id == company_id, audit_events.c.seq == 2))
    result = cli(db, "audit", "verify", "--company", slug)
    assert result.returncode == 1
    assert f"first broken event #2 id={following}" in result.stderr


def test_unknown_company_is_not_found(db):
    result = cli(db, "audit", "verify", "--company", "no-such-company")
    assert result.returncode == 1
    assert "not_found" in result.stderr


def test_policy_show_and_set(db):
    slug, _ = company_with_history(db)
    shown = json.loads(cli(db, "policy", "show", "--company", slug).stdout)
    assert shown["tiers"][1] == {"name": "vp", "above": "25000.00", "min_role": "vp"}
    new = {
        "tiers": [{"name": "manager", "above": "1000.00", "min_role": "manager"}],
        "role_limits": {"manager": "10000.00", "vp": None, "controller": None},
    }
    result = cli(db, "policy", "set", json.dumps(new), "--company", slug)
    assert result.returncode == 0, result.stderr
    assert json.loads(cli(db, "policy", "show", "--company", slug).stdout) == new
    bad = cli(db, "policy", "set", '{"tiers": [{"name": "x", "above": "y", "min_role": "vp"}]}', "--company", slug)
    assert bad.returncode == 1
    assert "validation_error (tiers[0].above)" in bad.stderr
    assert cli(db, "audit", "verify", "--company", slug).returncode == 0  # the change is in the chain
