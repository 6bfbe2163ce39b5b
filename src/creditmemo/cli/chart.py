"""`creditmemo reasons list|add|update` and `creditmemo accounts list|add|update` (issue 17 item 7): a company's
reason codes and chart of accounts. Changes run as the company's admin (label "cli"), are audited, and are seen
at once by every running server process."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from creditmemo.cli.common import DbUrl, Json, emit_json, in_uow
from creditmemo.cli.policy import _actor
from creditmemo.cli.reports import table
from creditmemo.cli.show import Company
from creditmemo.services import chart
from creditmemo.services.actors import Role

ActiveFilter = Annotated[
    bool | None, typer.Option("--active/--inactive", help="Only active (or only inactive) ones; default all.")
]
Activate = Annotated[
    bool | None,
    typer.Option("--activate/--deactivate", help="Reactivate, or deactivate (never deleted)."),
]


def _reason_row(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": r["code"],
        "description": r["label"],
        "account": r["account_code"],
        "applies_to": r["applies_to"],
        "active": bool(r["active"]),
    }


def _account_row(a: dict[str, Any]) -> dict[str, Any]:
    return {"number": a["code"], "name": a["name"], "kind": a["kind"], "role": a["role"], "active": bool(a["active"])}


def _show(title: str, rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        emit_json(rows)
        return
    columns = list(rows[0]) if rows else ["(none)"]
    table(title, columns, [["yes" if v is True else "no" if v is False else v for v in r.values()] for r in rows])


def register(app: typer.Typer) -> None:
    reasons_app = typer.Typer(
        help="Reason codes: each maps to the account a standalone memo with it posts to. Deactivated, never deleted.",
        no_args_is_help=True,
    )
    accounts_app = typer.Typer(help="The chart of accounts. Deactivated, never deleted.", no_args_is_help=True)
    app.add_typer(reasons_app, name="reasons")
    app.add_typer(accounts_app, name="accounts")

    @reasons_app.command("list")
    def reasons_list(
        active: ActiveFilter = None, company: Company = "demo", database_url: DbUrl = None, as_json: Json = False
    ) -> None:
        """The company's reason codes: code, description, account, credit/debit/both, active."""
        rows = in_uow(
            database_url,
            lambda uow: chart.list_reason_codes(uow, _actor(uow, company, Role.AUDITOR), active=active),
            readonly=True,
        )
        _show("Reason codes", [_reason_row(r) for r in rows], as_json)

    @reasons_app.command("add")
    def reasons_add(
        code: Annotated[str, typer.Argument(help="snake_case, 2 to 40 characters, e.g. late_fee_waiver.")],
        account: Annotated[str, typer.Option(help="The active account it maps to, e.g. 6100.")],
        description: Annotated[str | None, typer.Option(help="What the code means (default: the code).")] = None,
        applies_to: Annotated[str, typer.Option(help="credit, debit or both.")] = "both",
        company: Company = "demo",
        database_url: DbUrl = None,
        as_json: Json = False,
    ) -> None:
        """Add a reason code (admin, audited)."""
        added = in_uow(
            database_url,
            lambda uow: chart.add_reason_code(
                uow,
                _actor(uow, company, Role.ADMIN),
                code=code,
                description=description,
                account=account,
                applies_to=applies_to,
            ),
        )
        _show("Reason code added", [_reason_row(added)], as_json)

    @reasons_app.command("update")
    def reasons_update(
        code: Annotated[str, typer.Argument(help="The reason code to change.")],
        description: Annotated[str | None, typer.Option(help="A new description.")] = None,
        account: Annotated[str | None, typer.Option(help="Map it to another active account.")] = None,
        activate: Activate = None,
        company: Company = "demo",
        database_url: DbUrl = None,
        as_json: Json = False,
    ) -> None:
        """Change a reason code's description or account, or (de)activate it (admin, audited).

        A code in use may be deactivated: it stays on its memos, and new memos cannot take it."""
        changes: dict[str, Any] = {}
        if description is not None:
            changes["description"] = description
        if account is not None:
            changes["account"] = account
        if activate is not None:
            changes["active"] = activate
        updated = in_uow(
            database_url, lambda uow: chart.update_reason_code(uow, _actor(uow, company, Role.ADMIN), code, **changes)
        )
        _show("Reason code", [_reason_row(updated)], as_json)

    @accounts_app.command("list")
    def accounts_list(
        active: ActiveFilter = None, company: Company = "demo", database_url: DbUrl = None, as_json: Json = False
    ) -> None:
        """The chart of accounts: number, name, kind, posting role, active."""
        rows = in_uow(
            database_url,
            lambda uow: chart.list_accounts(uow, _actor(uow, company, Role.AUDITOR), active=active),
            readonly=True,
        )
        _show("Accounts", [_account_row(a) for a in rows], as_json)

    @accounts_app.command("add")
    def accounts_add(
        number: Annotated[str, typer.Argument(help="The account number, e.g. 6400.")],
        name: Annotated[str, typer.Option(help="The account's name.")],
        kind: Annotated[str, typer.Option(help="asset, liability, equity, revenue or expense.")],
        company: Company = "demo",
        database_url: DbUrl = None,
        as_json: Json = False,
    ) -> None:
        """Add an account to the chart (admin, audited)."""
        added = in_uow(
            database_url,
            lambda uow: chart.add_account(uow, _actor(uow, company, Role.ADMIN), number=number, name=name, kind=kind),
        )
        _show("Account added", [_account_row(added)], as_json)

    @accounts_app.command("update")
    def accounts_update(
        number: Annotated[str, typer.Argument(help="The account to change.")],
        name: Annotated[str | None, typer.Option(help="A new name.")] = None,
        activate: Activate = None,
        company: Company = "demo",
        database_url: DbUrl = None,
        as_json: Json = False,
    ) -> None:
        """Rename or (de)activate an account (admin, audited).

        An account with a posting role, or that a reason code maps to, stays active (account_in_use)."""
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = name
        if activate is not None:
            changes["active"] = activate
        updated = in_uow(
            database_url, lambda uow: chart.update_account(uow, _actor(uow, company, Role.ADMIN), number, **changes)
        )
        _show("Account", [_account_row(updated)], as_json)
