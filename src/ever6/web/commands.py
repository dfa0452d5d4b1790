"""``ever6 web ...``: set up, administer and serve the web service from the ever6 command line.

Django is loaded only when a web command runs, with ``EVER6_HOME`` set from the CLI's workspace,
so the rest of the CLI stays quick.
"""

from __future__ import annotations

import importlib
import os
import random
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer

from ever6.access import ROLE_LABELS, Role

web_app = typer.Typer(help="The web service: set up its database, manage users, serve it.")


def setup_django(home: Path, *, settings_module: str = "ever6.web.settings") -> None:
    """Configure Django for the workspace ``home`` and bring its database up to date."""
    os.environ["EVER6_HOME"] = str(home)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    import django
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import call_command

    try:
        django.setup()
    except ImproperlyConfigured as exc:  # a missing or weak key, say: say so, no traceback
        typer.echo(f"ever6 cannot start: {exc}", err=True)
        raise typer.Exit(2) from exc
    call_command("migrate", verbosity=0, interactive=False)


def _home() -> Path:
    return Path(os.environ.get("EVER6_HOME", "var"))


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: Role
    schools: tuple[str, ...] = ()


def seed_demo(home: Path) -> list[DemoLogin]:
    """Demo accounts (one per role, fresh random passwords), the schools register and agreements.

    For the demo workspace only: half the schools with Ever6 CWSW pupils have signed the data
    sharing agreement, a few were sent it, and the demo school user acts for one that signed and one
    that has not, so both sides of the portal's rule can be seen.
    """
    setup_django(home)
    from django.db import transaction

    from ever6.access import Viewer
    from ever6.web.accounts.models import User
    from ever6.web.guard import snapshot
    from ever6.web.schools.models import AgreementStatus, DataSharingAgreement
    from ever6.web.schools.sync import sync_schools

    sync_schools()
    counts = snapshot().cohort_counts_by_school(Viewer("system:demo", Role.VS_OFFICER))
    with_cohort = sorted(counts, key=lambda urn: (-counts[urn], urn))
    today = date.today()
    logins: list[DemoLogin] = []
    with transaction.atomic():
        DataSharingAgreement.objects.all().delete()
        for i, urn in enumerate(with_cohort):
            if i % 2 == 0:
                DataSharingAgreement.objects.create(
                    school_id=urn,
                    status=AgreementStatus.SIGNED,
                    version="2026.1",
                    sent_on=today - timedelta(days=60),
                    signed_on=today - timedelta(days=40 - i % 30),
                    expires_on=today + timedelta(days=365),
                    recorded_by="demo",
                )
            elif i % 3 == 0:
                DataSharingAgreement.objects.create(
                    school_id=urn,
                    status=AgreementStatus.SENT,
                    version="2026.1",
                    sent_on=today - timedelta(days=14),
                    recorded_by="demo",
                )
        dsl_schools = tuple(with_cohort[:2])
        for role in Role:
            username = f"demo_{role.value}"
            password = secrets.token_urlsafe(12)
            user, _ = User.objects.get_or_create(username=username)
            user.role = role.value
            user.email = f"{username}@example.org"
            user.first_name, user.last_name = "Demo", ROLE_LABELS[role]
            user.is_active = True
            user.set_password(password)
            user.save()
            schools = dsl_schools if role is Role.SCHOOL_DSL else ()
            user.schools.set(list(schools))
            logins.append(DemoLogin(username, password, role, schools))
    rng = random.Random(2026)  # noqa: S311 (repeatable demo records, not secrets)
    for module_name in DEMO_SEEDERS:
        importlib.import_module(module_name).seed_demo(rng, today)
    _seed_social_worker(dsl_schools[0] if dsl_schools else None)
    return logins


