"""Benchmark: the gateway's read API under load on 100,000 properties and scores.

    python -m tests.bench.gateway_api [--properties 100000] [--jobs 1000000]
        [--connections 20] [--seconds 10] [--warmup 2] [--only PATH_PREFIX] [--workers N]

Fills a database of its own (`<database>_bench` on the stack's PostgreSQL server, its
schema made by the migrations, filled once and reused), starts the gateway as a process on
it (in `--workers` processes, default REOS_GATEWAY_WORKERS or one per core), and drives
every list, search and statistics endpoint with `wrk` (Debian package `wrk`) on loopback
with an API key, each after `--warmup` seconds of the same load unmeasured (a fresh
process's first requests open its pool's connections and compute its reused statistics;
a running gateway has done that long before): requests per second, latency p50/p99, and
the CPU each request cost the gateway (all its processes: what one core serves is 1000 /
that figure, and it depends far less than the others on what else runs on the machine),
PostgreSQL, `wrk` and the whole machine, with what the machine's cores could serve at that
cost (`machine_bound_rps`), the load average, and how the connections were split over the
gateway's workers (one second into the run: a worker holding most of them queues their
requests on one core while another idles).
Prints a table and writes bench-results/gateway_api.json.
Targets: list and search endpoints >= 800 req/s with p99 < 50 ms; statistics endpoints
p99 < 150 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import subprocess
import time
from typing import Any

import psutil
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from services.gateway.cli import create_key
from shared.db.tables import metadata
from shared.settings import REPO_ROOT, Settings
from tests.bench.cpu import machine_busy_seconds, process_tree_seconds, stack_seconds
from tests.services import free_port, migrate, running_services, worker_processes

LIST_PATHS = (
    "/api/enrichment/properties",
    "/api/enrichment/properties?city=Seattle",
    "/api/scoring/scores",
    "/api/scoring/scores?min_score=60&max_score=90",
    "/api/scoring/top-properties",
    "/api/scraping/jobs",
    "/api/scraping/jobs?source=zillow&status=success",
    "/api/enrichment/jobs",
    "/api/pipelines/runs/recent",
    "/api/pipelines/dags/scrape_listings/runs",
    "/api/metrics/quality",
    "/api/properties",
    "/api/properties?sort=-score",
    "/api/properties?min_score=60&city=Seattle",
    "/api/properties?min_price=300000&max_price=600000&min_beds=3",
)
STATS_PATHS = (
    "/api/pipelines/overview",
    "/api/scraping/stats/overview",
    "/api/enrichment/stats/overview",
    "/api/enrichment/stats/data-quality",
    "/api/scoring/stats/overview",
    "/api/metrics/overview",
    "/api/metrics/funnel",
    "/api/metrics/performance",
)
CITIES = ("Seattle", "Bellevue", "Redmond", "Kent", "Renton", "Kirkland", "Auburn", "Federal Way")

# Rows made server-side with generate_series: fixed statements with bound sizes only. Per
# table, in the order they depend on each other: the size its count is (None: it follows
# the rows it is made from). A table is filled when it is empty.
FILL_STATEMENTS: tuple[tuple[str, str | None, str], ...] = (
    (
        "properties",
        "properties",
        """
    INSERT INTO properties (property_key, address, city, state, zip_code, property_type,
        listing_type, bedrooms, bathrooms, sqft, lot_size, year_built, price, latitude,
        longitude, enrichment_sources, created_at, updated_at)
    SELECT 'bench:' || n, n || ' Bench St', (CAST(:cities AS text[]))[1 + n % 8], 'WA',
        (98001 + n % 199)::text, (ARRAY['single_family','condo','townhouse'])[1 + n % 3],
        'for_sale', 1 + n % 6, 1 + (n % 4) * 0.5, 600 + n % 4000, 2000 + n % 9000,
        1900 + n % 124, 150000 + (n * 7919) % 2000000, 47.3 + (n % 1000) / 2000.0,
        -122.4 + (n % 1000) / 2000.0,
        jsonb_build_array(jsonb_build_object('kind', 'listing', 'name', 'bench')),
        now() - make_interval(secs => n), now() - make_interval(secs => n)
    FROM generate_series(1, :count) AS n
    """,
    ),
    (
        "property_scores",
        None,
        """
    INSERT INTO property_scores (property_id, dag_run_id, overall_score, investment_score,
        risk_score, roi_estimate, model_version, input_hash, estimated_value, cap_rate,
        created_at, updated_at)
    SELECT p.id, 'bench', (p.id * 37) % 1001 / 10.0, (p.id * 53) % 1001 / 10.0,
        (p.id * 71) % 1001 / 10.0, (p.id % 300) / 10.0, 'bench-1', md5(p.id::text),
        p.price * 1.05, (p.id % 90) / 10.0, p.created_at, p.created_at
    FROM properties p
    """,
    ),
    (
        "enrichment_jobs",
        None,
        """
    INSERT INTO enrichment_jobs (dag_id, dag_run_id, property_id, enrichment_type, status,
        data_sources_used, fields_enriched, source_event_id, started_at, completed_at,
        created_at, updated_at)
    SELECT 'scrape_listings', 'bench__' || (p.id / 5), p.id, 'property_data',
        (ARRAY['success','success','success','failed','running'])[1 + p.id % 5],
        '["census_geocoder","census_acs"]', '["latitude","longitude","demographics"]',
        md5('enrichment' || p.id)::uuid, p.created_at, p.created_at + interval '40 ms',
        p.created_at, p.created_at
    FROM properties p
    """,
    ),
    (
        "scraping_jobs",
        "jobs",
        """
    INSERT INTO scraping_jobs (dag_id, dag_run_id, source, status, items_scraped,
        items_failed, request_event_id, started_at, completed_at, created_at, updated_at)
    SELECT 'scrape_listings', 'bench__' || (n / 50),
        (ARRAY['zillow','redfin','realtor'])[1 + n % 3],
        (ARRAY['success','success','success','failed','running'])[1 + n % 5], n % 40, n % 3,
        md5('bench' || n)::uuid, now() - make_interval(secs => n * 2),
        now() - make_interval(secs => n * 2 - 30), now() - make_interval(secs => n * 2),
        now() - make_interval(secs => n * 2)
    FROM generate_series(1, :count) AS n
    """,
    ),
    (
        "pipeline_runs",
        "jobs",
        """
    INSERT INTO pipeline_runs (dag_id, dag_run_id, execution_date, status, tasks_total,
        tasks_success, tasks_failed, duration_seconds, started_at, completed_at)
    SELECT 'scrape_listings', 'bench__' || n, now() - make_interval(secs => n * 100),
        'success', 4, 4, 0, 30.0, now() - make_interval(secs => n * 100),
        now() - make_interval(secs => n * 100 - 30)
    FROM generate_series(1, CAST(:count AS int) / 50) AS n
    """,
    ),
)


def bench_settings(settings: Settings) -> Settings:
    url = make_url(settings.database_url)
    bench_url = url.set(database=f"{url.database}_bench")
    return settings.model_copy(
        update={"database_url": bench_url.render_as_string(hide_password=False)}
    )


def prepare_database(settings: Settings, bench: Settings, properties: int, jobs: int) -> None:
    """The bench database with its rows, made once, its schema brought to the migrations'
    head at every run (the schema a deployment has, indexes included). A database of an
    earlier version of this bench, made from the metadata without migrations, is made anew."""
    admin = sa.create_engine(settings.database_url, isolation_level="AUTOCOMMIT")
    name = make_url(bench.database_url).database
    engine = sa.create_engine(bench.database_url)
    with admin.connect() as connection:
        exists = connection.scalar(
            sa.select(sa.literal(1))
            .where(sa.text("datname = :name"))
            .select_from(sa.table("pg_database", sa.column("datname"))),
            {"name": name},
        )
        if exists and not sa.inspect(engine).has_table("alembic_version"):
            engine.dispose()
            connection.execute(sa.text(f'DROP DATABASE "{name}"'))
            exists = None
        if not exists:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    migrate(bench.database_url)
    with engine.begin() as connection:
        sizes = {"properties": properties, "jobs": jobs}
        for table, size, statement in FILL_STATEMENTS:
            if connection.scalar(sa.select(sa.func.count()).select_from(metadata.tables[table])):
                continue
            parameters: dict[str, Any] = {"cities": list(CITIES)}
            if size is not None:
                parameters["count"] = sizes[size]
            connection.execute(sa.text(statement), parameters)
    # As a settled database is: statistics current, and every page marked all-visible, so
    # that a read that an index answers alone needs no visit of the table.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()


CORES = os.cpu_count() or 1


def cpu_ledger(gateway_pid: int) -> dict[str, float]:
    """CPU seconds used so far by the gateway's processes, PostgreSQL, the finished `wrk`
    runs and the whole machine."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "gateway": process_tree_seconds(gateway_pid),
        "postgresql": stack_seconds()["postgresql"],
        "wrk": children.ru_utime + children.ru_stime,
        "machine": machine_busy_seconds(),
    }


