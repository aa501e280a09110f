"""Order CSV import: Shopify's order export or the generic template, streamed.

Rows are read one at a time and grouped into orders (consecutive rows of one order); orders are
applied in batches, each in its own savepoint, so one bad order never spoils its batch and a
50,000-row file never sits in memory. An order with any bad row is not imported at all (its
good rows alone would be a wrong order, e.g. one item short, that no later import corrects);
each bad row is reported (row, order, field, problem) while the other orders import. Importing
the same file again changes nothing; importing it fixed adds the orders left out.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from recete_app.backend import audit
from recete_app.backend.commerce.csv_formats import FORMATS, CsvFormat, OrderRows
from recete_app.backend.commerce.orders import apply_order_event
from recete_app.backend.db import session_scope
from recete_app.backend.errors import InvalidInput

BATCH_ORDERS = 200
MAX_REPORTED_PROBLEMS = 1000


@dataclass(frozen=True)
class RowProblem:
    row: int  # as a spreadsheet numbers it: the header is row 1
    field: str
    problem: str
    order: str = ""  # the order reference of the row (that order was not imported); "" if none


@dataclass
class ImportReport:
    format: str = ""
    rows: int = 0
    orders_imported: int = 0
    orders_skipped: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    problem_count: int = 0

    def add(self, problems: Iterable[RowProblem]) -> None:
        for problem in problems:
            self.problem_count += 1
            if len(self.problems) < MAX_REPORTED_PROBLEMS:
                self.problems.append(problem)


Progress = Callable[[uuid.UUID, ImportReport], None]


def import_orders_csv(
    merchant_id: uuid.UUID, lines: Iterable[str], actor: str, progress: Progress | None = None
) -> ImportReport:
    """Import every order in `lines`; `progress` hears the report after each batch."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        raise InvalidInput("The file is empty.", code="empty_file")
    layout = detect_format(header)
    report = ImportReport(format=layout.name)
    batch: list[OrderRows] = []
    for order in _orders(reader, _column_names(header), layout, report):
        batch.append(order)
        if len(batch) >= BATCH_ORDERS:
            _apply_batch(merchant_id, layout, batch, report)
            batch = []
            if progress is not None:
                progress(merchant_id, report)
    _apply_batch(merchant_id, layout, batch, report)
    report.problems.sort(key=lambda p: p.row)
    with session_scope(merchant_id) as session:
        audit.record(
            session,
            actor,
            "orders.imported",
            target=layout.name,
            rows=report.rows,
            orders=report.orders_imported,
            problems=report.problem_count,
        )
    return report


def _column_names(header: list[str]) -> list[str]:
    return [name.strip().lstrip("\ufeff").lower() for name in header]


def detect_format(header: list[str]) -> CsvFormat:
    columns = set(_column_names(header))
    for layout in FORMATS:
        if layout.required <= columns:
            return layout
    expected = "; ".join(f"{f.name}: {', '.join(sorted(f.required))}" for f in FORMATS)
    raise InvalidInput(
        f"Unrecognised columns. Expected one of: {expected}.", code="unknown_csv_format"
    )


def _orders(
    reader: Iterator[list[str]], header: list[str], layout: CsvFormat, report: ImportReport
) -> Iterator[OrderRows]:
    """Consecutive rows with the same order key make one order."""
    current: OrderRows | None = None
    for number, values in enumerate(reader, start=2):
        report.rows += 1
        if not any(v.strip() for v in values):
            continue
        row = dict(zip(header, values, strict=False))
        key = layout.order_key(row)
        if not key:
            report.add([RowProblem(number, layout.key_column, "missing order reference")])
            continue
        if current is not None and current.key != key:
            yield current
            current = None
        if current is None:
            current = OrderRows(key=key, first_row=number, rows=[])
        current.rows.append((number, row))
    if current is not None:
        yield current


def _apply_batch(
    merchant_id: uuid.UUID, layout: CsvFormat, batch: list[OrderRows], report: ImportReport
) -> None:
    if not batch:
        return
    with session_scope(merchant_id) as session:
        for order in batch:
            event, problems = layout.to_event(order)
            report.add(RowProblem(row, col, problem, order.key) for row, col, problem in problems)
            if event is None or problems:
                report.orders_skipped += 1
                continue
            savepoint = session.begin_nested()
            try:
                apply_order_event(session, event)
                savepoint.commit()
                report.orders_imported += 1
            except Exception as exc:
                savepoint.rollback()
                report.orders_skipped += 1
                report.add(
                    [RowProblem(order.first_row, "order", f"could not be stored: {exc}", order.key)]
                )
