"""What a listing seen again tells its followers: a price drop or rise, a status change,
back on market; nothing when neither moved or a side does not know."""

from __future__ import annotations

from typing import Any

import pytest

from services.scraper.changes import changes_since, listing_changes
from shared.listing import Listing, ListingChange


def listing(**facts: Any) -> Listing:
    return Listing(source="demo", source_id="D-1", street="1 Main St", **facts)


def test_lower_price_is_a_price_drop_with_old_and_new_price() -> None:
    changes = listing_changes(
        listing(status="for_sale", price=500_000), listing(status="for_sale", price=475_000)
    )

    assert changes == [ListingChange(kind="price_drop", field="price", old=500_000, new=475_000)]


def test_higher_price_is_a_price_increase() -> None:
    changes = listing_changes(
        listing(status="for_sale", price=500_000), listing(status="for_sale", price=510_000)
    )

    assert [change.kind for change in changes] == ["price_increase"]


def test_status_moving_on_is_a_status_change_from_old_to_new() -> None:
    changes = listing_changes(
        listing(status="for_sale", price=500_000), listing(status="pending", price=500_000)
    )

    assert changes == [
        ListingChange(kind="status_change", field="status", old="for_sale", new="pending")
    ]


@pytest.mark.parametrize("gone", ["sold", "off_market", "pending"])
def test_home_offered_for_sale_again_is_back_on_market(gone: str) -> None:
    changes = listing_changes(
        listing(status=gone, price=500_000), listing(status="for_sale", price=500_000)
    )

    assert changes == [
        ListingChange(kind="back_on_market", field="status", old=gone, new="for_sale")
    ]


def test_price_and_status_changing_together_are_both_told_price_first() -> None:
    changes = listing_changes(
        listing(status="off_market", price=500_000), listing(status="for_sale", price=450_000)
    )

    assert [change.kind for change in changes] == ["price_drop", "back_on_market"]


def test_unknown_price_on_either_side_changes_nothing() -> None:
    assert listing_changes(listing(status="for_sale"), listing(status="for_sale", price=1)) == []
    assert listing_changes(listing(status="for_sale", price=1), listing(status="for_sale")) == []


def test_other_facts_changing_are_no_price_or_status_change() -> None:
    before = listing(status="for_sale", price=500_000, description="Sunny")
    after = listing(status="for_sale", price=500_000, description="Sunny, new roof")

    assert listing_changes(before, after) == []


def test_changes_are_read_against_the_stored_payload_of_either_version() -> None:
    current = listing(status="for_sale", price=480_000)
    stored_now = listing(status="for_sale", price=500_000).model_dump(mode="json")
    stored_by_the_first_scraper = {
        "address": "1 Main St",
        "price": 500_000,
        "listing_type": "for_sale",
    }

    assert [change.kind for change in changes_since(stored_now, current)] == ["price_drop"]
    assert [change.kind for change in changes_since(stored_by_the_first_scraper, current)] == [
        "price_drop"
    ]


def test_first_sighting_or_unreadable_payload_has_no_changes() -> None:
    current = listing(status="for_sale", price=480_000)

    assert changes_since(None, current) == []
    assert changes_since({"source": "demo", "status": "no-such-status"}, current) == []
