"""What email delivery costs: the outbox's messages sent over SMTP to a local server, per message.

Queues ``--messages`` emails in the outbox (:mod:`ever6.web.outbox`) of a throwaway web
workspace, then delivers them as ``ever6 web notify`` does, pass after pass of at most 100, to
a real SMTP server on 127.0.0.1 (aiosmtpd, in this process) that accepts everything. Prints one
JSON line and writes ``bench/results/notifications.json``: the messages, the wall and CPU time of
the delivery (the CPU time includes the SMTP server's thread, in this process), per message.

    python -m bench.notifications --messages 500
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

from ever6.private import restrict_umask

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


class _Accept:
    """Counts what the server accepts."""

    def __init__(self) -> None:
        self.accepted = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.accepted += 1
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    restrict_umask()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=500)
    opts = parser.parse_args()

    from aiosmtpd.controller import Controller

    port = _free_port()
    home = Path(tempfile.mkdtemp(prefix="ever6-notify-bench-"))
    os.environ.update(
        {
            "EVER6_SECRET_KEY": secrets.token_urlsafe(50),
            "EVER6_EMAIL_HOST": "127.0.0.1",
            "EVER6_EMAIL_PORT": str(port),
            "EVER6_EMAIL_TIMEOUT": "10",
        }
    )
    handler = _Accept()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    try:
        from ever6.web.commands import setup_django

        setup_django(home)
        from ever6.web.outbox.models import Message, State
        from ever6.web.outbox.service import deliver_due, enqueue

        for i in range(opts.messages):
            enqueue(
                kind="bench",
                reference=f"bench-{i}",
                to=f"designated.teacher{i}@school.example",
                subject="Children with a social worker at your school: this half-term",
                body="The half-termly round-up.\n" * 40,
                html="<p>The half-termly round-up.</p>" * 40,
            )
        began, cpu = time.perf_counter(), time.process_time()
        passes = 0
        while Message.objects.filter(state=State.PENDING).exists():
            done = deliver_due()
            passes += 1
            if not done.sent:
                break  # nothing went: do not loop for ever
        wall, cpu = time.perf_counter() - began, time.process_time() - cpu
        sent = Message.objects.filter(state=State.SENT).count()
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)
    result = {
        "messages": opts.messages,
        "sent": sent,
        "accepted_by_server": handler.accepted,
        "passes": passes,
        "inner_seconds": round(wall, 2),
        "inner_cpu_seconds": round(cpu, 2),
        "ms_per_message": round(wall / max(sent, 1) * 1000, 2),
        "cpu_ms_per_message": round(cpu / max(sent, 1) * 1000, 2),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "notifications.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result), flush=True)
    if sent != opts.messages or handler.accepted != opts.messages:
        raise SystemExit(f"only {sent} of {opts.messages} messages were sent ({handler.accepted} accepted)")


if __name__ == "__main__":
    main()
