"""Users, roles, privileges and API keys. A key is shown once and stored as a SHA-256 of the whole key
(it carries 256 random bits, so a fast hash is enough); passwords are argon2 hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from creditmemo.domain.errors import FieldError, NotFoundError, ValidationFailedError
from creditmemo.ids import new_id
from creditmemo.services import audit
from creditmemo.services.actors import PRIVILEGES, Actor, Permission, Role, authorize, system_actor
from creditmemo.services.companies import create_company
from creditmemo.store.repositories.users import UserRepository
from creditmemo.store.uow import UnitOfWork

KEY_PREFIX = "cmk_"
_PREFIX_LEN = 12
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_hasher = PasswordHasher()
# How many times this process ran argon2 to check a sign-in (tests prove a throttled attempt runs none).
PASSWORD_CHECKS = [0]


@dataclass(frozen=True, slots=True)
class User:
    id: str
    company_id: str
    email: str
    name: str
    role: Role
    privileges: frozenset[str]
    active: bool = True


@dataclass(frozen=True, slots=True)
class IssuedKey:
    id: str
    user_id: str
    company_id: str
    key: str  # the only time the plain key exists


def _user(row: Any) -> User:
    return User(
        row["id"],
        row["company_id"],
        row["email"],
        row["name"],
        Role(row["role"]),
        frozenset(row["privileges"] or ()),
        bool(row["active"]),
    )


def _check(email: object, role: object, privileges: object, field_prefix: str = "") -> tuple[str, Role, list[str]]:
    errors = []
    if not isinstance(email, str) or "@" not in email or not 3 <= len(email) <= 254 or email != email.strip():
        errors.append(FieldError(f"{field_prefix}email", "invalid", "Not an e-mail address."))
    if role not in {r.value for r in Role}:
        errors.append(FieldError(f"{field_prefix}role", "invalid", f"One of {', '.join(r.value for r in Role)}."))
    privs = list(privileges or ()) if isinstance(privileges, (list, tuple, set, frozenset)) else None
    if privs is None or any(p not in PRIVILEGES for p in privs):
        errors.append(
            FieldError(f"{field_prefix}privileges", "invalid", f"Known privileges: {', '.join(sorted(PRIVILEGES))}.")
        )
    if errors:
        raise ValidationFailedError(errors)
    return str(email).lower(), Role(str(role)), sorted(set(privs or ()))


def hash_password(password: object) -> str:
    if not isinstance(password, str) or not 8 <= len(password) <= 200:
        raise ValidationFailedError.single("password", "A password of 8 to 200 characters.", "invalid")
    return _hasher.hash(password)


def _add_user(
    uow: UnitOfWork,
    actor: Actor,
    company_id: str,
    *,
    email: object,
    name: object,
    role: object,
    privileges: object,
    password: object,
) -> User:
    mail, role_, privs = _check(email, role, privileges)
    repo = UserRepository(uow.conn)
    if repo.by_email(mail) is not None:
        raise ValidationFailedError.single("email", f"A user {mail} already exists.", "taken")
    label = name if isinstance(name, str) and name.strip() else mail
    pw_hash = None if password is None else hash_password(password)
    user = User(new_id("usr"), company_id, mail, label[:200], role_, frozenset(privs))
    repo.add(
        user_id=user.id,
        company_id=company_id,
        email=mail,
        name=user.name,
        role=str(role_),
        privileges=privs,
        password_hash=pw_hash,
        now=uow.now(),
    )
    audit.record(
        uow,
        actor,
        "user.created",
        "user",
        user.id,
        {"email": [None, mail], "role": [None, str(role_)], "privileges": [None, privs]},
    )
    return user


def create_user(
    uow: UnitOfWork,
    actor: Actor,
    *,
    email: object,
    role: object,
    name: object = None,
    privileges: object = (),
    password: object = None,
) -> User:
    """An admin adds a user to their own company."""
    authorize(actor, Permission.MANAGE)
    return _add_user(
        uow, actor, actor.company_id, email=email, name=name, role=role, privileges=privileges, password=password
    )


def list_users(uow: UnitOfWork, actor: Actor) -> list[User]:
    authorize(actor, Permission.MANAGE)
    return [_user(r) for r in UserRepository(uow.conn).list(actor.company_id)]


def update_user(
    uow: UnitOfWork,
    actor: Actor,
    user_id: str,
    *,
    role: object = None,
    privileges: object = None,
    active: object = None,
) -> User:
    """An admin changes a user's role, privileges or active flag (``None``: unchanged). Takes effect at once
    for the user's API keys in every server process (the company's ``auth_version`` moves in this
    transaction) and for their web sessions (read from the database on every request). An admin cannot
    deactivate or demote themselves (the company would risk having no admin)."""
    authorize(actor, Permission.MANAGE)
    repo = UserRepository(uow.conn)
    row = repo.get(actor.company_id, user_id)
    if row is None:
        raise NotFoundError("user", user_id)
    _, role_, privs = _check(
        row["email"],
        row["role"] if role is None else role,
        row["privileges"] if privileges is None else privileges,
    )
    if active is not None and not isinstance(active, bool):
        raise ValidationFailedError.single("active", "true or false.")
    now_active = bool(row["active"]) if active is None else active
    if user_id == actor.user_id and (not now_active or role_ != Role.ADMIN):
        raise ValidationFailedError.single("user_id", "Admins cannot deactivate or demote themselves.", "self")
    changes: dict[str, Any] = {}
    if role_ != row["role"]:
        changes["role"] = [row["role"], str(role_)]
    if privs != sorted(row["privileges"] or ()):
        changes["privileges"] = [sorted(row["privileges"] or ()), privs]
    if now_active != bool(row["active"]):
        changes["active"] = [bool(row["active"]), now_active]
    if changes:
        uow.companies.change_auth(actor.company_id)
        repo.update(user_id, role=str(role_), privileges=privs, active=now_active)
        audit.record(uow, actor, "user.updated", "user", user_id, changes)
    updated = repo.get(actor.company_id, user_id)
    assert updated is not None
    return _user(updated)


def get_user_by_email(uow: UnitOfWork, email: str) -> User:
    row = UserRepository(uow.conn).by_email(email.lower())
    if row is None:
        raise NotFoundError("user", email)
    return _user(row)


def set_password(uow: UnitOfWork, actor: Actor, user_id: str, password: object) -> None:
    """An admin (or the operator through the CLI, as the system actor) sets a user's password."""
    if actor.user_id != user_id and actor.user_id is not None:
        authorize(actor, Permission.MANAGE)
    repo = UserRepository(uow.conn)
    if repo.get(actor.company_id, user_id) is None:
        raise NotFoundError("user", user_id)
    repo.update(user_id, password_hash=hash_password(password))
    audit.record(uow, actor, "user.password_set", "user", user_id, {"password": ["***", "***"]})


