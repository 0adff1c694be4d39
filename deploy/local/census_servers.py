"""Local stand-ins for the Census Geocoder and the ACS 5-year API, for the demo, the tests
and the benchmark: `make up` runs them beside the services and points the enricher at them.

They answer in the real APIs' formats (see `services/enricher/census.py`) with invented,
deterministic values: an address is placed near its ZIP code's centroid (from `uszips.csv`
in the data folder when it is there) at an offset derived from its street, in one of 400
invented tracts of the ZIP's county (King County has about 500); a ZCTA's or a tract's
figures are derived from its code (some tracts' median home value is suppressed,
`-666666666`, as the Census does for small samples). An address whose street contains
`NOWHERE`, or whose ZIP is unknown, has no match. `delay_seconds` and `fail_status` make
every answer slow or failing, to exercise the clients' fallbacks; `requests` lists what
was asked (method, path and query) and `addresses` every address the geocoder was asked
to place, one by one or in a batch.

    python -m deploy.local.census_servers --port 9185   (geocoder at /geocoder, ACS at /data)
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from shared.settings import Settings

ACS_COLUMNS = (
    "B19013_001E", "B25077_001E", "B25064_001E", "B01003_001E",
    "B25002_001E", "B25002_003E", "B25003_001E", "B25003_002E",
)  # fmt: skip


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def load_zip_places(data_dir: Path) -> dict[str, tuple[float, float, str]]:
    """ZIP → (lat, lon, county FIPS) from `uszips.csv`; empty when the file is absent."""
    path = data_dir / "uszips.csv"
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as handle:
        return {
            row["zip"]: (float(row["lat"]), float(row["lng"]), row["county_fips"].zfill(5))
            for row in csv.DictReader(handle)
            if row["lat"] and row["lng"]
        }


class CensusState:
    """What the fake servers know and how they misbehave; shared by the handler threads."""

    def __init__(self, places: dict[str, tuple[float, float, str]]) -> None:
        self.places = places
        self.counties = {county for _, _, county in places.values()}
        self.delay_seconds = 0.0
        self.fail_status: int | None = None
        self.requests: list[str] = []
        self.addresses: list[str] = []
        self.lock = threading.Lock()

    def place(self, street: str, zip_code: str) -> dict[str, Any] | None:
        with self.lock:
            self.addresses.append(f"{street}|{zip_code}")
        found = self.places.get(zip_code)
        if found is None or "NOWHERE" in street.upper():
            return None
        latitude, longitude, county = found
        digest = _digest(f"{street.upper()}|{zip_code}")
        return {
            "latitude": round(latitude + ((digest % 2001) - 1000) / 100_000, 6),
            "longitude": round(longitude + (((digest >> 16) % 2001) - 1000) / 100_000, 6),
            "state": county[:2],
            "county": county[2:],
            "tract": f"{(digest >> 32) % 400 + 1:04d}00",
            "block": f"{(digest >> 8) % 4000 + 1000}",
            "tiger_line_id": str((digest >> 4) % 900_000_000 + 100_000_000),
        }

    def acs_row(self, code: str, name: str, suppress_home_value: bool = False) -> list[str]:
        """NAME and the `ACS_COLUMNS` of a ZCTA or tract, derived from its code."""
        digest = _digest(code)
        housing = 2_000 + digest % 20_000
        vacant = housing * (2 + digest % 12) // 100
        occupied = housing - vacant
        home_value = "-666666666" if suppress_home_value else str(150_000 + (digest >> 8) % 900_000)
        return [
            name,
            str(35_000 + digest % 120_000),
            home_value,
            str(800 + (digest >> 16) % 2_200),
            str(housing * 2 + (digest >> 24) % 500),
            str(housing),
            str(vacant),
            str(occupied),
            str(occupied * (30 + (digest >> 32) % 60) // 100),
        ]

    def zcta_rows(self, codes: list[str]) -> list[tuple[list[str], list[str]]]:
        """(NAME and figures, geography columns) of each known ZCTA."""
        return [
            (self.acs_row(zcta, f"ZCTA5 {zcta}"), [zcta]) for zcta in codes if zcta in self.places
        ]

    def tract_rows(
        self, state: str, county: str, tracts: list[str]
    ) -> list[tuple[list[str], list[str]]]:
        """(NAME and figures, geography columns) of each tract of a county the ZIP file
        knows; every seventh tract's median home value is suppressed."""
        if state + county not in self.counties:
            return []
        return [
            (
                self.acs_row(
                    state + county + tract,
                    f"Census Tract {int(tract) / 100:g}; Invented County; State {state}",
                    suppress_home_value=_digest(state + county + tract) % 7 == 0,
                ),
                [state, county, tract],
            )
            for tract in tracts
            if len(tract) == 6 and tract.isdigit()
        ]


class CensusHost(ThreadingHTTPServer):
    """A thread per connection, and a listen backlog for a client's concurrent requests (the
    default of 5 drops connections, which the client's system retries a second later)."""

    request_queue_size = 256


