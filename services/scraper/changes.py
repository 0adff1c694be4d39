"""What changed in a listing since its source last showed it, as `prospect.new` tells it.

A listing is compared with the one stored before it, on the two facts a buyer watches:
its price (a drop or an increase, with the old and new price) and its status (a change
from one status to another; a sold, off-market or pending home offered for sale again
is "back on market"). A fact unknown on either side changes nothing: the platform never
guesses the missing value.
"""

from __future__ import annotations

from typing import Any

from shared.listing import Listing, ListingChange, listing_from_payload

NO_LONGER_AVAILABLE = frozenset({"sold", "off_market", "pending"})


def listing_changes(previous: Listing, current: Listing) -> list[ListingChange]:
    """The price and status changes from `previous` to `current`, price first."""
    changes = []
    old_price, new_price = previous.price, current.price
    if old_price is not None and new_price is not None and old_price != new_price:
        kind = "price_drop" if new_price < old_price else "price_increase"
        changes.append(ListingChange(kind=kind, field="price", old=old_price, new=new_price))
    if previous.status != current.status:
        back = previous.status in NO_LONGER_AVAILABLE and current.status == "for_sale"
        changes.append(
            ListingChange(
                kind="back_on_market" if back else "status_change",
                field="status",
                old=previous.status,
                new=current.status,
            )
        )
    return changes


def changes_since(previous_payload: dict[str, Any] | None, current: Listing) -> list[ListingChange]:
    """`listing_changes` against a stored payload (any version `prospect_queue` holds);
    none when there was no earlier listing or it can no longer be read."""
    if previous_payload is None:
        return []
    try:
        previous = listing_from_payload(
            previous_payload, current.source, current.source_id, current.url
        )
    except ValueError:
        return []
    return listing_changes(previous, current)
