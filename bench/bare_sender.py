"""The dispatch benchmark's baseline: what one process can push to the local Graph API with
Recete's own clients (one pool per number) and nothing else — no database, no queue, no
pacing — the same template payloads, waves of the same size in parallel, the numbers in turn.

    python -m bench.bare_sender GRAPH_URL TOKEN COUNT THREADS FIRST_SERIAL

Run as `recete worker` processes are (one per worker); prints the seconds it took.
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from bench.seeding import phone_number_id
from recete_app.backend.messaging.channels import graph_client
from recete_app.backend.messaging.outbox.sending import WAVE
from recete_app.backend.messaging.whatsapp.client import TemplateMessage, WhatsAppClient

NUMBERS = 50


def main() -> None:
    url, token, count, threads, first = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
    os.environ["RECETE_WHATSAPP_GRAPH_URL"] = url
    clients = [
        WhatsAppClient(
            graph_client(phone_number_id(n)), phone_number_id=phone_number_id(n), access_token=token
        )
        for n in range(NUMBERS)
    ]
    template = TemplateMessage("recete_day3_usage", "en", ("Customer", "Serum", "Tip", "Store"))
    pool = ThreadPoolExecutor(max_workers=threads * WAVE)

    def send(serial: int) -> None:
        clients[serial % NUMBERS].send_template(
            f"+9053{serial:09d}", template, callback_data=f"sm:bare-{serial}"
        )

    def run(batch: range) -> None:
        for wave in range(batch.start, batch.stop, WAVE):
            list(pool.map(send, range(wave, min(wave + WAVE, batch.stop))))

    started = time.monotonic()
    per_thread = -(-count // threads)
    batches = [
        range(first + t * per_thread, first + min(count, (t + 1) * per_thread))
        for t in range(threads)
    ]
    with ThreadPoolExecutor(max_workers=threads) as runners:
        list(runners.map(run, batches))
    print(f"{time.monotonic() - started:.3f}", flush=True)


if __name__ == "__main__":
    main()