def verify_password(uow: UnitOfWork, email: object, password: object) -> Actor | None:
    """The actor for a correct e-mail and password of an active user, else None."""
    if not isinstance(email, str) or not isinstance(password, str) or len(password) > 200:
        return None
    row = UserRepository(uow.conn).by_email(email.strip().lower())
    PASSWORD_CHECKS[0] += 1
    if row is None or not row["active"] or not row["password_hash"]:
        _hasher.hash("timing-equaliser")  # do the same work whether or not the user exists
        return None
    try:
        _hasher.verify(row["password_hash"], password)
    except (VerificationError, InvalidHashError):
        return None
    return actor_for(_user(row))


def actor_for(user: User) -> Actor:
    return Actor(user.id, user.company_id, user.role, user.privileges, user.email)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_api_key(uow: UnitOfWork, actor: Actor, user_id: str, *, name: str | None = None) -> IssuedKey:
    """A new key for a user of the actor's company. Returned in plain text once; only its hash is kept."""
    repo = UserRepository(uow.conn)
    if repo.get(actor.company_id, user_id) is None:
        raise NotFoundError("user", user_id)
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(_PREFIX_LEN))
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key_id = new_id("key")
    repo.add_key(
        key_id=key_id,
        company_id=actor.company_id,
        user_id=user_id,
        prefix=prefix,
        key_hash=_digest(key),
        name=name,
        now=uow.now(),
    )
    audit.record(
        uow, actor, "api_key.created", "api_key", key_id, {"user_id": [None, user_id], "prefix": [None, prefix]}
    )
    return IssuedKey(key_id, user_id, actor.company_id, key)


