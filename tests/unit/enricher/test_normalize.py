"""Address parsing on real-world shapes: what analysts see in listings and county feeds."""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.enricher.normalize import (
    AddressError,
    clean,
    normalize_address,
    normalize_state,
    normalize_street,
    normalize_zip,
    parse_street,
)

SHAPES = [
    ("123 north Main Street", "123 N MAIN ST", None, "street"),
    ("123 N. Main St.", "123 N MAIN ST", None, "street"),
    ("4500 Fauntleroy Way Southwest", "4500 FAUNTLEROY WAY SW", None, "street"),
    ("77 Pine Avenue, Apartment 4B", "77 PINE AVE", "4B", "street"),
    ("77 Pine Ave #4b", "77 PINE AVE", "4B", "street"),
    ("9 Lakeview Boulevard Suite 200", "9 LAKEVIEW BLVD", "200", "street"),
    ("12 Court Street", "12 COURT ST", None, "street"),
    ("123 1/2 N Main St Apt 4", "123 1/2 N MAIN ST", "4", "street"),
    ("42-23 Parsons Blvd #7C", "42-23 PARSONS BLVD", "7C", "street"),
    ("500 W 42nd St PH 3", "500 W 42ND ST", "3", "street"),
    ("10 Main St Bldg A Apt 3", "10 MAIN ST", "A-3", "street"),
    ("123 Main St Unit B-2", "123 MAIN ST", "B-2", "street"),
    ("1 Avenue of the Americas", "1 AVE OF THE AMERICAS", None, "street"),
    ("100 Highway 101", "100 HWY 101", None, "street"),
    ("W156N8480 Pilgrim Rd", "W156N8480 PILGRIM RD", None, "street"),
    ("PO Box 123", "PO BOX 123", None, "po_box"),
    ("P.O. Box 55", "PO BOX 55", None, "po_box"),
    ("RR 2 Box 152", "RR 2 BOX 152", None, "rural_route"),
    ("Rural Route 3 Box 10", "RR 3 BOX 10", None, "rural_route"),
    ("HC 64 Box 12", "HC 64 BOX 12", None, "rural_route"),
]

NUMBERS = ["8", "123", "4500", "12 1/2", "42-23", "10120"]
PRE = ["", "N", "South", "NE", "West"]
NAMES = ["Main", "Maple", "Martin Luther King Jr", "Fauntleroy", "42nd", "Elm"]
SUFFIXES = {
    "Street": "ST", "St": "ST", "Avenue": "AVE", "Ave": "AVE", "Boulevard": "BLVD",
    "Drive": "DR", "Lane": "LN", "Court": "CT", "Place": "PL", "Road": "RD", "Way": "WAY",
    "Terrace": "TER", "Parkway": "PKWY", "Circle": "CIR",
}  # fmt: skip
UNITS = {"": None, "Apt 4": "4", "#12B": "12B", "Unit 3": "3", "Suite 210": "210"}
DIRECTIONS = {"": "", "N": "N", "South": "S", "NE": "NE", "West": "W"}


def generated_shapes() -> list[tuple[str, str, str | None]]:
    """A few hundred street lines built from the parts listings combine."""
    shapes = []
    combos = itertools.product(NUMBERS, PRE, NAMES, list(SUFFIXES), list(UNITS))
    for index, (number, pre, name, suffix, unit) in enumerate(combos):
        if index % 23:
            continue
        raw = " ".join(part for part in (number, pre, name, suffix, unit) if part)
        street = " ".join(
            part for part in (number, DIRECTIONS[pre], name.upper(), SUFFIXES[suffix]) if part
        )
        shapes.append((raw, street, UNITS[unit]))
    return shapes


GENERATED = generated_shapes()


@pytest.mark.parametrize(("raw", "street", "unit", "kind"), SHAPES)
def test_street_lines_are_written_the_usps_way(
    raw: str, street: str, unit: str | None, kind: str
) -> None:
    parsed = parse_street(raw)
    assert (parsed.street, parsed.unit, parsed.kind) == (street, unit, kind)


def test_a_few_hundred_generated_shapes_parse_to_their_parts() -> None:
    assert len(GENERATED) >= 300
    wrong = [
        (raw, normalize_street(raw), (street, unit))
        for raw, street, unit in GENERATED
        if normalize_street(raw) != (street, unit)
    ]
    assert len(wrong) <= len(GENERATED) // 50, wrong[:10]


def test_an_unreadable_line_is_kept_and_flagged() -> None:
    parsed = parse_street("Lot 7 Whispering Pines")
    assert (parsed.street, parsed.kind) == ("LOT 7 WHISPERING PINES", "unparsed")


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


address_like = st.builds(
    lambda *parts: " ".join(part for part in parts if part),
    st.sampled_from([*NUMBERS, "", "PO Box 9", "RR 4 Box 2"]),
    st.sampled_from(PRE),
    st.sampled_from([*NAMES, "Lot 7", "Whispering Pines"]),
    st.sampled_from([*SUFFIXES, ""]),
    st.sampled_from(list(UNITS)),
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(address_like, st.text(max_size=60)))
def test_normalisation_never_crashes_and_is_idempotent(text: str) -> None:
    try:
        first = parse_street(text)
    except AddressError:
        return
    line = f"{first.street} {first.unit_label}" if first.unit_label else first.street
    again = parse_street(line)
    assert (again.street, again.unit, again.kind) == (first.street, first.unit, first.kind)


def test_a_lone_dash_between_any_whitespace_is_dropped_so_cleaning_is_idempotent() -> None:
    for text in ("0\r-:0", "A - - B", "12 Main St\t-\nApt 4"):
        assert clean(clean(text)) == clean(text)
    assert clean("12-14 Main St - Apt 4") == "12-14 MAIN ST APT 4"
