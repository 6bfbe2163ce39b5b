"""Audit anchors (issue 13 item 5): a company's chain head (sequence, hash, time), signed with a key kept outside
the database and published outside it. Someone who can write the database can rewrite every event and the head
together so that the chain still verifies; they cannot make an anchor published earlier agree with the rewrite.
Pure: what is signed, and how a chain is checked against anchors (the signature itself is services/anchoring.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Anchor:
    company_id: str
    seq: int
    hash: str
    anchored_at: str  # ISO 8601, UTC
    key_id: str  # the first 16 hex digits of the public key's SHA-256: which key signed it
    signature: str  # base64 Ed25519 signature of signed_bytes()

    def signed_bytes(self) -> bytes:
        return signed_bytes(self.company_id, self.seq, self.hash, self.anchored_at)

    def to_dict(self) -> dict[str, Any]:
        return {
            "company_id": self.company_id,
            "seq": self.seq,
            "hash": self.hash,
            "anchored_at": self.anchored_at,
            "key_id": self.key_id,
            "signature": self.signature,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Anchor:
        if not isinstance(data, dict):
            raise ValueError("an anchor is a JSON object")
        try:
            return cls(
                str(data["company_id"]),
                int(data["seq"]),
                str(data["hash"]),
                str(data["anchored_at"]),
                str(data["key_id"]),
                str(data["signature"]),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"not an anchor: {e}") from None


def signed_bytes(company_id: str, seq: int, hash_: str, anchored_at: str) -> bytes:
    """The exact bytes signed: canonical JSON (sorted keys, no spaces), so any verifier can rebuild them."""
    body = {"company_id": company_id, "seq": seq, "hash": hash_, "anchored_at": anchored_at}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class AnchorBreak:
    index: int  # 1-based position of the anchor in the file
    anchor: Anchor
    reason: str


def check_anchors(
    anchors: Iterable[Anchor],
    signature_ok: Callable[[Anchor], bool],
    hash_at: Callable[[str, int], str | None],
    head_seq: Callable[[str], int],
) -> AnchorBreak | None:
    """The first anchor the database no longer agrees with, or None. An anchor holds when its signature is
    good, the chain still reaches its sequence, and the event there still has the anchored hash: since each
    hash covers the one before it, no event up to the anchor was altered, inserted or deleted."""
    for index, anchor in enumerate(anchors, start=1):
        if not signature_ok(anchor):
            return AnchorBreak(index, anchor, "the signature does not match the public key")
        if head_seq(anchor.company_id) < anchor.seq:
            return AnchorBreak(
                index, anchor, f"the chain ends before event #{anchor.seq}: events were deleted since it was anchored"
            )
        found = hash_at(anchor.company_id, anchor.seq)
        if found != anchor.hash:
            return AnchorBreak(
                index,
                anchor,
                f"event #{anchor.seq} no longer has the anchored hash: events up to it were altered, inserted or "
                "deleted since it was anchored",
            )
    return None
