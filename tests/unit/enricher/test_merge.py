"""Merging a batch's listings of one home one at a time, in the order they were seen, so
that every change lands in the history."""

from datetime import UTC, datetime, timedelta

from services.enricher.merge import Observation, merge_in_turn
from shared.listing import Listing

SEEN = datetime(2026, 12, 1, 9, tzinfo=UTC)


def observation(source: str, hours: int, **facts) -> Observation:
    listing = Listing(
        source=source, source_id=f"{source}-1", street="1 Main St", status="for_sale", **facts
    )
    return Observation(listing, SEEN + timedelta(hours=hours))


def test_two_sources_prices_in_one_batch_are_two_changes_in_the_order_seen() -> None:
    feed = observation("feed:king-county", 0, sqft=1700)
    zillow = observation("zillow", 1, price=500_000.0)
    redfin = observation("redfin", 2, price=489_000.0)
    observations, merged, turns = merge_in_turn({feed.ref: feed}, [redfin, zillow])
    assert set(observations) == {feed.ref, zillow.ref, redfin.ref}
    assert merged.listing.price == 489_000.0
    assert [(turn.arrival, turn.changes.get("price")) for turn in turns] == [
        (1, (None, 500_000.0)),
        (0, (500_000.0, 489_000.0)),
    ]
    assert turns[-1].merged.provenance["price"]["source"] == "redfin"


def test_a_new_homes_first_listing_changes_nothing_and_each_later_one_is_a_turn() -> None:
    zillow = observation("zillow", 1, price=500_000.0)
    earlier = observation("zillow", 0, price=520_000.0)
    redfin = observation("redfin", 2, price=489_000.0)
    _, merged, turns = merge_in_turn({}, [zillow, redfin, earlier])
    assert merged.listing.price == 489_000.0
    assert [(turn.arrival, turn.changes) for turn in turns] == [
        (2, {}),
        (0, {"price": (520_000.0, 500_000.0)}),
        (1, {"price": (500_000.0, 489_000.0)}),
    ]


def test_a_listing_older_than_the_one_known_from_its_source_takes_no_turn() -> None:
    zillow = observation("zillow", 1, price=500_000.0)
    older = observation("zillow", 0, price=520_000.0)
    observations, merged, turns = merge_in_turn({zillow.ref: zillow}, [older])
    assert (observations, merged.listing.price, turns) == ({zillow.ref: zillow}, 500_000.0, [])