def _seed_social_worker(urn: str | None) -> None:
    """The demo social worker is the allocated worker of a pupil with an open plan at the demo DSL's
    (signed) school, and the events the demo authority's data shows are taken in."""
    from ever6.access import AuditEntry, Viewer
    from ever6.web.accounts.models import User
    from ever6.web.audit.models import record
    from ever6.web.events.service import sync_data_events
    from ever6.web.guard import snapshot

    sync_data_events()
    if urn is None:
        return
    school = Viewer("system:demo", Role.SCHOOL_DSL, urns=frozenset({urn}))

    def audit(who: Viewer, entry: AuditEntry) -> None:
        record(None, who, entry)

    allocated = snapshot().portal_allocations(school, urn, audit=audit, agreement_in_force=lambda _: True)
    emails = sorted(str(a["worker_email"]) for a in allocated.values() if a.get("plan_open") and a.get("worker_email"))
    if emails:
        User.objects.filter(username=f"demo_{Role.SOCIAL_WORKER.value}").update(email=emails[0])


# The partnership apps' realistic demo records (contacts, tiers, enquiries, clinics, training, the
# grant ledger), one module per app, kept out of the apps themselves: professionals' names only,
# never pupils'.
DEMO_SEEDERS = (
    "ever6.web.demo_seed.schools",
    "ever6.web.demo_seed.support",
    "ever6.web.demo_seed.training",
    "ever6.web.demo_seed.grant",
)


# The forwarded headers waitress believes from the trusted proxy: the client's address (for the
# audit log and sign-in throttling) and the scheme it used (for HTTPS redirects, secure cookies,
# HSTS and the CSRF origin check). The Host header is the proxy's to pass on as the browser sent it.
FORWARDED_HEADERS = frozenset({"x-forwarded-for", "x-forwarded-proto"})


def waitress_options(trusted_proxy: str | None) -> dict[str, object]:
    """waitress's settings: the request body limit and, behind a proxy, which headers to believe.

    waitress removes forwarded headers from everyone else, so a client that reaches the service
    directly cannot claim HTTPS or another address.
    """
    from ever6.web.bodylimit import largest_body

    options: dict[str, object] = {"max_request_body_size": largest_body(), "clear_untrusted_proxy_headers": True}
    if trusted_proxy:
        options.update(trusted_proxy=trusted_proxy, trusted_proxy_count=1, trusted_proxy_headers=set(FORWARDED_HEADERS))
    return options


def serve(home: Path, host: str = "127.0.0.1", port: int = 8000, threads: int = 8) -> None:
    """Serve the web service with waitress (a production-grade pure-Python WSGI server)."""
    setup_django(home)
    from django.conf import settings
    from waitress import serve as waitress_serve

    from ever6.web.outbox.worker import start_thread
    from ever6.web.wsgi import application

    if settings.EVER6_EMAIL_INTERVAL > 0:  # the outbox's delivery loop, beside the pages (docs/notifications.md)
        start_thread(settings.EVER6_EMAIL_INTERVAL)
    if settings.EVER6_JOBS_INTERVAL > 0:  # imports confirmed in the browser (docs/web.md)
        from ever6.web.datamgmt import importjobs

        importjobs.release_stale()
        importjobs.start_thread(settings.EVER6_JOBS_INTERVAL)
    if settings.SECURE_PROXY_SSL_HEADER and not settings.EVER6_TRUSTED_PROXY:
        # waitress has no TLS: production always sits behind a proxy, which must be named.
        typer.echo(
            "Warning: EVER6_TRUSTED_PROXY is not set, so the proxy's X-Forwarded-Proto is ignored and "
            "HTTPS requests will be redirected to HTTPS again (docs/web.md, Deployment).",
            err=True,
        )
    waitress_serve(
        application,
        host=host,
        port=port,
        threads=threads,
        ident="ever6",
        **waitress_options(settings.EVER6_TRUSTED_PROXY),
    )


@web_app.command("migrate")
def migrate_command() -> None:
    """Create or update the web service's database (users, audit log, partnership records)."""
    setup_django(_home())
    typer.echo("The web database is up to date.")


