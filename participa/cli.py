"""Command line: ``flask db``, ``flask demo``, ``flask accounts``, ``flask audit``,
``flask territory``."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from participa.core import db
from participa.core.db import utcnow

db_cli = AppGroup("db", help="Base de datos: migraciones Alembic y permisos del rol de la aplicación.")
demo_cli = AppGroup("demo", help="Datos de demostración.")
accounts_cli = AppGroup("accounts", help="Cuentas.")
audit_cli = AppGroup("audit", help="Registro de auditoría.")
territory_cli = AppGroup("territory", help="Territorio: comunas.")
commitments_cli = AppGroup("commitments", help="Compromisos del programa de gobierno.")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: head)."""
    from participa.core import migrations

    migrations.upgrade(current_app._get_current_object(), revision)  # type: ignore[attr-defined]
    click.echo(f"Base de datos al día ({db.engine().url.render_as_string(hide_password=True)}).")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION (use 'base' to empty it)."""
    from participa.core import migrations

    migrations.downgrade(current_app._get_current_object(), revision)  # type: ignore[attr-defined]


@db_cli.command("grant")
@click.option("--role", default="participa_app", show_default=True, help="The role the application runs as.")
@click.option(
    "--password-env",
    metavar="VARIABLE",
    help="Create the role if it does not exist (LOGIN) and set its password from this environment variable.",
)
def db_grant(role: str, password_env: str | None) -> None:
    """PostgreSQL: give the application's role what it needs and, on the audit tables, only
    SELECT and INSERT. Run it as the owner of the schema after every `flask db upgrade`
    (privileges are granted on the tables that exist when it runs). Idempotent."""
    import os

    from participa.audit.privileges import PrivilegeError, ensure_role, grant_app_role

    engine = db.engine()
    if engine.dialect.name != "postgresql":
        click.echo("La base no es PostgreSQL: no hay roles que configurar.")
        return
    password = None
    if password_env:
        password = os.environ.get(password_env)
        if not password:
            click.echo(f"Falta la variable de entorno {password_env} con la contraseña del rol.", err=True)
            sys.exit(1)
    try:
        with engine.begin() as connection:
            created = ensure_role(connection, role, password)[0] if password_env else False
            result = grant_app_role(connection, role)
    except PrivilegeError as error:
        click.echo(f"No se aplicaron los permisos: {error}.", err=True)
        sys.exit(1)
    click.echo(
        f"Rol {result.role}{' creado' if created else ''}: lectura y escritura en {result.tables} tablas del "
        f"esquema {result.schema}; en audit_events, audit_blocks y audit_seals solo SELECT e INSERT."
    )


@territory_cli.command("load")
def territory_load() -> None:
    """Load the 52 comunas (idempotent)."""
    from participa.territory.operations import load_comunas

    added, updated = load_comunas(db.session())
    db.session.commit()
    click.echo(f"Comunas: {added} nuevas, {updated} actualizadas.")


@commitments_cli.command("load")
def commitments_load() -> None:
    """Load the 80 programme commitments (idempotent; statuses are kept)."""
    from participa.commitments.operations import load_commitments

    added, updated = load_commitments(db.session())
    db.session.commit()
    click.echo(f"Compromisos: {added} nuevos, {updated} actualizados.")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has accounts.")
def demo_load(if_empty: bool) -> None:
    """Load demo accounts for every role and print their passwords."""
    from participa.demo import load_demo

    accounts = load_demo(db.session(), if_empty=if_empty)
    db.session.commit()
    if accounts is None:
        click.echo("La base ya tiene cuentas: no se cargaron datos de demostración.")
        return
    click.echo("Cuentas de demostración (correo / contraseña / rol / secreto TOTP):")
    for account in accounts:
        click.echo(f"  {account.email:34} {account.password:22} {account.role:16} {account.totp_secret or '-'}")
    click.echo("Las cuentas de personal piden un código TOTP: agregue el secreto a su aplicación de")
    click.echo("autenticación, o vea el código actual con: flask accounts totp-code CORREO")


@accounts_cli.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.password_option()
def create_admin(email: str, name: str, password: str) -> None:
    """Create an administrator account (it enrols its second factor at first login)."""
    from participa.accounts.operations import AccountError, create_administrator

    try:
        create_administrator(db.session(), email=email, name=name, password=password, now=utcnow())
    except AccountError as error:
        db.session.rollback()
        click.echo(f"No se creó la cuenta: {error.code}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Administrador creado: {email}")


@accounts_cli.command("totp-code")
@click.argument("email")
def totp_code(email: str) -> None:
    """Print the current TOTP code of a demo account (embedded mode only)."""
    import pyotp

    from participa.accounts.operations import find_by_email

    if current_app.config["ENV"] == "production":
        click.echo("No disponible en producción.", err=True)
        sys.exit(1)
    user = find_by_email(db.session(), email)
    if user is None or not user.totp_secret:
        click.echo("Esa cuenta no tiene secreto TOTP.", err=True)
        sys.exit(1)
    click.echo(pyotp.TOTP(user.totp_secret).now())


@audit_cli.command("verify")
@click.option(
    "--heads",
    "heads_file",
    type=click.File("r", encoding="utf-8-sig"),
    help="Saved heads to check too: the JSON of /auditoria/bloques.json, or lines 'block_id hash' ('-' reads stdin).",
)
def audit_verify(heads_file: Any) -> None:
    """Verify the hash chain; name the first broken link. With --heads, also check that the chain
    still passes through every saved head, naming each block missing or different. Exit status
    1 when anything fails."""
    from participa.audit import rules
    from participa.audit.operations import check_saved_heads, verify

    saved = None
    if heads_file is not None:
        try:
            saved = rules.parse_saved_heads(heads_file.read())
        except rules.SavedHeadsError as error:
            click.echo(f"No se pudo leer el archivo de cabezas guardadas: {error}.", err=True)
            sys.exit(2)
    result = verify(db.session())
    mismatches = check_saved_heads(db.session(), saved) if saved is not None else []
    db.session.rollback()  # read only: release the database at once
    if result.ok:
        click.echo(
            f"Cadena íntegra: {result.blocks} bloques, {result.events} eventos sellados, "
            f"{result.unsealed} por sellar. Cabeza: {result.head}"
        )
    else:
        brk = result.first_break
        assert brk is not None
        parts = [f"bloque {brk.block_id}" if brk.block_id else "", f"evento {brk.event_id}" if brk.event_id else ""]
        where = ", ".join(part for part in parts if part)
        click.echo(f"Primer enlace roto: {where or 'registro'}: {brk.reason}.", err=True)
    if saved is not None:
        blocks = len({head.block_id for head in saved})
        for mismatch in mismatches:
            current = f", actual {mismatch.current}" if mismatch.current else ""
            click.echo(
                f"Cabeza guardada del bloque {mismatch.block_id}: {mismatch.reason} "
                f"(guardado {mismatch.saved}{current}).",
                err=True,
            )
        if mismatches:
            wrong = len({m.block_id for m in mismatches})
            click.echo(f"Cabezas guardadas: {wrong} de {blocks} bloques no coinciden con la cadena.", err=True)
        else:
            click.echo(f"Cabezas guardadas: todas coinciden con la cadena ({blocks} bloques revisados).")
    if not result.ok or mismatches:
        sys.exit(1)


@audit_cli.command("seal")
def audit_seal() -> None:
    """Seal pending events now (the worker does it every few seconds)."""
    from participa.audit.tasks import seal_task

    click.echo(f"Eventos sellados: {seal_task.run()}")


def register_commands(app: Flask) -> None:
    for group in (db_cli, demo_cli, accounts_cli, audit_cli, territory_cli, commitments_cli):
        app.cli.add_command(group)
