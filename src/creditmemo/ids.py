"""Opaque, time-ordered ids with a type prefix (``cm_01JD…``): sortable, unguessable, made client-side
so a whole document can be built before one insert."""

from __future__ import annotations

import base64
import os
import threading
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


_TO_CROCKFORD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _ALPHABET.encode())


def new_id(prefix: str) -> str:
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    # 26 base32 digits of the 130-bit value: shifted to 160 bits, base64's base32 gives 32 digits
    # of which the first 26 are ours (translated to the Crockford alphabet).
    digits = base64.b32encode((value << 30).to_bytes(20, "big")).translate(_TO_CROCKFORD)
    return f"{prefix}_{digits[:26].decode()}"


_last_tx_ns = 0
_tx_lock = threading.Lock()


def tx_order_key() -> str:
    """A sortable key for a transaction's audit events: wall-clock nanoseconds, strictly increasing within a
    process (so the sealer chains one process's transactions in the order they ran), a random tail
    across processes."""
    global _last_tx_ns
    with _tx_lock:
        _last_tx_ns = max(_last_tx_ns + 1, time.time_ns())
        value = _last_tx_ns
    return f"tx_{value:020d}_{os.urandom(4).hex()}"
