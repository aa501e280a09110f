"""CSV import: time and peak Python memory for a Shopify export of N rows.

    source scripts/env.sh && python -m bench.csv_import [ROWS ...]     (default: 5000 50000)

Each size is imported into a fresh merchant from a file on disk; tracemalloc's peak shows
whether memory grows with the file (it must not: rows are streamed, orders applied in batches).
"""

from __future__ import annotations

import csv
import os
import platform
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

from bench.database import fresh_database

ROOT = Path(__file__).resolve().parents[1]


def write_export(path: Path, rows: int) -> None:
    with (ROOT / "tests/fixtures/csv/shopify_orders_export.csv").open(encoding="utf-8") as f:
        header = next(csv.reader(f))
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        for n in range(rows):
            order, item = divmod(n, 2)
            row = dict.fromkeys(header, "")
            row.update(
                {
                    "Name": f"#{100000 + order}",
                    "Lineitem quantity": "1",
                    "Lineitem name": f"Serum {item}",
                    "Lineitem price": "199.90",
                    "Lineitem sku": f"SKU-{item}",
                    "Lineitem requires shipping": "true",
                }
            )
            if item == 0:
                row.update(
                    {
                        "Email": f"c{order}@example.com",
                        "Financial Status": "paid",
                        "Fulfillment Status": "fulfilled",
                        "Currency": "TRY",
                        "Fulfilled at": "2026-11-02 09:30:00 +0300",
                        "Total": "399.80",
                        "Created at": "2026-11-01 10:05:10 +0300",
                        "Shipping Name": "Ayşe Yılmaz",
                        "Shipping Country": "TR",
                        "Phone": f"+90532{order:07d}",
                        "Id": str(6_000_000 + order),
                        "Note Attributes": "whatsapp_opt_in: yes",
                    }
                )
            writer.writerow(row)


def main(sizes: list[int]) -> None:
    data, _server, _url = fresh_database("recete-bench-csv-")
    from recete_app.backend.accounts.signup import sign_up
    from recete_app.backend.commerce.csv_import import import_orders_csv

    lines = [
        f"### CSV import — {datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "",
        "| rows | orders | seconds | orders/s | peak Python memory (MiB) | file (MiB) |",
        "|---|---|---|---|---|---|",
    ]
    for rows in sizes:
        path = data / f"export-{rows}.csv"
        write_export(path, rows)
        merchant = sign_up("CSV Bench", f"csv{rows}@benchstore.com", "correct horse battery")
        tracemalloc.start()
        started = time.perf_counter()
        with path.open(encoding="utf-8", newline="") as handle:
            report = import_orders_csv(merchant.merchant_id, handle, "bench")
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        lines.append(
            f"| {rows} | {report.orders_imported} | {seconds:.1f} | "
            f"{report.orders_imported / seconds:.0f} | {peak:.1f} | "
            f"{path.stat().st_size / 2**20:.1f} |"
        )
    print("\n".join(lines))


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [5000, 50000])
