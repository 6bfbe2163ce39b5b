"""Companies with their chart of accounts and reason codes.

The accounts and reason codes are cached per process (``CompanyCache``, shared by a Database's units of
work), tagged with the company's ``config_version``. Every change to them (and to the settings) bumps that
version in its own transaction, and each unit of work reads the version once (with the settings, one
statement) and re-reads the config when it differs: a change committed by any process is seen by the next
unit of work of every other process (tests/store/test_company_cache.py)."""

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
from creditmemo.store.engine import ROWCOUNT
from creditmemo.store.locking import bump
from creditmemo.store.mapping import company_from_row, legal_from_row
from creditmemo.store.tables import accounts, companies, reason_codes

_company_by_id = select(companies).where(companies.c.id == bindparam("b_company"))
_version_of = select(companies.c.settings, companies.c.config_version, companies.c.auth_version).where(
    companies.c.id == bindparam("b_company")
)
_legal_of = select(*(companies.c[name] for name in LEGAL_FIELDS)).where(companies.c.id == bindparam("b_company"))
_accounts_of = select(accounts).where(accounts.c.company_id == bindparam("b_company")).order_by(accounts.c.code)
_reasons_of = (
    select(reason_codes).where(reason_codes.c.company_id == bindparam("b_company")).order_by(reason_codes.c.code)
)
_bump = bump(companies, companies.c.config_version, companies.c.id == bindparam("b_company"))
_bump_auth = bump(companies, companies.c.auth_version, companies.c.id == bindparam("b_company"))


@dataclass(frozen=True, slots=True)
class CompanyConfig:
    """What posting and validation read on every request: the company, its accounts, its reason codes, and
    the ``config_version`` they were read at."""

    company: Company
    accounts: tuple[dict[str, Any], ...]
    reason_codes: tuple[dict[str, Any], ...]
    version: int = 0


class CompanyCache(dict[str, CompanyConfig]):
    """Per Database (shared by its units of work): company config changes rarely. An entry is used only while
    its version is the company's current ``config_version`` (read once per unit of work)."""


