"""`creditmemo policy show|set`: a company's approval policy (tiers and role limits) as JSON."""

import json
from pathlib import Path
from typing import Annotated

import typer

from creditmemo.cli.common import DbUrl, database, emit_json, fail
from creditmemo.cli.show import Company
from creditmemo.domain.errors import DomainError, NotFoundError, ValidationFailedError
from creditmemo.services.actors import Actor, Role
from creditmemo.services.settings import get_approval_policy, update_approval_policy
from creditmemo.store.uow import UnitOfWork


def _actor(uow: UnitOfWork, slug: str, role: Role) -> Actor:
    company_id = uow.companies.id_for_slug(slug)
    if company_id is None:
        raise NotFoundError("company", slug)
    return Actor(None, company_id, role, label="cli")


def register(app: typer.Typer) -> None:
    policy_app = typer.Typer(help="Approval policy.", no_args_is_help=True)
    app.add_typer(policy_app, name="policy")

    @policy_app.command("show")
    def show(company: Company = "demo", database_url: DbUrl = None) -> None:
        """Print the approval policy as JSON."""
        try:
            with database(database_url).uow(readonly=True) as uow:
                emit_json(get_approval_policy(uow, _actor(uow, company, Role.AUDITOR)))
        except DomainError as e:
            fail(e)

    @policy_app.command("set")
    def set_(
        policy: Annotated[str, typer.Argument(help="The policy as JSON, or @file.json.")],
        company: Company = "demo",
        database_url: DbUrl = None,
    ) -> None:
        """Replace the approval policy (validated, audited), e.g.
        '{"tiers": [{"name": "manager", "above": "5000.00", "min_role": "manager"}],
          "role_limits": {"manager": "25000.00", "vp": null, "controller": null}}'"""
        try:
            text = Path(policy[1:]).read_text() if policy.startswith("@") else policy
            try:
                data = json.loads(text, parse_float=str, parse_int=str)
            except json.JSONDecodeError as e:
                raise ValidationFailedError.single("policy", f"Not JSON: {e}", "invalid") from None
            with database(database_url).uow() as uow:
                emit_json(update_approval_policy(uow, _actor(uow, company, Role.ADMIN), data))
        except (DomainError, OSError) as e:
            if isinstance(e, OSError):
                fail(ValidationFailedError.single("policy", str(e), "unreadable"))
            fail(e)
