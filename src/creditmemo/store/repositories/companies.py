"""Companies with their chart of accounts and reason codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from creditmemo.domain.chart import Account, ReasonCode
from creditmemo.domain.documents import DEFAULT_BACKGROUND_LINE_LIMIT, Company
from creditmemo.domain.errors import NotFoundError
from creditmemo.domain.legal import FIELDS as LEGAL_FIELDS
from creditmemo.domain.legal import LegalDetails
from creditmemo.store.mapping import company_from_row, legal_from_row
from creditmemo.store.tables import accounts, companies, reason_codes

_company_by_id = select(companies).where(companies.c.id == bindparam("b_company"))
_settings_of = select(companies.c.settings).where(companies.c.id == bindparam("b_company"))
_legal_of = select(*(companies.c[name] for name in LEGAL_FIELDS)).where(companies.c.id == bindparam("b_company"))
_accounts_of = select(accounts).where(accounts.c.company_id == bindparam("b_company")).order_by(accounts.c.code)
_reasons_of = (
    select(reason_codes).where(reason_codes.c.company_id == bindparam("b_company")).order_by(reason_codes.c.code)
)


@dataclass(frozen=True, slots=True)
class CompanyConfig:
    """What posting and validation read on every request: the company, its accounts, its reason codes."""

    company: Company
    accounts: tuple[dict[str, Any], ...]
    reason_codes: tuple[dict[str, Any], ...]


class CompanyCache(dict[str, CompanyConfig]):
    """Per Database (shared by its units of work): company config changes rarely, and is re-read when
    this process changes it (``CompanyRepository.invalidate``). Another process's new reason code is
    found by the ``fresh`` re-read validation does before rejecting an unknown code."""


class CompanyRepository:
    def __init__(self, conn: Connection, cache: CompanyCache | None = None) -> None:
        self.conn = conn
        self._cache: CompanyCache = CompanyCache() if cache is None else cache
        self._settings: dict[str, dict[str, Any]] = {}  # read fresh once per unit of work

    def add(
        self,
        *,
        company_id: str,
        slug: str,
        name: str,
        functional_currency: str,
        settings: dict[str, Any],
        chart: tuple[Account, ...],
        reasons: tuple[ReasonCode, ...],
        now: datetime,
    ) -> None:
        self.conn.execute(
            insert(companies).values(
                id=company_id,
                slug=slug,
                name=name,
                functional_currency=functional_currency,
                settings=settings,
                created_at=now,
            )
        )
        self.conn.execute(
            insert(accounts),
            [
                {
                    "company_id": company_id,
                    "code": a.code,
                    "name": a.name,
                    "kind": a.kind,
                    "role": str(a.role) if a.role else None,
                }
                for a in chart
            ],
        )
        self.conn.execute(
            insert(reason_codes),
            [
                {
                    "company_id": company_id,
                    "code": r.code,
                    "label": r.label,
                    "account_code": r.account_code,
                    "applies_to": r.applies_to,
                }
                for r in reasons
            ],
        )

    def get(self, company_id: str) -> Company:
        return self._config(company_id).company

    def _config(self, company_id: str, *, fresh: bool = False) -> CompanyConfig:
        cached = None if fresh else self._cache.get(company_id)
        if cached is not None:
            return cached
        row = self.conn.execute(_company_by_id, {"b_company": company_id}).mappings().first()
        if row is None:
            raise NotFoundError("company", company_id)
        accts = [dict(r) for r in self.conn.execute(_accounts_of, {"b_company": company_id}).mappings()]
        reasons = [dict(r) for r in self.conn.execute(_reasons_of, {"b_company": company_id}).mappings()]
        config = CompanyConfig(company_from_row(row, accts, reasons), tuple(accts), tuple(reasons))
        self._cache[company_id] = config
        return config

    def invalidate(self, company_id: str) -> None:
        """Every write to a company's row, accounts or reason codes must call this."""
        self._cache.pop(company_id, None)

    def id_for_slug(self, slug: str) -> str | None:
        return self.conn.execute(select(companies.c.id).where(companies.c.slug == slug)).scalar_one_or_none()

    def settings(self, company_id: str) -> dict[str, Any]:
        """Settings change while processes run (an admin in another process), so they are not taken
        from the per-Database cache: read from the database once per unit of work."""
        if company_id not in self._settings:
            value = self.conn.execute(_settings_of, {"b_company": company_id}).scalar_one()
            self._settings[company_id] = dict(value or {})
        return dict(self._settings[company_id])

    def background_line_limit(self, company_id: str) -> int:
        """Memos longer than this go to the worker (a setting: read fresh, see ``settings``)."""
        return int(self.settings(company_id).get("background_line_limit", DEFAULT_BACKGROUND_LINE_LIMIT))

    def update_settings(self, company_id: str, settings: dict[str, Any]) -> None:
        """Replace the settings JSON (approval policy, background line limit) and drop the cached config."""
        self.conn.execute(update(companies).where(companies.c.id == company_id).values(settings=settings))
        self._settings[company_id] = dict(settings)
        self.invalidate(company_id)

    def legal_details(self, company_id: str) -> LegalDetails:
        """The company's legal name, address and tax ID, read from the database (not the per-process cache: an
        admin in another process may just have changed them, and every document must show the current ones)."""
        row = self.conn.execute(_legal_of, {"b_company": company_id}).mappings().first()
        if row is None:
            raise NotFoundError("company", company_id)
        return legal_from_row(row)

    def set_legal_details(self, company_id: str, legal: LegalDetails) -> None:
        self.conn.execute(update(companies).where(companies.c.id == company_id).values(**legal.as_dict()))
        self.invalidate(company_id)

    def reason_codes(self, company_id: str, *, fresh: bool = False) -> list[dict[str, Any]]:
        """Ordered by code. ``fresh`` re-reads them (e.g. before rejecting a code another process may
        just have added)."""
        return [dict(r) for r in self._config(company_id, fresh=fresh).reason_codes]

    def accounts(self, company_id: str) -> list[dict[str, Any]]:
        return [dict(a) for a in self._config(company_id).accounts]

    def add_reason_code(self, company_id: str, reason: ReasonCode) -> None:
        self.conn.execute(
            insert(reason_codes).values(
                company_id=company_id,
                code=reason.code,
                label=reason.label,
                account_code=reason.account_code,
                applies_to=reason.applies_to,
            )
        )
        self.invalidate(company_id)