class CompanyRepository:
    def __init__(self, conn: Connection, cache: CompanyCache | None = None) -> None:
        self.conn = conn
        self._cache: CompanyCache = CompanyCache() if cache is None else cache
        # Read fresh once per unit of work: the settings and the config version.
        self._settings: dict[str, dict[str, Any]] = {}
        self._versions: dict[str, int] = {}
        self._auth_versions: dict[str, int] = {}
        # Companies whose config this unit of work changed: their config is not cached until it commits.
        self._changed: dict[str, CompanyConfig | None] = {}

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
                config_version=1,
            )
        )
        self.conn.execute(insert(accounts), [_account_row(company_id, a) for a in chart])
        self.conn.execute(insert(reason_codes), [_reason_row(company_id, r) for r in reasons])

    def get(self, company_id: str) -> Company:
        return self._config(company_id).company

    def _read_version(self, company_id: str) -> int:
        if company_id not in self._versions or company_id not in self._settings:
            row = self.conn.execute(_version_of, {"b_company": company_id}).first()
            if row is None:
                raise NotFoundError("company", company_id)
            self._settings[company_id] = dict(row.settings or {})
            self._versions[company_id] = int(row.config_version)
            self._auth_versions[company_id] = int(row.auth_version)
        return self._versions[company_id]

    def auth_version(self, company_id: str) -> int:
        """The company's ``auth_version``, read once per unit of work in the statement that reads its settings
        and config version (so a request that needs those pays nothing more for it)."""
        self._read_version(company_id)
        return self._auth_versions[company_id]

    def change_auth(self, company_id: str) -> None:
        """Before any change to a company's API keys or its users' role, privileges or active flag: bump its
        ``auth_version``, which locks the company's row (first, as ``change_config``: docs/CONCURRENCY.md) and
        makes every server process drop the keys it cached for the company after this commits."""
        result = self.conn.execute(_bump_auth, {"b_company": company_id}, execution_options=ROWCOUNT)
        if result.rowcount == 0:
            raise NotFoundError("company", company_id)
        self._settings.pop(company_id, None)
        self._versions.pop(company_id, None)
        self._auth_versions.pop(company_id, None)

    def _config(self, company_id: str, *, fresh: bool = False) -> CompanyConfig:
        if company_id in self._changed:  # changed here, not committed: never from (or into) the shared cache
            config = self._changed[company_id] or self._load(company_id, self._read_version(company_id))
            self._changed[company_id] = config
            return config
        # The version is read before the config: a config newer than its tag only costs a re-read later.
        version = self._read_version(company_id)
        cached = None if fresh else self._cache.get(company_id)
        if cached is not None and cached.version == version:
            return cached
        config = self._load(company_id, version)
        self._cache[company_id] = config
        return config

    def _load(self, company_id: str, version: int) -> CompanyConfig:
        row = self.conn.execute(_company_by_id, {"b_company": company_id}).mappings().first()
        if row is None:
            raise NotFoundError("company", company_id)
        accts = [dict(r) for r in self.conn.execute(_accounts_of, {"b_company": company_id}).mappings()]
        reasons = [dict(r) for r in self.conn.execute(_reasons_of, {"b_company": company_id}).mappings()]
        return CompanyConfig(company_from_row(row, accts, reasons), tuple(accts), tuple(reasons), version)

    def change_config(self, company_id: str) -> None:
        """Before any change to a company's accounts, reason codes or settings: bump its ``config_version``,
        which locks the company's row (config writers run one at a time; docs/CONCURRENCY.md) and makes every
        process re-read the config after this commits. What this unit of work reads of the config from now
        on is read again from the database."""
        if company_id in self._changed:
            return
        result = self.conn.execute(_bump, {"b_company": company_id}, execution_options=ROWCOUNT)
        if result.rowcount == 0:
            raise NotFoundError("company", company_id)
        self._changed[company_id] = None
        self._settings.pop(company_id, None)
        self._versions.pop(company_id, None)

    def invalidate(self, company_id: str) -> None:
        """Drop this process's cached config (others see the change through ``config_version``)."""
        self._cache.pop(company_id, None)
        if company_id in self._changed:
            self._changed[company_id] = None

    def id_for_slug(self, slug: str) -> str | None:
        return self.conn.execute(select(companies.c.id).where(companies.c.slug == slug)).scalar_one_or_none()

    def slugs(self) -> list[str]:
        """Every company's slug, in order."""
        return list(self.conn.execute(select(companies.c.slug).order_by(companies.c.slug)).scalars())

    def settings(self, company_id: str) -> dict[str, Any]:
        """Settings change while processes run (an admin in another process), so they are not taken
        from the per-Database cache: read from the database once per unit of work."""
        if company_id not in self._settings:
            self._read_version(company_id)  # one statement reads both
        return dict(self._settings[company_id])

    def background_line_limit(self, company_id: str) -> int:
        """Memos longer than this go to the worker (a setting: read fresh, see ``settings``)."""
        return int(self.settings(company_id).get("background_line_limit", DEFAULT_BACKGROUND_LINE_LIMIT))

    def update_settings(self, company_id: str, settings: dict[str, Any]) -> None:
        """Replace the settings JSON (approval policy, background line limit); the config version moves."""
        self.change_config(company_id)
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
        """Ordered by code, active or not. ``fresh`` re-reads them even when the version matches."""
        return [dict(r) for r in self._config(company_id, fresh=fresh).reason_codes]

    def accounts(self, company_id: str) -> list[dict[str, Any]]:
        """Ordered by number, active or not."""
        return [dict(a) for a in self._config(company_id).accounts]

    def add_reason_code(self, company_id: str, reason: ReasonCode) -> None:
        self.change_config(company_id)
        self.conn.execute(insert(reason_codes).values(**_reason_row(company_id, reason)))
        self.invalidate(company_id)

    def update_reason_code(self, company_id: str, code: str, values: dict[str, Any]) -> None:
        self.change_config(company_id)
        self.conn.execute(
            update(reason_codes)
            .where(reason_codes.c.company_id == company_id, reason_codes.c.code == code)
            .values(**values)
        )
        self.invalidate(company_id)

    def add_account(self, company_id: str, account: Account) -> None:
        self.change_config(company_id)
        self.conn.execute(insert(accounts).values(**_account_row(company_id, account)))
        self.invalidate(company_id)

    def update_account(self, company_id: str, code: str, values: dict[str, Any]) -> None:
        self.change_config(company_id)
        self.conn.execute(
            update(accounts).where(accounts.c.company_id == company_id, accounts.c.code == code).values(**values)
        )
        self.invalidate(company_id)


def _account_row(company_id: str, a: Account) -> dict[str, Any]:
    return {
        "company_id": company_id,
        "code": a.code,
        "name": a.name,
        "kind": a.kind,
        "role": str(a.role) if a.role else None,
        "active": a.active,
    }


def _reason_row(company_id: str, r: ReasonCode) -> dict[str, Any]:
    return {
        "company_id": company_id,
        "code": r.code,
        "label": r.label,
        "account_code": r.account_code,
        "applies_to": r.applies_to,
        "active": r.active,
    }
