"""Metadata rules (issue 17, domain/metadata.py): limits, merge-patch semantics, every problem named."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditmemo.domain.errors import ValidationFailedError
from creditmemo.domain.metadata import MAX_KEYS, merge_metadata, parse_metadata

keys = st.text(min_size=1, max_size=40).filter(lambda k: k.strip() != "")
values = st.text(max_size=500)
maps = st.dictionaries(keys, values, max_size=MAX_KEYS)


class TestParse:
    def test_none_is_an_empty_map(self) -> None:
        assert parse_metadata(None) == {}

    def test_every_problem_is_reported_naming_its_key(self) -> None:
        with pytest.raises(ValidationFailedError) as err:
            parse_metadata({"a": "x" * 501, "b" * 41: "v", "c": 3, "ok": "fine"})
        assert {(e.field, e.code) for e in err.value.errors} == {
            ("metadata.a", "too_long"),
            (f"metadata.{'b' * 41}", "key_too_long"),
            ("metadata.c", "invalid"),
        }

    def test_at_most_fifty_keys(self) -> None:
        assert len(parse_metadata({str(i): "v" for i in range(50)})) == 50
        with pytest.raises(ValidationFailedError) as err:
            parse_metadata({str(i): "v" for i in range(51)})
        assert [(e.field, e.code) for e in err.value.errors] == [("metadata", "too_many_keys")]

    @pytest.mark.parametrize("value", ["text", ["a"], 5])
    def test_not_a_map_is_refused(self, value: object) -> None:
        with pytest.raises(ValidationFailedError) as err:
            parse_metadata(value)
        assert err.value.field == "metadata"

    @given(maps)
    def test_any_map_within_the_limits_is_kept_as_given(self, m: dict[str, str]) -> None:
        assert parse_metadata(m) == m


class TestMerge:
    def test_null_removes_a_key_and_others_are_set(self) -> None:
        assert merge_metadata({"a": "1", "b": "2"}, {"a": None, "c": "3"}) == {"b": "2", "c": "3"}

    def test_the_result_is_held_to_the_limit(self) -> None:
        full = {str(i): "v" for i in range(50)}
        with pytest.raises(ValidationFailedError):
            merge_metadata(full, {"new": "v"})
        assert len(merge_metadata(full, {"0": None, "new": "v"})) == 50

    @given(maps, maps)
    def test_merging_a_map_over_itself_or_an_empty_patch_changes_nothing(
        self, current: dict[str, str], patch: dict[str, str]
    ) -> None:
        assert merge_metadata(current, {}) == current
        merged = {**current, **patch}
        if len(merged) <= MAX_KEYS:
            assert merge_metadata(current, patch) == merged
            assert merge_metadata(merged, patch) == merged  # idempotent
            assert merge_metadata(merged, dict.fromkeys(patch)) == {k: v for k, v in merged.items() if k not in patch}
