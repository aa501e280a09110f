"""Order files uploaded in the dashboard, imported in the background with visible progress.

The upload is checked up front (UTF-8 text, known columns) and stored in 1 MiB chunks in the
database with its `order_imports` row, in one transaction: either the whole file is queued or
nothing is. A worker then streams the chunks through the CSV importer, recording progress after
every batch. Importing is idempotent, so an import whose worker died (no heartbeat for a few
minutes) is simply run again by the sweep.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from typing import BinaryIO

from sqlmodel import Session, col, delete, select

from recete_app.backend import background_jobs, idempotency, queueing
from recete_app.backend.background_jobs import DONE, FAILED
from recete_app.backend.commerce.csv_import import ImportReport, detect_format, import_orders_csv
from recete_app.backend.db import session_scope
from recete_app.backend.errors import InvalidInput, NotFound
from recete_app.backend.models import OrderImport, OrderImportChunk

CHUNK_BYTES = 1 << 20
IMPORT_ROUTE = "POST /api/order-imports"  # one key space for the dashboard and the API


def start_import(
    merchant_id: uuid.UUID,
    actor: str,
    filename: str,
    stream: BinaryIO,
    max_bytes: int,
    idempotency_key: str | None = None,
) -> uuid.UUID:
    """Store the file and queue its import. InvalidInput if it can never be imported. The same
    `idempotency_key` again with the same file returns the first import and stores nothing."""
    idempotency.check_key(idempotency_key)  # a bad key is refused before the file is read
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    head: list[bytes] = []  # read until the header row is complete, to check it first
    text = ""
    while "\n" not in text and sum(map(len, head)) <= max_bytes:
        chunk = stream.read(CHUNK_BYTES)
        if not chunk:
            break
        head.append(chunk)
        text += _decode(decoder, chunk)
    layout = detect_format(_header(text))
    with session_scope(merchant_id) as session:
        stored = session.begin_nested()  # undone if the key shows the file was sent before
        job = OrderImport(
            merchant_id=merchant_id, filename=filename[:255], actor=actor[:255], format=layout.name
        )
        session.add(job)
        session.flush()
        digest = _store_chunks(session, job, _chunks(head, stream, decoder), max_bytes)
        _decode(decoder, b"", final=True)
        request = {"filename": job.filename, "sha256": digest}
        claim = idempotency.claim(session, IMPORT_ROUTE, idempotency_key, request)
        if claim.replayed is not None:
            stored.rollback()
            return claim.replayed
        idempotency.settle(session, claim, job.id)
        stored.commit()
        import_id = job.id
    queueing.enqueue("import_orders_file", merchant_id=str(merchant_id), import_id=str(import_id))
    return import_id


def _store_chunks(
    session: Session, job: OrderImport, chunks: Iterator[bytes], max_bytes: int
) -> str:
    """Store the file with its job, chunk by chunk; returns its SHA-256."""
    digest = hashlib.sha256()
    for seq, chunk in enumerate(chunks):
        job.size_bytes += len(chunk)
        if job.size_bytes > max_bytes:
            raise InvalidInput(f"The file is larger than {max_bytes} bytes.", code="too_large")
        digest.update(chunk)
        session.add(
            OrderImportChunk(import_id=job.id, seq=seq, merchant_id=job.merchant_id, data=chunk)
        )
        session.flush()
    return digest.hexdigest()


def _chunks(
    head: list[bytes], stream: BinaryIO, decoder: codecs.IncrementalDecoder
) -> Iterator[bytes]:
    """The chunks already read, then the rest of the stream, each checked to be UTF-8."""
    yield from head
    while chunk := stream.read(CHUNK_BYTES):
        _decode(decoder, chunk)
        yield chunk


def _decode(decoder: codecs.IncrementalDecoder, data: bytes, *, final: bool = False) -> str:
    try:
        text: str = decoder.decode(data, final=final)
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            "The file is not UTF-8 text (export it again as CSV UTF-8).", code="not_utf8"
        ) from exc
    return text


def _header(text: str) -> list[str]:
    header = next(csv.reader(io.StringIO(text, newline="")), None)
    if not header:
        raise InvalidInput("The file is empty.", code="empty_file")
    return header


def run_import(merchant_id: uuid.UUID, import_id: uuid.UUID) -> str | None:
    """Import a stored file (the worker's side). Returns the final status, or None when the
    import is finished already or another worker is on it."""
    with session_scope(merchant_id) as session:
        job = background_jobs.claim(session, OrderImport, import_id)
        if job is None:
            return None
        actor = job.actor
    try:
        report = import_orders_csv(
            merchant_id, _file_text(merchant_id, import_id), actor, progress=_progress(import_id)
        )
    except (InvalidInput, UnicodeDecodeError, csv.Error) as exc:
        message = exc.message if isinstance(exc, InvalidInput) else f"Unreadable file: {exc}"
        _finish(merchant_id, import_id, FAILED, error=message)
        return FAILED
    _finish(merchant_id, import_id, DONE, report=report)
    return DONE


def _file_text(merchant_id: uuid.UUID, import_id: uuid.UUID) -> io.TextIOWrapper:
    """The stored file as text, read one chunk at a time (one short transaction each)."""

    def fetch(seq: int) -> bytes | None:
        with session_scope(merchant_id) as session:
            return session.exec(
                select(OrderImportChunk.data).where(
                    OrderImportChunk.import_id == import_id, OrderImportChunk.seq == seq
                )
            ).first()

    raw = io.BufferedReader(_ChunkStream(fetch), buffer_size=CHUNK_BYTES)
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


class _ChunkStream(io.RawIOBase):
    def __init__(self, fetch: Callable[[int], bytes | None]) -> None:
        self._fetch = fetch
        self._seq = 0
        self._chunk = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if not self._chunk:
            data = self._fetch(self._seq)
            if data is None:
                return 0
            self._seq += 1
            self._chunk = memoryview(data)
        size = min(len(buffer), len(self._chunk))
        buffer[:size] = self._chunk[:size]
        self._chunk = self._chunk[size:]
        return size


def _progress(import_id: uuid.UUID) -> Callable[[uuid.UUID, ImportReport], None]:
    def record(merchant_id: uuid.UUID, report: ImportReport) -> None:
        with session_scope(merchant_id) as session:
            job = session.get_one(OrderImport, import_id)
            _copy_counts(job, report)
            job.heartbeat_at = datetime.now(UTC)

    return record


def _copy_counts(job: OrderImport, report: ImportReport) -> None:
    job.rows_read = report.rows
    job.orders_imported = report.orders_imported
    job.orders_skipped = report.orders_skipped
    job.problem_count = report.problem_count


def _finish(
    merchant_id: uuid.UUID,
    import_id: uuid.UUID,
    status: str,
    *,
    report: ImportReport | None = None,
    error: str | None = None,
) -> None:
    with session_scope(merchant_id) as session:
        job = session.get_one(OrderImport, import_id, with_for_update=True)
        if report is not None:
            _copy_counts(job, report)
            job.problems = [asdict(problem) for problem in report.problems]
        job.status, job.error = status, error
        job.finished_at = datetime.now(UTC)
        # The file is not needed once imported (or found unusable).
        chunks = delete(OrderImportChunk).where(col(OrderImportChunk.import_id) == import_id)
        session.execute(chunks)


def imports_to_resume(session: Session) -> list[uuid.UUID]:
    return background_jobs.jobs_to_resume(session, OrderImport)


def recent_imports(session: Session, limit: int = 5) -> list[OrderImport]:
    return list(
        session.exec(
            select(OrderImport).order_by(col(OrderImport.created_at).desc()).limit(limit)
        ).all()
    )


def read_import(merchant_id: uuid.UUID, import_id: uuid.UUID) -> OrderImport:
    """One of the merchant's imports (another merchant's is not found)."""
    with session_scope(merchant_id) as session:
        job = session.get(OrderImport, import_id)
        if job is None:
            raise NotFound("No such order import.", code="order_import_not_found")
        return job