@web_app.command("create-user")
def create_user_command(
    username: str,
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(r.value for r in Role)}.")],
    email: Annotated[str, typer.Option()] = "",
    school: Annotated[list[str] | None, typer.Option(help="URN of a school the user acts for (repeat).")] = None,
) -> None:
    """Create an account (asks for its password), e.g. the first Virtual School Head."""
    if role not in Role._value2member_map_:
        raise typer.BadParameter(f"role must be one of {', '.join(r.value for r in Role)}")
    setup_django(_home())
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from ever6.web.accounts.models import User
    from ever6.web.schools.models import School

    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        validate_password(password, User(username=username, email=email))
    except ValidationError as exc:
        typer.echo("; ".join(exc.messages), err=True)
        raise typer.Exit(1) from exc
    urns = school or []
    schools = list(School.objects.filter(urn__in=urns))
    if len(schools) != len(set(urns)):
        typer.echo("Unknown school URN: run a refresh first, or check the URN.", err=True)
        raise typer.Exit(1)
    from django.db import transaction

    from ever6.web.accounts.history import record_changes

    with transaction.atomic():
        user = User.objects.create_user(username, email, password, role=role)
        user.schools.set(schools)
        record_changes(None, {}, user)
    typer.echo(f"Created {username} ({ROLE_LABELS[Role(role)]}).")


@web_app.command("sync-schools")
def sync_schools_command() -> None:
    """Add the published GIAS schools to the schools register (after a refresh)."""
    setup_django(_home())
    from ever6.web.schools.sync import sync_schools

    added, updated = sync_schools()
    typer.echo(f"Schools register: {added} added, {updated} updated.")


@web_app.command("notify")
def notify_command(
    loop: Annotated[bool, typer.Option("--loop", help="Keep delivering until stopped.")] = False,
    interval: Annotated[int, typer.Option(help="Seconds between passes with --loop.")] = 30,
) -> None:
    """Send the emails that are due from the outbox (with --loop, keep going; Ctrl+C to stop)."""
    setup_django(_home())
    from ever6.web.outbox.worker import deliver_once, run

    if loop:
        import threading

        typer.echo(f"Delivering email every {interval} seconds (Ctrl+C to stop).")
        run(interval, threading.Event())
        return
    done = deliver_once()
    typer.echo(f"Email: {done.sent} sent, {done.retrying} to retry, {done.failed} failed, {done.invalid} refused.")


@web_app.command("jobs")
def jobs_command(
    loop: Annotated[bool, typer.Option("--loop", help="Keep running queued jobs until stopped.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between passes with --loop.")] = 2.0,
) -> None:
    """Run the imports confirmed in the browser that are waiting (with --loop, keep going; Ctrl+C
    to stop). For a deployment whose web service runs no worker (EVER6_JOBS_INTERVAL=0)."""
    setup_django(_home())
    from ever6.web.datamgmt import importjobs

    importjobs.release_stale()
    if loop:
        import threading

        typer.echo(f"Running queued imports every {interval:g} seconds (Ctrl+C to stop).")
        importjobs.loop(interval, threading.Event())
        return
    ran = importjobs.work_once()
    for job in ran:
        typer.echo(f"Import {job.pk} ({job.format}: {', '.join(job.files)}): {job.state_label.lower()}. {job.progress}")
    if not ran:
        typer.echo("No imports waiting.")


@web_app.command("bounces")
def bounces_command(
    source: Annotated[
        Path, typer.Argument(help="A mailbox directory (Maildir, or a folder of .eml files) or an mbox file.")
    ],
) -> None:
    """Mark the emails that bounced after the server accepted them, from the delivery status
    notifications in a mailbox; the round-up's page reports them."""
    setup_django(_home())
    from ever6.web.outbox.bounces import record_bounces

    if not source.exists():
        typer.echo(f"ever6 web bounces: no such mailbox: {source}", err=True)
        raise typer.Exit(2)
    outcome = record_bounces(source)
    for row in outcome.marked:
        typer.echo(f"bounced: {row.to} ({row.kind} {row.reference}): {row.last_error}")
    for bounce in outcome.unmatched:
        typer.echo(f"no sent email to {bounce.recipient} matches a bounce ({bounce.status})")
    typer.echo(
        f"{outcome.read} delivery status notifications read; {len(outcome.marked)} emails marked bounced, "
        f"{len(outcome.unmatched)} not matched."
    )


@web_app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    threads: Annotated[int, typer.Option(help="Worker threads.")] = 8,
) -> None:
    """Serve the web service (for production, put it behind an HTTPS reverse proxy and set
    EVER6_TRUSTED_PROXY to its address)."""
    typer.echo(f"Serving ever6 on http://{host}:{port}/ (Ctrl+C to stop)")
    serve(_home(), host, port, threads)
