"""The audit hash chain, pure (domain/audit.py): ``seal`` chains events after the head; ``verify_chain`` finds
the first break, naming its sequence number, whether a row was altered, inserted, deleted, reordered,
appended behind the head or cut off the tail (rule 7, DESIGN §1)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from creditmemo.domain.audit import GENESIS, AuditEvent, ChainBreak, event_hash, seal, verify_chain

# The machine is shared: no per-example deadline, no complaint about slow generation (the checks stay).
LOADED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def raw(n: int, *, action: str = "memo.created", changes: dict[str, Any] | None = None) -> AuditEvent:
    return AuditEvent(
        id=f"evt_{n:03d}",
        company_id="co_1",
        occurred_at=T0 + timedelta(seconds=n),
        actor_id="usr_1",
        actor_label="clerk@test",
        action=action,
        entity_type="memo",
        entity_id=f"mem_{n}",
        changes=changes if changes is not None else {"total": Decimal("10.00"), "n": n},
        request_id=f"req_{n}",
    )


def sealed(events: list[AuditEvent], head_seq: int = 0, head_hash: str = GENESIS) -> list[AuditEvent]:
    """The events as the sealer leaves them: each with its seq, prev_hash and hash."""
    return [
        replace(e, seq=s.seq, prev_hash=s.prev_hash, hash=s.hash)
        for e, s in zip(events, seal(events, head_seq, head_hash), strict=True)
    ]


def chain(n: int) -> tuple[list[AuditEvent], int, str]:
    events = sealed([raw(i) for i in range(1, n + 1)])
    return events, n, events[-1].hash if events else GENESIS  # type: ignore[return-value]  # sealed: hash set


def rehash(event: AuditEvent, prev: str) -> AuditEvent:
    """What a forger with the code does to one row: a hash that matches its (altered) contents."""
    assert event.seq is not None
    return replace(event, prev_hash=prev, hash=event_hash(event, event.seq, prev))


# seal ---------------------------------------------------------------------------------------
class TestSeal:
    def test_numbers_on_from_the_head_each_hash_covering_the_previous(self):
        seals = seal([raw(1), raw(2), raw(3)], 7, "f" * 64)
        assert [s.seq for s in seals] == [8, 9, 10]
        assert [s.event_id for s in seals] == ["evt_001", "evt_002", "evt_003"]
        assert [s.prev_hash for s in seals] == ["f" * 64, seals[0].hash, seals[1].hash]
        assert seals[0].hash == event_hash(raw(1), 8, "f" * 64)
        assert len({s.hash for s in seals}) == 3
        assert all(len(s.hash) == 64 for s in seals)

    def test_nothing_to_seal(self):
        assert seal([], 3, "a" * 64) == []

    def test_the_hash_depends_on_seq_and_prev(self):
        e = raw(1)
        assert event_hash(e, 1, GENESIS) != event_hash(e, 2, GENESIS)
        assert event_hash(e, 1, GENESIS) != event_hash(e, 1, "1" * 64)
        assert event_hash(e, 1, GENESIS) == event_hash(raw(1), 1, GENESIS)  # canonical: same event, same hash

    def test_sealed_after_an_existing_head_verifies_as_one_chain(self):
        first, head_seq, head_hash = chain(3)
        more = sealed([raw(4), raw(5)], head_seq, head_hash)
        assert verify_chain([*first, *more], 5, more[-1].hash or "") is None


# verify_chain: worked examples --------------------------------------------------------------
class TestVerifyExamples:
    def test_an_intact_chain_verifies(self):
        events, head_seq, head_hash = chain(5)
        assert verify_chain(events, head_seq, head_hash) is None

    def test_an_empty_chain_at_genesis_verifies(self):
        assert verify_chain([], 0, GENESIS) is None

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("action", "memo.voided"),
            ("changes", {"total": Decimal("1000.00"), "n": 3}),
            ("actor_id", "usr_2"),
            ("actor_label", "someone@else"),
            ("entity_type", "invoice"),
            ("entity_id", "mem_99"),
            ("occurred_at", T0 + timedelta(days=1)),
            ("request_id", None),
            ("company_id", "co_2"),
            ("id", "evt_999"),
        ],
    )
    def test_altering_any_field_is_found_at_that_event(self, field: str, value: Any):
        events, head_seq, head_hash = chain(5)
        events[2] = replace(events[2], **{field: value})
        found = verify_chain(events, head_seq, head_hash)
        assert found == ChainBreak(3, events[2].id, "contents do not match the recorded hash")

    def test_an_altered_row_rehashed_breaks_the_link_to_the_next(self):
        events, head_seq, head_hash = chain(5)
        events[2] = rehash(replace(events[2], action="memo.voided"), events[1].hash or "")
        assert verify_chain(events, head_seq, head_hash) == ChainBreak(
            4, "evt_004", "prev_hash does not match the previous event"
        )

    def test_every_row_rehashed_from_the_altered_one_on_is_caught_by_the_head(self):
        events, head_seq, head_hash = chain(5)
        events[2] = replace(events[2], action="memo.voided")
        for i in range(2, 5):
            events[i] = rehash(events[i], events[i - 1].hash or "")
        found = verify_chain(events, head_seq, head_hash)
        assert found is not None
        assert (found.seq, found.event_id) == (6, None)

    def test_a_changed_hash_or_prev_hash_is_found_at_that_event(self):
        events, head_seq, head_hash = chain(4)
        assert verify_chain([*events[:1], replace(events[1], hash="0" * 64), *events[2:]], head_seq, head_hash) == (
            ChainBreak(2, "evt_002", "contents do not match the recorded hash")
        )
        assert verify_chain(
            [*events[:1], replace(events[1], prev_hash="1" * 64), *events[2:]], head_seq, head_hash
        ) == (ChainBreak(2, "evt_002", "prev_hash does not match the previous event"))

    def test_a_deleted_row_is_named_by_its_missing_seq(self):
        events, head_seq, head_hash = chain(5)
        assert verify_chain([*events[:2], *events[3:]], head_seq, head_hash) == ChainBreak(
            3, "evt_004", "expected event #3, found #4"
        )

    def test_a_deleted_first_row(self):
        events, head_seq, head_hash = chain(3)
        found = verify_chain(events[1:], head_seq, head_hash)
        assert found is not None
        assert (found.seq, found.event_id) == (1, "evt_002")

    def test_a_cut_off_tail_is_caught_by_the_head(self):
        events, head_seq, head_hash = chain(5)
        assert verify_chain(events[:4], head_seq, head_hash) == ChainBreak(
            5, None, "chain ends at #4 but the head says #5"
        )

    def test_an_inserted_copy_is_named_where_it_sits(self):
        events, head_seq, head_hash = chain(5)
        found = verify_chain([*events[:3], events[2], *events[3:]], head_seq, head_hash)
        assert found == ChainBreak(4, "evt_003", "expected event #4, found #3")

    def test_an_inserted_well_forged_row_with_the_rest_renumbered(self):
        """The forger gives the new row a correct seq, prev_hash and hash and shifts the later rows' seq: the
        next original row no longer links to its predecessor."""
        events, head_seq, head_hash = chain(5)
        forged = rehash(replace(raw(99), seq=3), events[1].hash or "")
        shifted = [replace(e, seq=(e.seq or 0) + 1) for e in events[2:]]
        found = verify_chain([*events[:2], forged, *shifted], head_seq + 1, head_hash)
        assert found == ChainBreak(4, "evt_003", "prev_hash does not match the previous event")

    def test_an_unsealed_event_inside_the_chain(self):
        events, head_seq, head_hash = chain(3)
        found = verify_chain([events[0], raw(50), *events[1:]], head_seq, head_hash)
        assert found == ChainBreak(2, "evt_050", "an unsealed event inside the chain")

    def test_two_rows_swapped(self):
        events, head_seq, head_hash = chain(5)
        events[1], events[3] = events[3], events[1]
        assert verify_chain(events, head_seq, head_hash) == ChainBreak(2, "evt_004", "expected event #2, found #4")

    def test_two_rows_swapped_keeping_the_seq_order(self):
        """Contents swapped between two places (each row given the other's seq and links)."""
        events, head_seq, head_hash = chain(5)
        a, b = events[1], events[3]
        events[1] = replace(b, seq=a.seq, prev_hash=a.prev_hash, hash=a.hash)
        events[3] = replace(a, seq=b.seq, prev_hash=b.prev_hash, hash=b.hash)
        assert verify_chain(events, head_seq, head_hash) == ChainBreak(
            2, "evt_004", "contents do not match the recorded hash"
        )

    def test_a_row_appended_behind_the_applications_back(self):
        events, head_seq, head_hash = chain(3)
        extra = sealed([raw(4)], head_seq, head_hash)
        assert verify_chain([*events, *extra], head_seq, head_hash) == ChainBreak(
            4, "evt_004", "event #4 is beyond the chain head #3"
        )

    def test_a_head_that_does_not_match_the_last_hash(self):
        events, head_seq, _ = chain(3)
        found = verify_chain(events, head_seq, "e" * 64)
        assert found is not None
        assert (found.seq, found.event_id) == (4, None)


# verify_chain: properties -------------------------------------------------------------------
TEXT = st.text(alphabet='ab "\\é€\u2028\U0001f600', max_size=12)  # quotes, escapes, non-ASCII: JSON's edges
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), TEXT, st.decimals(allow_nan=False, allow_infinity=False, places=2)
)