def create_api_key(uow: UnitOfWork, actor: Actor, user_id: str, *, name: str | None = None) -> IssuedKey:
    authorize(actor, Permission.MANAGE)
    return issue_api_key(uow, actor, user_id, name=name)


def authenticate_api_key(uow: UnitOfWork, key: object) -> Actor | None:
    """The actor a presented key stands for, or None (unknown, revoked, inactive user, malformed)."""
    found = authenticate_api_key_versioned(uow, key)
    return None if found is None else found[0]


def authenticate_api_key_versioned(uow: UnitOfWork, key: object) -> tuple[Actor, int] | None:
    """The actor a presented key stands for and its company's ``auth_version``, read in one statement (so a
    cache tagged with that version never holds a key state older than its tag), or None."""
    if not isinstance(key, str) or not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    prefix = key[len(KEY_PREFIX) : len(KEY_PREFIX) + _PREFIX_LEN]
    row = UserRepository(uow.conn).key_by_prefix(prefix)
    if row is None or row["revoked_at"] is not None or not row["active"]:
        return None
    if not hmac.compare_digest(row["key_hash"], _digest(key)):
        return None
    actor = Actor(
        row["user_id"], row["company_id"], Role(row["role"]), frozenset(row["privileges"] or ()), row["email"]
    )
    return actor, int(row["auth_version"])


def revoke_api_key(uow: UnitOfWork, actor: Actor, key_id: str) -> None:
    """Revoked at once in every server process: the company's ``auth_version`` moves in this transaction."""
    authorize(actor, Permission.MANAGE)
    uow.companies.change_auth(actor.company_id)
    if not UserRepository(uow.conn).revoke_key(actor.company_id, key_id, uow.now()):
        raise NotFoundError("api_key", key_id)
    audit.record(uow, actor, "api_key.revoked", "api_key", key_id, {"revoked": [False, True]})


def ensure_company_user(
    uow: UnitOfWork,
    slug: str,
    email: str,
    role: str,
    privileges: object = (),
    *,
    company_name: str | None = None,
    password: object = None,
) -> User:
    """The operator's path (CLI, demo): the company and the user are created when missing. An existing
    user keeps its company; its role and privileges are set to the ones given."""
    company_id = uow.companies.id_for_slug(slug)
    if company_id is None:
        company_id = create_company(uow, slug=slug, name=company_name or slug).id
    operator = system_actor(company_id, "operator")
    mail, role_, privs = _check(email, role, privileges)
    repo = UserRepository(uow.conn)
    row = repo.by_email(mail)
    if row is None:
        return _add_user(
            uow, operator, company_id, email=mail, name=None, role=role_, privileges=privs, password=password
        )
    if row["company_id"] != company_id:
        raise ValidationFailedError.single("email", f"{mail} belongs to another company.", "taken")
    if row["role"] != role_ or sorted(row["privileges"] or ()) != privs:
        uow.companies.change_auth(company_id)  # the user's keys carry the new role at once, in every process
        repo.update(row["id"], role=str(role_), privileges=privs)
        audit.record(
            uow,
            operator,
            "user.updated",
            "user",
            row["id"],
            {"role": [row["role"], str(role_)], "privileges": [row["privileges"], privs]},
        )
    if password is not None:
        repo.update(row["id"], password_hash=hash_password(password))
    return get_user_by_email(uow, mail)
