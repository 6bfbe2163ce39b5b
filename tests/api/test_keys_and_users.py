"""API keys from the CLI (last word of the last line), shown once and stored hashed; users and passwords;
the demo access the run command prints."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from creditmemo.cli import app as cli
from creditmemo.ids import new_id
from creditmemo.services.demo import DEMO_ROLES, demo_access, load_demo
from creditmemo.services.users import verify_password
from creditmemo.store.tables import api_keys
from creditmemo.store.uow import Database
from tests.api.conftest import assert_problem


def _url(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


def test_apikey_create_makes_company_and_user_and_prints_the_key_last(db: Database, client: TestClient) -> None:
    slug = new_id("k").lower().replace("_", "-")[:30]
    result = CliRunner().invoke(
        cli,
        [
            "apikey",
            "create",
            "--company",
            slug,
            "--user",
            f"ops@{slug}.test",
            "--role",
            "clerk",
            "--privilege",
            "create_multiline_memo",
            "--database-url",
            _url(db),
        ],
    )
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1].split()[-1]
    r = client.get("/v1/customers", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200
    assert r.json()["data"] == []
    assert_problem(
        client.post("/v1/credit-memos/bulk-post", json={"memo_ids": ["x"]}, headers={"Authorization": f"Bearer {key}"}),
        403,
        "forbidden",
    )
    with db.uow(readonly=True) as uow:
        stored = uow.conn.execute(select(api_keys.c.key_hash)).scalars().all()
    assert hashlib.sha256(key.encode()).hexdigest() in stored
    assert key not in stored
    again = CliRunner().invoke(
        cli,
        [
            "apikey",
            "create",
            "--company",
            slug,
            "--user",
            f"ops@{slug}.test",
            "--role",
            "nobody",
            "--database-url",
            _url(db),
        ],
    )
    assert again.exit_code == 1
    assert "validation_error" in again.output


def test_user_create_and_set_password(db: Database) -> None:
    slug = new_id("u").lower().replace("_", "-")[:30]
    email = f"admin@{slug}.test"
    r = CliRunner().invoke(
        cli,
        [
            "user",
            "create",
            "--company",
            slug,
            "--email",
            email,
            "--role",
            "admin",
            "--password",
            "first-password",
            "--database-url",
            _url(db),
        ],
    )
    assert r.exit_code == 0, r.output
    with db.uow(readonly=True) as uow:
        assert verify_password(uow, email, "first-password") is not None
    r = CliRunner().invoke(
        cli, ["user", "set-password", "--email", email, "--password", "second-password", "--database-url", _url(db)]
    )
    assert r.exit_code == 0, r.output
    with db.uow(readonly=True) as uow:
        assert verify_password(uow, email, "first-password") is None
        actor = verify_password(uow, email, "second-password")
    assert actor is not None
    assert actor.role == "admin"


def test_demo_access_gives_working_keys_every_time(tmp_sqlite_url: str) -> None:
    from creditmemo.app import create_app
    from creditmemo.store import migrate

    db = Database(tmp_sqlite_url)
    migrate.upgrade(db.engine)
    load_demo(db)
    first, second = demo_access(db), demo_access(db)
    assert [a.role for a in first] == list(DEMO_ROLES)
    client = TestClient(create_app(db))
    for access in (first[3], second[3]):
        memos = client.get("/v1/credit-memos", headers={"Authorization": f"Bearer {access.api_key}"}).json()
        assert len(memos["data"]) >= 6
    with db.uow(readonly=True) as uow:
        assert verify_password(uow, second[0].email, second[0].password) is not None
    db.dispose()


def test_admin_adds_a_user_issues_and_revokes_a_key(tenant) -> None:
    from tests.api.conftest import assert_problem

    user = tenant.ok(
        tenant.post(
            "/v1/users", {"email": f"new@{tenant.slug}.test", "role": "clerk", "password": "long-enough"}, role="admin"
        ),
        201,
    )
    assert user["role"] == "clerk"
    assert user["privileges"] == []
    assert_problem(
        tenant.post("/v1/users", {"email": f"x@{tenant.slug}.test", "role": "clerk"}, role="controller"),
        403,
        "forbidden",
    )
    assert_problem(
        tenant.post("/v1/users", {"email": f"new@{tenant.slug}.test", "role": "clerk"}, role="admin"),
        422,
        "validation_error",
        field="email",
    )
    issued = tenant.ok(tenant.post(f"/v1/users/{user['id']}/api-keys", {"name": "ci"}, role="admin"), 201)
    headers = {"Authorization": f"Bearer {issued['key']}"}
    assert tenant.client.get("/v1/customers", headers=headers).status_code == 200
    assert {u["email"] for u in tenant.ok(tenant.get("/v1/users", role="admin"))} >= {user["email"]}
    assert tenant.delete(f"/v1/api-keys/{issued['id']}", role="admin").status_code == 204
    assert_problem(tenant.client.get("/v1/customers", headers=headers), 401, "unauthorized")
    assert_problem(tenant.delete(f"/v1/api-keys/{issued['id']}", role="admin"), 404, "not_found")