@st.composite
def chains(draw: st.DrawFn, min_size: int = 1) -> list[AuditEvent]:
    n = draw(st.integers(min_value=min_size, max_value=10))
    events = [
        replace(
            raw(i, action=draw(st.sampled_from(["memo.created", "memo.posted", "payment.applied"]))),
            actor_label=draw(st.one_of(st.none(), TEXT)),
            changes=draw(st.dictionaries(st.text(alphabet="abé", min_size=1, max_size=6), VALUES, max_size=4)),
        )
        for i in range(1, n + 1)
    ]
    return sealed(events)


def head(events: list[AuditEvent]) -> tuple[int, str]:
    return len(events), events[-1].hash or ""


class TestVerifyProperties:
    @LOADED
    @given(chains(min_size=0))
    def test_every_sealed_chain_verifies(self, events: list[AuditEvent]):
        assert verify_chain(events, len(events), (events[-1].hash or "") if events else GENESIS) is None

    @LOADED
    @given(chains(), st.data())
    def test_any_altered_event_is_named(self, events: list[AuditEvent], data: st.DataObject):
        k = data.draw(st.integers(0, len(events) - 1))
        before = events[k]
        altered = data.draw(
            st.sampled_from(
                [
                    replace(before, action=before.action + "x"),
                    replace(before, changes={**before.changes, "forged": "1"}),
                    replace(before, actor_label=(before.actor_label or "") + "x"),
                    replace(before, occurred_at=before.occurred_at + timedelta(microseconds=1)),
                    replace(before, entity_id=before.entity_id + "x"),
                ]
            )
        )
        found = verify_chain([*events[:k], altered, *events[k + 1 :]], *head(events))
        assert found is not None
        assert (found.seq, found.event_id) == (k + 1, before.id)

    @LOADED
    @given(chains(), st.data())
    def test_any_deleted_event_is_named_by_its_seq(self, events: list[AuditEvent], data: st.DataObject):
        k = data.draw(st.integers(0, len(events) - 1))
        found = verify_chain([*events[:k], *events[k + 1 :]], *head(events))
        assert found is not None
        assert found.seq == k + 1

    @LOADED
    @given(chains(), st.data())
    def test_any_inserted_copy_is_named_where_it_sits(self, events: list[AuditEvent], data: st.DataObject):
        k = data.draw(st.integers(0, len(events)))
        tampered = [*events[:k], data.draw(st.sampled_from(events)), *events[k:]]
        found = verify_chain(tampered, *head(events))
        assert found is not None
        first_wrong = next(i for i, (a, b) in enumerate(zip(tampered, [*events, None], strict=True)) if a != b)
        assert found.seq == first_wrong + 1

    @LOADED
    @given(chains(), st.data())
    def test_a_well_forged_insert_is_exposed_by_the_row_after_it(self, events: list[AuditEvent], data: st.DataObject):
        """A new row sealed as if it came next (right seq, prev_hash and hash): the next row no longer fits
        after it; put at the end, it lies beyond the head."""
        k = data.draw(st.integers(0, len(events)))
        forged = sealed([raw(500)], k, events[k - 1].hash or "" if k else GENESIS)[0]
        found = verify_chain([*events[:k], forged, *events[k:]], *head(events))
        assert found is not None
        assert found.seq == (k + 2 if k < len(events) else k + 1)

    @LOADED
    @given(chains(min_size=2), st.data())
    def test_any_reordering_is_named_at_the_first_moved_event(self, events: list[AuditEvent], data: st.DataObject):
        order = data.draw(st.permutations(range(len(events))))
        assume(list(order) != sorted(order))
        found = verify_chain([events[i] for i in order], *head(events))
        assert found is not None
        assert found.seq == next(i for i, j in enumerate(order) if i != j) + 1
