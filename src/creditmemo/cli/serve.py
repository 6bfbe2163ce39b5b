"""`creditmemo serve` (the API and web UI under uvicorn), `creditmemo apikey create`, `creditmemo user create`
and `creditmemo user set-password`."""

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from typing import Annotated, Any

import typer

from creditmemo.cli.common import DbUrl, database, emit_json, fail, in_uow, out
from creditmemo.config import Settings
from creditmemo.domain.errors import DomainError
from creditmemo.request_log import log_format
from creditmemo.services.actors import system_actor
from creditmemo.services.users import ensure_company_user, get_user_by_email, issue_api_key, set_password

Company = Annotated[str, typer.Option("--company", help="Company slug (created if missing).")]
Role_ = Annotated[str, typer.Option("--role", help="clerk, manager, vp, controller, auditor or admin.")]
Privilege = Annotated[
    list[str] | None, typer.Option("--privilege", help="Extra privilege, e.g. create_multiline_memo.")
]


def _log_config(fmt: str | None = None) -> dict[str, Any]:
    """uvicorn's logging plus the application's own (the request log, retries, the audit sealer), with time
    and level; with LOG_FORMAT=json every line, uvicorn's too, is a JSON object."""
    from copy import deepcopy

    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = deepcopy(LOGGING_CONFIG)
    if (fmt or log_format()) == "json":
        for name in ("default", "access"):
            config["formatters"][name] = {"()": "creditmemo.request_log.JsonFormatter"}
        config["formatters"]["app"] = {"()": "creditmemo.request_log.JsonFormatter"}
    else:
        config["formatters"]["app"] = {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    config["handlers"]["app"] = {"formatter": "app", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"}
    config["loggers"]["creditmemo"] = {"handlers": ["app"], "level": "INFO", "propagate": False}
    return config


def startup_lines(
    host: str, port: int, workers: int, sealer: str, database_url: str, fmt: str, posting_worker: bool = False
) -> list[str]:
    """What `creditmemo serve` says before it listens: where to go, which database, how it logs."""
    from sqlalchemy.engine import make_url

    from creditmemo import __version__

    try:
        db = make_url(database_url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy knows: the server will say so; never echo a password
        db = database_url.split("@")[-1]
    base = f"http://{host}:{port}"
    logs = "JSON lines" if fmt == "json" else "text (LOG_FORMAT=json for JSON lines)"
    return [
        f"creditmemo {__version__} listening on {base}",
        f"  web UI    {base}/",
        f"  API       {base}/v1   OpenAPI {base}/openapi.json   docs {base}/docs",
        f"  database  {db}",
        f"  workers   {workers} · audit sealer: {sealer} · posting worker: {'on' if posting_worker else 'off'}",
        f"  logs      one line per request on stderr, as {logs}",
        "Press Ctrl+C to stop.",
    ]


def _libc() -> Any:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


_LIBC = _libc()  # loaded before any fork: the child may only make the C call, never import (threads)


def _die_with_parent() -> None:
    """In the companion, before it runs: SIGTERM it when the server process goes. uvicorn re-raises the SIGTERM
    it handled once it has shut down, so the server's own clean-up may never run; without this the sealer and
    the worker would outlive it (Linux: PR_SET_PDEATHSIG; elsewhere the server's clean-up is all there is)."""
    if _LIBC is not None and hasattr(_LIBC, "prctl"):
        _LIBC.prctl(1, int(signal.SIGTERM))  # 1 = PR_SET_PDEATHSIG


class _Companion:
    """A `creditmemo …` process beside the server (the audit sealer, the posting worker), restarted if it dies,
    stopped when the server stops (the sealer seals once more on the way out)."""

    def __init__(self, name: str, *args: str) -> None:
        import threading

        self._args = [sys.executable, "-m", "creditmemo", *args]
        self._stopping = threading.Event()
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(target=self._keep, name=f"creditmemo-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _keep(self) -> None:
        while not self._stopping.is_set():
            self._proc = subprocess.Popen(self._args, stdout=subprocess.DEVNULL, preexec_fn=_die_with_parent)
            while self._proc.poll() is None and not self._stopping.is_set():
                self._stopping.wait(1.0)
            if not self._stopping.is_set():
                time.sleep(1.0)  # it died: start another after a pause

    def stop(self) -> None:
        self._stopping.set()
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(15)
            except subprocess.TimeoutExpired:
                self._proc.kill()


def register(app: typer.Typer) -> None:
    key_app = typer.Typer(help="API keys.", no_args_is_help=True)
    user_app = typer.Typer(help="Users (for the web UI and API keys).", no_args_is_help=True)
    app.add_typer(key_app, name="apikey")
    app.add_typer(user_app, name="user")

    @app.command()
    def serve(
        host: str = "127.0.0.1",
        port: int = 8000,
        workers: int = 1,
        database_url: DbUrl = None,
        log_level: str = "warning",
        access_log: bool = False,
        timeout_keep_alive: int = 75,
        sealer: Annotated[
            str,
            typer.Option(
                help=(
                    "process: one process beside the workers seals the audit trail; thread: each worker seals "
                    "in a background thread."
                )
            ),
        ] = "process",
        posting_worker: Annotated[
            bool,
            typer.Option(
                "--posting-worker/--no-posting-worker",
                help=(
                    "Also run `creditmemo worker` beside the server (restarted if it dies), so memos queued to "
                    "ready_to_post (long or bulk-posted) are posted. scripts/run turns it on."
                ),
            ),
        ] = False,
    ) -> None:
        """Serve the REST API (/v1, /openapi.json, /docs) and the web UI (/) with uvicorn."""
        import uvicorn

        if database_url:
            os.environ["DATABASE_URL"] = database_url
        if sealer not in ("process", "thread"):
            raise typer.BadParameter("process or thread", param_hint="--sealer")
        companions = []
        if sealer == "process":
            os.environ["SEALING"] = "off"  # the workers leave it to the sealer process
            companions.append(_Companion("sealer", "audit", "seal", "--watch"))
        if posting_worker:
            companions.append(_Companion("worker", "worker"))
        for companion in companions:
            companion.start()
        fmt = log_format()
        lines = startup_lines(host, port, workers, sealer, Settings().database_url, fmt, posting_worker)
        if fmt == "json":  # a machine reads the log: the banner is one JSON line too
            print(json.dumps({"message": lines[0], "event": "startup", "lines": lines[1:-1]}), flush=True)
        else:
            print("\n".join(lines), flush=True)
        try:
            uvicorn.run(
                "creditmemo.app:create_app",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                log_level=log_level,
                access_log=access_log,
                proxy_headers=False,
                timeout_keep_alive=timeout_keep_alive,
                log_config=_log_config(),
            )
        finally:
            for companion in companions:
                companion.stop()

    @key_app.command("create")
    def apikey_create(
        company: Company,
        user: Annotated[str, typer.Option("--user", help="User e-mail.")],
        role: Role_,
        privilege: Privilege = None,
        name: str | None = None,
        database_url: DbUrl = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Create a key (and the company and user when missing). The key is printed once, as the last word."""
        try:
            with database(database_url).uow() as uow:
                found = ensure_company_user(uow, company, user, role, privilege or [])
                issued = issue_api_key(uow, system_actor(found.company_id, "cli"), found.id, name=name)
        except DomainError as e:
            fail(e)
        if as_json:
            emit_json(
                {
                    "key": issued.key,
                    "key_id": issued.id,
                    "user_id": found.id,
                    "company_id": found.company_id,
                    "role": str(found.role),
                }
            )
            return
        print(f"company {company} user {found.email} role {found.role} key id {issued.id}")
        print(f"API key (shown once): {issued.key}")

    @user_app.command("create")
    def user_create(
        company: Company,
        email: Annotated[str, typer.Option("--email")],
        role: Role_,
        privilege: Privilege = None,
        password: Annotated[str | None, typer.Option("--password", help="Omit to be prompted.")] = None,
        database_url: DbUrl = None,
    ) -> None:
        """Create a user (and the company when missing) who can sign in to the web UI."""
        if password is None:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        found = in_uow(
            database_url, lambda uow: ensure_company_user(uow, company, email, role, privilege or [], password=password)
        )
        out.print(f"user {found.email} ({found.role}) in company {company}: {found.id}")

    @user_app.command("set-password")
    def user_set_password(
        email: Annotated[str, typer.Option("--email")],
        password: Annotated[str | None, typer.Option("--password")] = None,
        database_url: DbUrl = None,
    ) -> None:
        """Set a user's password."""
        if password is None:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            with database(database_url).uow() as uow:
                found = get_user_by_email(uow, email)
                set_password(uow, system_actor(found.company_id, "cli"), found.id, password)
        except DomainError as e:
            fail(e)
        out.print(f"password set for {found.email}")

    @app.command("demo-access")
    def demo_access_cmd(
        url: str = "http://127.0.0.1:8000", load_if_empty: bool = False, database_url: DbUrl = None
    ) -> None:
        """Migrate; with --load-if-empty load the demo company into an empty database; then print the URL, a
        fresh API key per demo role and the demo users' e-mails and passwords."""
        from creditmemo.services.demo import DEMO_SLUG, demo_access, load_demo
        from creditmemo.store import migrate

        db = database(database_url)
        migrate.upgrade(db.engine)
        try:
            with db.uow(readonly=True) as uow:
                empty = not uow.companies.slugs()
                has_demo = uow.companies.id_for_slug(DEMO_SLUG) is not None
            if load_if_empty and empty:
                load_demo(db)
                has_demo = True
                out.print("Loaded the demo company (customers, invoices, memos in every state).")
            print(f"\ncreditmemo at {url}   API: {url}/v1   OpenAPI: {url}/openapi.json   docs: {url}/docs")
            if not has_demo:
                out.print("No demo company in this database; create keys with `creditmemo apikey create`.")
                return
            access = demo_access(db)
        except DomainError as e:
            fail(e)
        print("\nDemo users (web UI sign-in) and API keys (Authorization: Bearer <key>), company 'demo':")
        for a in access:
            print(f"  {a.role:<10} {a.email:<26} password {a.password:<26} key {a.api_key}")
        print(f"\nTry: curl -H 'Authorization: Bearer {access[3].api_key}' {url}/v1/credit-memos")
