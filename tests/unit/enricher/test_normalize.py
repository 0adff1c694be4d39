import pytest

from services.enricher.normalize import (
    AddressError,
    normalize_address,
    normalize_state,
    normalize_street,
    normalize_zip,
)


@pytest.mark.parametrize(
    ("raw", "street", "unit"),
    [
        ("123 north Main Street", "123 N MAIN ST", None),
        ("123 N. Main St.", "123 N MAIN ST", None),
        ("4500 Fauntleroy Way Southwest", "4500 FAUNTLEROY WAY SW", None),
        ("77 Pine Avenue, Apartment 4B", "77 PINE AVE", "4B"),
        ("77 Pine Ave #4b", "77 PINE AVE", "4B"),
        ("9 Lakeview Boulevard Suite 200", "9 LAKEVIEW BLVD", "200"),
        ("12 Court Street", "12 COURT ST", None),
    ],
)
def test_street_lines_are_written_the_usps_way(raw: str, street: str, unit: str | None) -> None:
    assert normalize_street(raw) == (street, unit)


def test_the_same_home_written_two_ways_has_one_key() -> None:
    one = normalize_address("77 Pine Avenue, Apartment 4B", "seattle", "Washington", "98101-1234")
    two = normalize_address("77 PINE AVE #4B", "Seattle", "WA", "98101")
    assert one.key == two.key == "77 PINE AVE|4B|98101"


def test_different_units_of_one_building_have_different_keys() -> None:
    assert (
        normalize_address("77 Pine Ave #1", None, "WA", "98101").key
        != normalize_address("77 Pine Ave #2", None, "WA", "98101").key
    )


def test_zip_codes_are_five_digits() -> None:
    assert normalize_zip("98101-1234") == "98101"
    assert normalize_zip(2134) == "02134"
    assert normalize_zip(None) is None
    with pytest.raises(AddressError, match="ZIP code"):
        normalize_zip("ABCDE")


def test_states_become_two_letter_codes_or_none() -> None:
    assert normalize_state("washington") == "WA"
    assert normalize_state("N.Y.") == "NY"
    assert normalize_state("Atlantis") is None


def test_an_empty_street_is_refused() -> None:
    with pytest.raises(AddressError, match="empty"):
        normalize_street(" , ")
