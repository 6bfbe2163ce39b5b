"""The exchange rates page (issue 15): the company's rate table, read-only for everyone; a controller (or an
admin) sets a rate with the form. The same services as PUT|GET /v1/exchange-rates."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from creditmemo.domain.errors import ValidationFailedError
from creditmemo.presentation.locale import read_number
from creditmemo.services.actors import Permission
from creditmemo.services.companies import functional_currency
from creditmemo.services.exchange_rates import list_rates, set_rate
from creditmemo.store.uow import UnitOfWork
from creditmemo.web.core import FormDep, ViewerDep, WebRoute, WriterDep, as_str, db_of, field_errors, redirect, render
from creditmemo.web.once import submit_once

router = APIRouter(route_class=WebRoute)
PAGE_LIMIT = 500


def _page(request: Request, v: ViewerDep, status: int = 200, **extra: object) -> Response:
    currency = (request.query_params.get("currency") or "").strip().upper() or None
    with db_of(request).uow(readonly=True) as uow:
        try:
            rates = list_rates(uow, v.actor, currency=currency)
        except ValidationFailedError:
            currency, rates = None, list_rates(uow, v.actor)
        functional = functional_currency(uow, v.actor)
    rates.sort(key=lambda r: (r.currency, r.day), reverse=True)
    context: dict[str, object] = {
        "rates": rates[:PAGE_LIMIT],
        "more": len(rates) > PAGE_LIMIT,
        "currency": currency,
        "functional": functional,
        "can_edit": v.actor.can(Permission.SET_RATES),
        "errors": {},
        "form": {},
        "saved": request.query_params.get("saved"),
    }
    context.update(extra)
    return render(request, "rates.html", status, **context)


@router.get("/exchange-rates", include_in_schema=False)
def rates_page(request: Request, v: ViewerDep) -> Response:
    return _page(request, v)


@router.post("/exchange-rates", include_in_schema=False)
def rates_save(request: Request, v: WriterDep, form: FormDep) -> Response:
    values = {name: as_str(form, name) or "" for name in ("currency", "date", "rate")}
    values["rate"] = read_number(values["rate"])  # as typed in the reader's locale ("1,1275" in German)

    def run(uow: UnitOfWork) -> Response:
        saved = set_rate(uow, v.actor, values["currency"].upper(), values["date"], values["rate"])
        return redirect(f"/exchange-rates?saved={saved.currency}+{saved.day}")

    try:
        return submit_once(request, v, form, run)
    except ValidationFailedError as e:
        return _page(request, v, 422, errors=field_errors(e), form=values)
