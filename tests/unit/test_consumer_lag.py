"""Consumer lag from end and committed offsets (shared.consumer_lag)."""

from __future__ import annotations

from aiokafka import TopicPartition

from shared.consumer_lag import partition_lag

ONE = TopicPartition("prospect.new", 0)
TWO = TopicPartition("prospect.new", 1)


def test_lag_is_the_distance_from_the_committed_offset_to_the_end() -> None:
    assert partition_lag({ONE: 120, TWO: 40}, {ONE: 100, TWO: 40}, {ONE: 0, TWO: 0}) == {
        ONE: 20,
        TWO: 0,
    }


def test_a_partition_never_committed_counts_from_its_beginning() -> None:
    assert partition_lag({ONE: 120}, {ONE: None}, {ONE: 30}) == {ONE: 90}


def test_lag_is_never_negative() -> None:
    assert partition_lag({ONE: 5}, {ONE: 9}, {ONE: 0}) == {ONE: 0}
