"""Benchmark: import a realistic 100,000-row registry file through the real import task on
PostgreSQL, beside a raw COPY of the same file on the same machine.

    .venv/bin/python bench/registry_import.py [--rows 100000] [--database-url URL]

Prints rows per second end to end (upload check, chunked import, per-row report) and the peak
resident memory of this process, then the raw COPY rate. Uses a scratch database it recreates.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from participa.core.rut import check_digit  # noqa: E402

COMUNAS = [
    "Santiago",
    "Renca",
    "Ñuñoa",
    "Peñalolén",
    "Puente Alto",
    "Maipú",
    "La Florida",
    "Conchalí",
    "Estación Central",
    "San Joaquín",
    "Quilicura",
    "Lo Espejo",
    "Independencia",
    "Recoleta",
]
TYPES = [
    "Junta de Vecinos",
    "Organización Comunitaria Funcional",
    "Club Deportivo",
    "Centro de Padres",
    "Unión Comunal",
    "Fundación",
    "Corporación",
    "Asociación",
]
WORDS = [
    "Villa",
    "Población",
    "Esperanza",
    "Los Aromos",
    "El Peñón",
    "Santa Rosa",
    "Nueva Aurora",
    "Los Álamos",
    "Camino Real",
    "San José",
    "Las Araucarias",
    "Los Copihues",
    "Pedro Aguirre",
    "Lautaro",
]
HEADER = (
    "RUT Organización;Nombre de la Organización;Tipo de Organización;Comuna;Dirección;N° de Socios;"
    "Fecha Inicio Directorio;Fecha Término Directorio;N° Registro"
)


def generate(path: Path, rows: int, seed: int = 2026) -> int:
    """A Latin-1, semicolon file; about 2 % of rows are bad in the ways real files are."""
    rng = random.Random(seed)
    bad = 0
    with path.open("w", encoding="latin-1", newline="") as out:
        out.write(HEADER + "\r\n")
        for i in range(rows):
            number = 70_000_000 + i
            rut = f"{number:,}".replace(",", ".") + "-" + check_digit(number).lower()
            comuna = rng.choice(COMUNAS)
            start = date(2022, 1, 1) + timedelta(days=rng.randrange(900))
            end = start + timedelta(days=3 * 365)
            fields = [
                rut,
                f"{rng.choice(TYPES)} {rng.choice(WORDS)} {i}",
                rng.choice(TYPES),
                comuna,
                f"Pasaje {rng.choice(WORDS)} {rng.randrange(1, 9999)}",
                str(rng.randrange(15, 900)),
                start.strftime("%d-%m-%Y"),
                end.strftime("%d/%m/%Y"),
                str(100000 + i),
            ]
            roll = rng.random()
            if roll < 0.005:
                fields[0] = f"{number}-{'1' if check_digit(number) != '1' else '2'}"  # wrong check digit
            elif roll < 0.010:
                fields[3] = "Gotham"  # unknown comuna
            elif roll < 0.015:
                fields[6] = "31-02-2024"  # impossible date
            elif roll < 0.020:
                fields[1] = ""  # missing name
            bad += roll < 0.020
            out.write(";".join(fields) + "\r\n")
    return bad


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/participa_bench"),
    )
    args = parser.parse_args()

    import sqlalchemy as sa

    from participa import create_app
    from participa.core import db, migrations
    from participa.registry import operations
    from participa.registry.models import ImportBatch
    from participa.registry.tasks import import_batch
    from participa.territory.operations import load_comunas
    from tests.conftest import _recreate_postgres_database
    from tests.fixtures.accounts import create_user

    _recreate_postgres_database(args.database_url)
    work = Path(tempfile.mkdtemp(prefix="participa-bench-"))
    os.environ["PARTICIPA_INSTANCE"] = str(work)
    app = create_app({"DATABASE_URL": args.database_url, "SECRET_KEY": "bench", "REDIS_URL": None, "TASKS_EAGER": True})
    app.instance_path = str(work)
    path = work / "catastro.csv"
    bad = generate(path, args.rows)
    size_mb = path.stat().st_size / 1e6

    with app.app_context():
        migrations.upgrade(app)
        load_comunas(db.session())
        db.session.commit()
        curator = create_user(db.session(), roles=["curator"])
        rss_before = peak_rss_mb()
        started = time.perf_counter()
        with path.open("rb") as stream:
            batch = operations.start_import(db.session(), actor=curator, stream=stream, filename=path.name)
        db.session.commit()
        import_batch.run(batch.id)
        elapsed = time.perf_counter() - started
        batch = db.session.get(ImportBatch, batch.id)
        assert batch.status == "done", batch.status
        counts = (batch.accepted, batch.updated, batch.unchanged, batch.rejected)

        engine = app.extensions["participa.engine"]
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cursor:
                cursor.execute(
                    "CREATE TABLE scratch_copy (rut text, name text, type text, comuna text, address text,"
                    " members text, start text, finish text, registry text)"
                )
                copy_started = time.perf_counter()
                with (
                    cursor.copy(
                        "COPY scratch_copy FROM STDIN WITH (FORMAT csv, DELIMITER ';', HEADER true, ENCODING 'LATIN1')"
                    ) as copy,
                    path.open("rb") as source,
                ):
                    while block := source.read(1 << 20):
                        copy.write(block)
                copy_elapsed = time.perf_counter() - copy_started
                cursor.execute("SELECT count(*) FROM scratch_copy")
                copied = cursor.fetchone()[0]
            raw.commit()
        finally:
            raw.close()
        with engine.connect() as conn:
            version = conn.execute(sa.text("SHOW server_version")).scalar()

    print(
        f"setup: {platform.python_implementation()} {platform.python_version()}, PostgreSQL {version}, "
        f"{os.cpu_count()} cores, file {args.rows} rows / {size_mb:.1f} MB Latin-1 ';', {bad} bad rows"
    )
    print(f"import (real task, per-row report): {elapsed:.2f} s, {args.rows / elapsed:,.0f} rows/s")
    print(f"  outcome: accepted {counts[0]}, updated {counts[1]}, unchanged {counts[2]}, rejected {counts[3]}")
    print(f"  peak memory (RSS of this process): {peak_rss_mb():.0f} MB (before import: {rss_before:.0f} MB)")
    print(f"raw COPY of the same file: {copy_elapsed:.2f} s, {copied / copy_elapsed:,.0f} rows/s")
    print(f"import / COPY time ratio: {elapsed / copy_elapsed:.1f}x")


if __name__ == "__main__":
    main()
