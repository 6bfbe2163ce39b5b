"""Anchoring the audit chain outside the database (issue 13 item 5, domain/anchors.py): an Ed25519 key made by
`creditmemo audit keygen` and kept in a file or in the AUDIT_ANCHOR_KEY environment variable (never in the
database) signs each company's chain head; the anchors are appended to a file kept elsewhere and stored for
`GET /v1/audit-anchors`. `creditmemo audit verify --anchors FILE --public-key KEY` proves that no event up to each
anchor changed since it was published. Ed25519 is `cryptography`'s (pyca), not ours."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable
from datetime import UTC
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from creditmemo.domain.anchors import Anchor, AnchorBreak, check_anchors
from creditmemo.domain.errors import ValidationFailedError
from creditmemo.domain.webhooks import ANCHOR_EVENT
from creditmemo.ids import tx_order_key
from creditmemo.services.actors import Actor, Permission, authorize
from creditmemo.store.repositories.webhooks import queue_event
from creditmemo.store.uow import UnitOfWork

KEY_ENV = "AUDIT_ANCHOR_KEY"  # the PEM text of the private key, or the path of its file


def new_key() -> tuple[bytes, str]:
    """A fresh private key as PEM (PKCS #8, unencrypted: protect the file) and its public key (base64, raw)."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return pem, public_text(key.public_key())


def public_text(key: Ed25519PublicKey) -> str:
    return base64.b64encode(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_private_key(source: str | None) -> Ed25519PrivateKey:
    """From ``source`` (a PEM file's path), else from AUDIT_ANCHOR_KEY (PEM text or a path)."""
    text = source or os.environ.get(KEY_ENV)
    if not text:
        raise ValidationFailedError.single(
            "key",
            f"No signing key: pass --key FILE or set {KEY_ENV} (make one with `creditmemo audit keygen`).",
            "required",
        )
    data = text.encode() if text.lstrip().startswith("-----BEGIN") else _read(Path(text), "key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise ValidationFailedError.single("key", "Not a PEM private key.", "invalid") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValidationFailedError.single("key", "The anchor key must be an Ed25519 key.", "invalid")
    return key


def load_public_key(source: str) -> Ed25519PublicKey:
    """A public key given as its base64 text, or as the path of a file holding that text."""
    path = Path(source)
    text = _read(path, "public_key").decode().strip() if path.exists() else source.strip()
    try:
        raw = base64.b64decode(text, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise ValidationFailedError.single("public_key", "Not an Ed25519 public key (base64).", "invalid") from None


def _read(path: Path, field: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise ValidationFailedError.single(field, f"Cannot read {path}: {e.strerror}.", "unreadable") from None


def anchor_heads(uow: UnitOfWork, key: Ed25519PrivateKey, company_ids: Iterable[str]) -> list[Anchor]:
    """Sign and store the current head of each company with a chain (seal pending events first: the caller)."""
    made = []
    anchored_at = uow.now().astimezone(UTC).isoformat(timespec="seconds")
    kid = key_id(key.public_key())
    for company_id in company_ids:
        seq, hash_ = uow.audit.head(company_id)
        if seq == 0:
            continue  # nothing to anchor yet
        unsigned = Anchor(company_id, seq, hash_, anchored_at, kid, "")
        signature = base64.b64encode(key.sign(unsigned.signed_bytes())).decode()
        anchor = Anchor(company_id, seq, hash_, anchored_at, kid, signature)
        anchor_id = uow.anchors.add(anchor)
        # The webhook event audit.anchor, in the same transaction (to each endpoint subscribed to it).
        queue_event(
            uow.conn,
            company_id=company_id,
            event_id=anchor_id,
            event_type=ANCHOR_EVENT,
            document_id=company_id,
            position=f"{tx_order_key()}:000000",
            at=uow.now(),
            payload={
                "id": anchor_id,
                "type": ANCHOR_EVENT,
                "created_at": anchored_at,
                "company_id": company_id,
                "data": anchor.to_dict(),
            },
        )
        made.append(anchor)
    return made


def append_to_file(path: Path, anchors: Iterable[Anchor]) -> None:
    """One JSON object per line; the file is only ever appended to."""
    with path.open("a", encoding="utf-8") as f:
        for anchor in anchors:
            f.write(json.dumps(anchor.to_dict(), sort_keys=True) + "\n")


def read_file(path: Path) -> list[Anchor]:
    anchors = []
    for number, line in enumerate(_read(path, "anchors").decode("utf-8", "replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            anchors.append(Anchor.from_dict(json.loads(line)))
        except ValueError as e:
            raise ValidationFailedError.single("anchors", f"{path} line {number}: {e}", "invalid") from None
    return anchors


def verify_against(
    uow: UnitOfWork, anchors: Iterable[Anchor], public_key: Ed25519PublicKey, company_ids: Iterable[str]
) -> AnchorBreak | None:
    """The first anchor (of the given companies) the database no longer agrees with, or None."""
    wanted = set(company_ids)
    kid = key_id(public_key)

    def signature_ok(anchor: Anchor) -> bool:
        if anchor.key_id != kid:
            return False
        try:
            public_key.verify(base64.b64decode(anchor.signature), anchor.signed_bytes())
        except (InvalidSignature, ValueError):
            return False
        return True

    return check_anchors(
        [a for a in anchors if a.company_id in wanted],
        signature_ok,
        uow.anchors.hash_at,
        lambda company_id: uow.audit.head(company_id)[0],
    )


def list_anchors(uow: UnitOfWork, actor: Actor, *, limit: int = 100) -> list[Anchor]:
    authorize(actor, Permission.VERIFY_AUDIT)
    if isinstance(limit, bool) or not 1 <= limit <= 1000:
        raise ValidationFailedError.single("limit", "Between 1 and 1000.", "out_of_range")
    return uow.anchors.list(actor.company_id, limit=limit)