def connections_per_worker(gateway_pid: int, port: int) -> list[int]:
    """How many open connections to `port` each of the gateway's worker processes holds,
    most first."""
    serving = worker_processes(gateway_pid) or [psutil.Process(gateway_pid)]
    held = [
        sum(
            c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port
            for c in process.net_connections("tcp")
        )
        for process in serving
    ]
    return sorted(held, reverse=True)


def start_wrk(url: str, key: str, connections: int, seconds: int) -> subprocess.Popen[str]:
    """`wrk` on one URL, running."""
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-H",
        f"X-API-Key: {key}",
        url,
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def wrk(url: str, key: str, connections: int, seconds: int) -> dict[str, Any]:
    """Requests/s and latency percentiles (ms) of `wrk` on one URL."""
    return wrk_figures(start_wrk(url, key, connections, seconds))


def wrk_figures(running: subprocess.Popen[str]) -> dict[str, Any]:
    """Requests/s and latency percentiles (ms) of a `wrk` run, once it ends."""
    output, _ = running.communicate()
    if running.returncode:
        raise subprocess.CalledProcessError(running.returncode, running.args, output)
    figures: dict[str, Any] = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "requests": float(re.search(r"(\d+) requests in", output).group(1)),  # type: ignore[union-attr]
    }
    for percent in ("50", "99"):
        value, unit = re.search(rf"\s{percent}%\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
        figures[f"p{percent}_ms"] = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    figures["non_2xx"] = float(non_2xx.group(1)) if non_2xx else 0.0
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--properties", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--only", default="", help="bench only paths starting with this")
    parser.add_argument(
        "--warmup", type=int, default=2, help="seconds of unmeasured load before each endpoint"
    )
    parser.add_argument("--workers", type=int, help="gateway processes (REOS_GATEWAY_WORKERS)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print(
            "gateway bench: skipped, the load generator wrk is missing "
            "(deploy/local/system-packages.sh installs it as root: apt-get install wrk)"
        )
        return
    settings = Settings()
    workers = args.workers or settings.gateway_workers
    bench = bench_settings(settings)
    prepare_database(settings, bench, args.properties, args.jobs)
    key = asyncio.run(create_key(bench, "bench", frozenset({"read"})))
    port = free_port()
    results: dict[str, dict[str, Any]] = {}
    out = REPO_ROOT / "bench-results" / "gateway_api.json"
    out.parent.mkdir(exist_ok=True)
    with running_services(
        ["services.gateway"],
        out.parent,
        extra_env={
            "DATABASE_URL": bench.database_url,
            "REOS_DB_POOL_SIZE": "10",
            "REOS_GATEWAY_WORKERS": str(workers),
        },
        ports={"services.gateway": port},
    ) as services:
        gateway = services["gateway"]
        for path in (*LIST_PATHS, *STATS_PATHS):
            if path.startswith(args.only):
                url = f"http://127.0.0.1:{port}{path}"
                if args.warmup:
                    wrk(url, key, args.connections, args.warmup)
                before = cpu_ledger(gateway.process.pid)
                running = start_wrk(url, key, args.connections, args.seconds)
                time.sleep(1)
                split = connections_per_worker(gateway.process.pid, port)
                figures = wrk_figures(running)
                requests = max(figures["requests"], 1)
                used = {
                    part: (seconds - before[part]) * 1000 / requests
                    for part, seconds in cpu_ledger(gateway.process.pid).items()
                }
                figures["cpu_ms_per_request"] = round(used["gateway"], 3)
                figures["postgresql_cpu_ms_per_request"] = round(used["postgresql"], 3)
                figures["wrk_cpu_ms_per_request"] = round(used["wrk"], 3)
                figures["machine_cpu_ms_per_request"] = round(used["machine"], 3)
                # What the machine's cores could serve if this endpoint alone used them all.
                figures["machine_bound_rps"] = round(1000 * CORES / used["machine"], 1)
                figures["load_average_1m"] = os.getloadavg()[0]
                figures["workers"] = workers
                figures["connections_per_worker"] = split
                results[path] = figures
                print(
                    f"{path:<52} {figures['rps']:8.1f} req/s  p50 {figures['p50_ms']:7.2f} ms"
                    f"  p99 {figures['p99_ms']:7.2f} ms  cpu ms/req: gateway"
                    f" {figures['cpu_ms_per_request']:5.2f} postgresql"
                    f" {figures['postgresql_cpu_ms_per_request']:5.2f} machine"
                    f" {figures['machine_cpu_ms_per_request']:5.2f} (bound"
                    f" {figures['machine_bound_rps']:6.0f} req/s)"
                    f"  load {figures['load_average_1m']:4.1f}"
                    f"  connections {'/'.join(map(str, split))}"
                    f"  non-2xx {figures['non_2xx']:.0f}",
                    flush=True,
                )
    out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
