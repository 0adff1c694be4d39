"""Sales files of two markets read through their column mappings."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from services.scorer.sales import AMES, KING_COUNTY, SalesFileError, read_sales

KC_HEADER = (
    "id,date,price,bedrooms,bathrooms,sqft_living,sqft_lot,floors,waterfront,view,condition,"
    "grade,sqft_above,sqft_basement,yr_built,yr_renovated,zipcode,lat,long,sqft_living15,"
    "sqft_lot15"
)
KC_ROWS = [
    '"1000000001","20141105T000000",412500,3,2.25,1830,6120,"2",0,1,4,8,1830,0,1978,0,'
    '"98052",47.6801,-122.1123,1790,6000',
    '"1000000002","20140612T000000",655000,4,2.5,2410,9800,"1",1,4,3,9,1600,810,1962,2004,'
    '"98040",47.5712,-122.2231,2600,10400',
    '"1000000003","20140701T000000",0,2,1,900,4000,"1",0,0,3,6,900,0,1940,0,"98118",47.54,'
    "-122.28,1000,4000",
]
AMES_HEADER = (
    "Order,PID,MS SubClass,Lot Area,Neighborhood,Bldg Type,House Style,Overall Qual,"
    "Overall Cond,Year Built,Year Remod/Add,Gr Liv Area,Full Bath,Half Bath,Bsmt Full Bath,"
    "Bsmt Half Bath,Bedroom AbvGr,Mo Sold,Yr Sold,Sale Type,SalePrice"
)
AMES_ROWS = [
    "1,0911100040,020,9600,NridgHt,1Fam,1Story,8,5,2003,2003,1642,2,0,1,NA,3,7,2008,WD ,231000",
    "2,0911100050,060,NA,OldTown,TwnhsE,2Story,5,7,1925,1995,1320,1,1,0,0,3,12,2009,WD ,118500",
]


def write(tmp_path: Path, header: str, rows: list[str]) -> Path:
    path = tmp_path / "sales.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_king_county_rows_become_sales_oldest_first(tmp_path: Path) -> None:
    sales = read_sales(write(tmp_path, KC_HEADER, KC_ROWS), KING_COUNTY)

    assert [sale.sale_date for sale in sales] == [date(2014, 6, 12), date(2014, 11, 5)]
    renovated = sales[0]
    assert renovated.price == 655000
    assert renovated.home.zip_code == "98040"
    assert renovated.home.year_renovated == 2004
    assert renovated.home.waterfront is True
    assert renovated.home.latitude == pytest.approx(47.5712)
    assert renovated.home.neighbours_sqft == 2600
    assert renovated.home.neighbours_lot_sqft == 10400
    assert sales[1].home.year_renovated is None
    assert sales[1].home.parcel_id == "1000000001"
    assert sales[1].price_per_sqft == pytest.approx(412500 / 1830)


def test_a_row_without_a_price_is_not_a_sale(tmp_path: Path) -> None:
    sales = read_sales(write(tmp_path, KC_HEADER, KC_ROWS), KING_COUNTY)

    assert "1000000003" not in {sale.home.parcel_id for sale in sales}


def test_ames_rows_have_no_coordinates_and_a_mid_month_date(tmp_path: Path) -> None:
    sales = read_sales(write(tmp_path, AMES_HEADER, AMES_ROWS), AMES)

    new, old = sales
    assert new.sale_date == date(2008, 7, 15)
    assert new.home.latitude is None and new.home.zip_code is None
    assert new.home.neighbours_sqft is None
    assert new.home.area == "NridgHt"
    assert new.home.bathrooms == 3.0
    assert new.home.year_renovated is None
    assert new.home.grade == 8 and new.home.condition == 5
    assert old.home.lot_sqft is None
    assert old.home.property_type == "townhouse"
    assert old.home.year_renovated == 1995
    assert old.home.stories == 2.0


def test_a_file_read_with_the_wrong_mapping_names_the_missing_columns(tmp_path: Path) -> None:
    with pytest.raises(SalesFileError, match="SalePrice"):
        read_sales(write(tmp_path, KC_HEADER, KC_ROWS), AMES)
