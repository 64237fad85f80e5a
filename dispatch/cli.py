"""Flask commands: ``seed-demo``, ``create-user`` and ``api-key`` (``db upgrade`` comes from
Flask-Migrate)."""

from __future__ import annotations

import time

import click
from flask import Flask, current_app
from sqlalchemy import select

from dispatch.dev.demo import seed
from dispatch.extensions import db, get_queue
from dispatch.jobs.periodic import check_health
from dispatch.models import Role, Studio
from dispatch.services.errors import InvalidInput, NotFound
from dispatch.services.open_data import api_keys
from dispatch.services.responders.accounts import create_user


def register(app: Flask) -> None:
    register_ops(app)
    register_api_keys(app)

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Load the Chinese demo data; running it again changes nothing."""
        added = seed(current_app.config["DEMO_PASSWORD"])
        db.session.commit()
        summary = ", ".join(f"{name} +{count}" for name, count in added.items())
        click.echo(f"Demo data: {summary}")

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
    @click.option("--name", "display_name", default="", help="Name shown to others.")
    @click.option("--phone", default=None)
    @click.option("--studio", "studio_code", default=None, help="Studio code (coordinators).")
    @click.password_option(envvar="DISPATCH_PASSWORD")
    def create_user_command(username: str, role: str, display_name: str, phone: str | None,
                            studio_code: str | None, password: str) -> None:
        """Create a staff account (coordinator, captain, volunteer or admin)."""
        studio = None
        if studio_code:
            studio = db.session.scalar(select(Studio).where(Studio.code == studio_code))
            if studio is None:
                raise click.BadParameter(f"no studio with code {studio_code!r}",
                                         param_hint="--studio")
        try:
            user = create_user(username=username, display_name=display_name or username,
                               role=Role(role), password=password, phone=phone, studio=studio)
        except InvalidInput as error:
            raise click.BadParameter(error.message(), param_hint=error.field) from error
        db.session.commit()
        click.echo(f"Created {user.role.value} {user.username!r} (id {user.id}).")


def register_ops(app: Flask) -> None:
    @app.cli.command("check-worker")
    @click.option("--timeout", default=10.0, show_default=True)
    def check_worker(timeout: float) -> None:
        """Send a job to the worker and wait for its answer."""
        queued = get_queue().enqueue(check_health)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = queued.get_status(refresh=True)
            if status == "finished":
                click.echo(f"Worker answered: {queued.return_value()}")
                return
            if status == "failed":
                raise click.ClickException("the job failed; see the worker's log")
            time.sleep(0.1)
        raise click.ClickException(f"no worker answered within {timeout:g} s")


def register_api_keys(app: Flask) -> None:
    @app.cli.group("api-key")
    def api_key() -> None:
        """Open311 API keys of outside clients: issue, list, revoke."""

    @api_key.command("issue")
    @click.argument("name")
    def issue(name: str) -> None:
        """Issue a key to the client NAME; the key is printed once, only its hash is kept."""
        try:
            issued = api_keys.issue(name)
        except InvalidInput as error:
            raise click.BadParameter(error.message(), param_hint="NAME") from error
        db.session.commit()
        click.echo(f"Client {issued.client.id} {issued.client.name!r}: {issued.key}")

    @api_key.command("list")
    def list_keys() -> None:
        """The clients, their key's first characters and whether it still works."""
        for client in api_keys.all_clients():
            state = "active" if client.active else f"revoked {client.revoked_at:%Y-%m-%d}"
            click.echo(f"{client.id}\t{client.key_prefix}…\t{state}\t{client.name}")

    @api_key.command("revoke")
    @click.argument("client_id", type=int)
    def revoke(client_id: int) -> None:
        """Revoke the key of client CLIENT_ID (see ``api-key list``)."""
        try:
            revoked = api_keys.revoke(client_id)
        except NotFound as error:
            raise click.BadParameter(f"no client {client_id}", param_hint="CLIENT_ID") from error
        db.session.commit()
        click.echo("Revoked." if revoked else "It was already revoked.")