class CensusHandler(BaseHTTPRequestHandler):
    """Keep-alive connections, as the real APIs allow: every answer has a length, and is
    sent at once (headers and body are two writes: Nagle would hold the second)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    state: CensusState

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _misbehave(self) -> bool:
        with self.state.lock:
            self.state.requests.append(f"{self.command} {self.path}")
        if self.state.delay_seconds:
            time.sleep(self.state.delay_seconds)
        if self.state.fail_status:
            self._answer(self.state.fail_status, b"Service Unavailable", "text/plain")
            return True
        return False

    def do_GET(self) -> None:
        if urlsplit(self.path).path == "/healthz":
            self._answer(200, b"ok", "text/plain")
            return
        if self._misbehave():
            return
        url = urlsplit(self.path)
        queries = parse_qs(url.query)
        query = {name: values[0] for name, values in queries.items()}
        if url.path == "/geocoder/geographies/onelineaddress":
            self._answer(200, json.dumps(self._single(query)).encode(), "application/json")
        elif url.path.startswith("/data/") and url.path.endswith("/acs/acs5"):
            self._acs(query, " ".join(queries.get("in", [])))
        else:
            self._answer(404, b"Not Found", "text/plain")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self._misbehave():
            return
        if urlsplit(self.path).path != "/geocoder/geographies/addressbatch":
            self._answer(404, b"Not Found", "text/plain")
            return
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode() + body
        )
        uploads = {
            part.get_param("name", header="content-disposition"): part
            for part in message.iter_parts()
        }
        upload = uploads.get("addressFile")
        if upload is None:
            self._answer(400, b"addressFile is required", "text/plain")
            return
        text = upload.get_payload(decode=True).decode()
        out = io.StringIO()
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
        for row in csv.reader(io.StringIO(text)):
            ident, street, city, state, zip_code = [*row, "", "", "", ""][:5]
            line = f"{street}, {city}, {state}, {zip_code}"
            found = self.state.place(street, zip_code)
            if found is None:
                writer.writerow([ident, line, "No_Match"])
                continue
            writer.writerow(
                [ident, line, "Match", "Exact", line.upper(),
                 f"{found['longitude']},{found['latitude']}", found["tiger_line_id"], "L",
                 found["state"], found["county"], found["tract"], found["block"]]
            )  # fmt: skip
        self._answer(200, out.getvalue().encode(), "text/csv")

    def _single(self, query: dict[str, str]) -> dict[str, Any]:
        address = query.get("address", "")
        street, _, rest = address.partition(",")
        zip_code = rest.strip().split(" ")[-1] if rest.strip() else ""
        found = self.state.place(street.strip(), zip_code)
        matches = []
        if found:
            county = found["state"] + found["county"]
            matches.append(
                {
                    "matchedAddress": address.upper(),
                    "coordinates": {"x": found["longitude"], "y": found["latitude"]},
                    "tigerLine": {"tigerLineId": found["tiger_line_id"], "side": "L"},
                    "addressComponents": {"zip": zip_code},
                    "geographies": {
                        "Census Tracts": [
                            {"GEOID": county + found["tract"], "STATE": found["state"],
                             "COUNTY": found["county"], "TRACT": found["tract"],
                             "NAME": f"Census Tract {int(found['tract']) / 100:g}"}
                        ],
                        "Counties": [
                            {"GEOID": county, "STATE": found["state"],
                             "COUNTY": found["county"], "NAME": "Invented County"}
                        ],
                    },
                }
            )  # fmt: skip
        return {
            "result": {
                "input": {
                    "address": {"address": address},
                    "benchmark": {"benchmarkName": query.get("benchmark", "Public_AR_Current")},
                },
                "addressMatches": matches,
            }
        }

    def _acs(self, query: dict[str, str], within: str) -> None:
        """`for=zip code tabulation area:<codes>`, or `for=tract:<codes>` with
        `in=state:<ss>` and `in=county:<ccc>` (repeated, or space-separated in one)."""
        geography, _, codes = query.get("for", "").partition(":")
        parents = dict(part.partition(":")[::2] for part in within.split())
        if geography == "zip code tabulation area":
            columns = [geography]
            found = self.state.zcta_rows(codes.split(","))
        elif geography == "tract" and {"state", "county"} <= parents.keys():
            columns = ["state", "county", "tract"]
            found = self.state.tract_rows(parents["state"], parents["county"], codes.split(","))
        else:
            self._answer(400, b"error: unknown/unsupported geography hierarchy", "text/plain")
            return
        wanted = query.get("get", "").split(",")
        rows = []
        for figures, geography_columns in found:
            by_name = dict(zip(["NAME", *ACS_COLUMNS], figures, strict=True))
            rows.append([by_name.get(name, "-666666666") for name in wanted] + geography_columns)
        if not rows:
            self._answer(204, b"", "application/json")
            return
        self._answer(200, json.dumps([wanted + columns, *rows]).encode(), "application/json")


@contextmanager
def census_server(data_dir: Path | None = None, port: int = 0) -> Iterator[tuple[str, CensusState]]:
    """A running fake Census host in a thread: yields its base URL and its state."""
    state = CensusState(load_zip_places(data_dir or Settings().data_dir))
    handler = type("Handler", (CensusHandler,), {"state": state})
    server = CensusHost(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()


def census_env(base_url: str) -> dict[str, str]:
    """The settings that point the enricher's clients at a fake Census host."""
    return {
        "REOS_CENSUS_GEOCODER_ENABLED": "true",
        "REOS_CENSUS_GEOCODER_URL": f"{base_url}/geocoder",
        "REOS_CENSUS_ACS_ENABLED": "true",
        "REOS_CENSUS_ACS_URL": f"{base_url}/data",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=9185)
    args = parser.parse_args()
    with census_server(port=args.port) as (base_url, _):
        print(json.dumps(census_env(base_url)), flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
