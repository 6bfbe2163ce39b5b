"""Companies with their chart of accounts and reason codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from creditmemo.domain.chart import Account, ReasonCode
from creditmemo.domain.documents import Company
from creditmemo.domain.errors import NotFoundError
from creditmemo.store.mapping import company_from_row
from creditmemo.store.tables import accounts, companies, reason_codes


class CompanyRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._cache: dict[str, Company] = {}

    def add(self, *, company_id: str, slug: str, name: str, functional_currency: str,
            settings: dict[str, Any], chart: tuple[Account, ...], reasons: tuple[ReasonCode, ...],
            now: datetime) -> None:
        self.conn.execute(insert(companies).values(
            id=company_id, slug=slug, name=name, functional_currency=functional_currency,
            settings=settings, created_at=now))
        self.conn.execute(insert(accounts), [
            {"company_id": company_id, "code": a.code, "name": a.name, "kind": a.kind,
             "role": str(a.role) if a.role else None} for a in chart])
        self.conn.execute(insert(reason_codes), [
            {"company_id": company_id, "code": r.code, "label": r.label, "account_code": r.account_code,
             "applies_to": r.applies_to} for r in reasons])

    def get(self, company_id: str) -> Company:
        cached = self._cache.get(company_id)
        if cached is not None:
            return cached
        row = self.conn.execute(select(companies).where(companies.c.id == company_id)).mappings().first()
        if row is None:
            raise NotFoundError("company", company_id)
        accts = self.conn.execute(select(accounts).where(accounts.c.company_id == company_id)).mappings().all()
        reasons = self.conn.execute(
            select(reason_codes).where(reason_codes.c.company_id == company_id)).mappings().all()
        company = company_from_row(row, accts, reasons)
        self._cache[company_id] = company
        return company

    def id_for_slug(self, slug: str) -> str | None:
        return self.conn.execute(select(companies.c.id).where(companies.c.slug == slug)).scalar_one_or_none()

    def settings(self, company_id: str) -> dict[str, Any]:
        value = self.conn.execute(select(companies.c.settings).where(companies.c.id == company_id)).scalar_one()
        return dict(value or {})

    def reason_codes(self, company_id: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(select(reason_codes).where(reason_codes.c.company_id == company_id)
                                 .order_by(reason_codes.c.code)).mappings().all()
        return [dict(r) for r in rows]

    def accounts(self, company_id: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(select(accounts).where(accounts.c.company_id == company_id)
                                 .order_by(accounts.c.code)).mappings().all()
        return [dict(r) for r in rows]

    def add_reason_code(self, company_id: str, reason: ReasonCode) -> None:
        self.conn.execute(insert(reason_codes).values(
            company_id=company_id, code=reason.code, label=reason.label,
            account_code=reason.account_code, applies_to=reason.applies_to))
        self._cache.pop(company_id, None)
