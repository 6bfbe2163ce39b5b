"""`creditmemo terms show|set`: a company's credit terms (issue 15), e.g. 2 % 10, net 30, as JSON."""

import json
from typing import Annotated

import typer

from creditmemo.cli.common import DbUrl, database, emit_json, fail
from creditmemo.cli.policy import _actor
from creditmemo.cli.show import Company
from creditmemo.domain.errors import DomainError, ValidationFailedError
from creditmemo.services.actors import Role
from creditmemo.services.settlement.discounts import get_credit_terms, update_credit_terms


def register(app: typer.Typer) -> None:
    terms_app = typer.Typer(help="Credit terms (settlement discounts).", no_args_is_help=True)
    app.add_typer(terms_app, name="terms")

    @terms_app.command("show")
    def show(company: Company = "demo", database_url: DbUrl = None) -> None:
        """Print the company's credit terms as JSON (null: none; a customer's own terms win)."""
        try:
            with database(database_url).uow(readonly=True) as uow:
                terms = get_credit_terms(uow, _actor(uow, company, Role.AUDITOR))
                emit_json({"credit_terms": None if terms is None else terms.to_dict()})
        except DomainError as e:
            fail(e)

    @terms_app.command("set")
    def set_(
        terms: Annotated[str, typer.Argument(help='The terms as JSON, or "null" to remove them.')],
        company: Company = "demo",
        database_url: DbUrl = None,
    ) -> None:
        """Replace the company's credit terms (validated, audited), e.g.
        '{"net_days": 30, "discount_percent": "2.00", "discount_days": 10}'. Invoices and memos posted from now
        on store their settlement discount from them."""
        try:
            try:
                data = json.loads(terms, parse_float=str)
            except json.JSONDecodeError as e:
                raise ValidationFailedError.single("credit_terms", f"Not JSON: {e}", "invalid") from None
            with database(database_url).uow() as uow:
                new = update_credit_terms(uow, _actor(uow, company, Role.ADMIN), data)
                emit_json({"credit_terms": None if new is None else new.to_dict()})
        except DomainError as e:
            fail(e)
