"""An invented market for the AVM's unit tests: prices follow location, size, quality,
age and a rising trend, with 6 % noise, so a good model has something to find."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np

from services.scorer.sales import Home, Sale

START = date(2020, 1, 1)
ORIGIN = (47.5, -122.2)


def synthetic_sales(count: int = 3000, days: int = 300, seed: int = 1) -> list[Sale]:
    """`count` sales over `days` days in a 20 x 20 km market of 16 ZIP codes, oldest first."""
    random = np.random.default_rng(seed)
    sales = []
    for parcel in range(count):
        north, east = random.uniform(0, 20, 2)
        sqft = float(round(random.lognormal(math.log(1900), 0.35)))
        grade = float(random.integers(5, 11))
        year_built = int(random.integers(1920, 2015))
        day = int(random.integers(0, days))
        location_ppsf = 250 + 120 * math.sin(north / 5) + 80 * math.cos(east / 4)
        price = (
            location_ppsf
            * sqft**0.9
            * 1900**0.1
            * (1 + 0.08 * (grade - 7))
            * (1 - 0.001 * (2020 - year_built))
            * (1 + 0.0003 * day)
            * math.exp(random.normal(0, 0.06))
        )
        home = Home(
            sqft=sqft,
            lot_sqft=float(round(random.lognormal(math.log(7000), 0.5))),
            bedrooms=float(max(1, round(sqft / 600))),
            bathrooms=float(max(1.0, round(sqft / 900 * 2) / 2)),
            year_built=year_built,
            stories=float(random.choice([1.0, 2.0])),
            latitude=ORIGIN[0] + north / 111.2,
            longitude=ORIGIN[1] + east / 75.1,
            zip_code=f"98{int(north // 5) * 4 + int(east // 5):03d}",
            condition=3.0,
            grade=grade,
            parcel_id=f"P{parcel:05d}",
            neighbours_sqft=float(round(sqft * random.lognormal(0, 0.2))),
            neighbours_lot_sqft=float(round(random.lognormal(math.log(7000), 0.3))),
        )
        sales.append(Sale(home, float(round(price, -2)), START + timedelta(days=day)))
    return sorted(sales, key=lambda sale: sale.sale_date)
