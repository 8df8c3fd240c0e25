#!/usr/bin/env python3
"""Verificador de resultados de Participa (Gobierno de Santiago).

Comprueba, con nada más que Python 3.10 o posterior y su biblioteca estándar, que el resultado
publicado de una consulta corresponde a los datos públicos:

  python3 verificar.py https://participa.example/consultas/12
  python3 verificar.py https://participa.example/consultas/12 --sha256 HUELLA_DEL_CERTIFICADO
  python3 verificar.py https://participa.example/consultas/12 --guardar carpeta
  python3 verificar.py --carpeta carpeta --sha256 HUELLA
  python3 verificar.py https://participa.example/consultas/12 --codigo

1. Descarga resultado.json y calcula su huella SHA-256 (compárela con la del certificado, o
   désela con --sha256); en línea, revisa que la página del resultado publique la misma.
2. Descarga cada archivo que el resultado nombra (padrón, comprobantes y, si el voto es
   nominal, votos; en CSV y JSON) y revisa su huella, y que el CSV diga lo mismo que el JSON.
3. Recalcula la huella del padrón, su tamaño y su peso total.
4. Revisa que las papeletas contadas de la lista de comprobantes sumen, en número y en peso, la
   participación publicada de cada pregunta, y que los votos reemplazados y no admitidos
   coincidan.
5. Si el voto es nominal, recuenta voto a voto con las reglas publicadas (plazo, padrón,
   reemplazo, quórum y mayoría) y compara cada cifra con el resultado.

Con --codigo pide el código de su comprobante (no se envía a ninguna parte: se calcula aquí su
número de seguimiento) y busca su papeleta en la lista.

Sale con 0 si todo cuadra, 1 si algo no cuadra y 2 si no pudo leer los datos.
"""

from __future__ import annotations

import argparse
import csv
import getpass
import hashlib
import io
import json
import re
import sys
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

FORMAT = 1
CHOICES = ("approve", "reject", "abstain")
MICRO = 10**6
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Field order of each file: (JSON key, CSV column).
FIELDS = {
    "padron": (
        ("organisation_id", "organizacion_id"),
        ("rut", "rut"),
        ("name", "nombre"),
        ("comuna_cut", "cut_comuna"),
        ("comuna", "comuna"),
        ("weight", "peso"),
        ("inputs", "entradas_del_peso"),
    ),
    "comprobantes": (("tracker", "seguimiento"), ("weight", "peso"), ("status", "estado"), ("reason", "motivo")),
    "votos": (
        ("ballot", "papeleta"),
        ("tracker", "seguimiento"),
        ("organisation_id", "organizacion_id"),
        ("rut", "rut"),
        ("name", "nombre"),
        ("weight", "peso"),
        ("question_id", "pregunta_id"),
        ("choice", "opcion"),
        ("channel", "canal"),
        ("cast_at", "emitido_utc"),
        ("status", "estado"),
        ("reason", "motivo"),
    ),
}
LIST_KEYS = {"padron": "organisations", "comprobantes": "trackers", "votos": "votes"}


class Unreadable(Exception):
    """The data could not be read: no verdict is possible."""


def canonical(value: object) -> bytes:
    """The canonical JSON that Participa hashes: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def micro(text: str) -> int:
    value = Fraction(Decimal(text)) * MICRO
    if value.denominator != 1:
        raise Unreadable(f"peso con más de 6 decimales: {text}")
    return value.numerator


def weight_text(micros: int) -> str:
    units, rest = divmod(micros, MICRO)
    return f"{units}.{rest:06d}"


def fraction_text(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Report:
    def __init__(self) -> None:
        self.failures = 0

    def check(self, ok: bool, good: str, bad: str) -> bool:
        if ok:
            print(f"  ✔ {good}")
        else:
            self.failures += 1
            print(f"  ✘ {bad}")
        return ok

    def title(self, text: str) -> None:
        print(f"\n{text}")


# --- reading the files ---------------------------------------------------------------------------


class Source:
    """Where the files come from: the site, or a folder saved before with --guardar."""

    def __init__(self, base: str | None, folder: Path | None, save: Path | None) -> None:
        self.base, self.folder, self.save = base, folder, save

    def get(self, name: str) -> bytes:
        if self.folder is not None:
            path = self.folder / name
            if not path.is_file():
                raise Unreadable(f"falta el archivo {path}")
            return path.read_bytes()
        url = f"{self.base}/{name}"
        try:
            with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - an https address the user gives
                data = response.read()
        except (urllib.error.URLError, OSError) as error:
            raise Unreadable(f"no se pudo descargar {url}: {error}") from error
        if self.save is not None:
            self.save.mkdir(parents=True, exist_ok=True)
            (self.save / name).write_bytes(data)
        return data


def load_json(data: bytes, name: str) -> dict:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise Unreadable(f"{name} no es JSON válido: {error}") from error
    if not isinstance(value, dict):
        raise Unreadable(f"{name} no tiene la forma esperada")
    return value


def csv_cell(value: object, key: str) -> str:
    """A JSON value as Participa writes it in the CSV file (see 'Cómo verificar')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "sí" if value else "no"
    if key == "weight":
        return str(value).replace(".", ",")
    if isinstance(value, int):
        return str(value)
    text = canonical(value).decode("utf-8") if isinstance(value, (dict, list)) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_matches_json(report: Report, name: str, data: bytes, rows: list[dict]) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        report.check(False, "", f"{name}.csv no está en UTF-8")
        return
    if not text.startswith("\ufeff"):
        report.check(False, "", f"{name}.csv no empieza con la marca UTF-8 (BOM)")
        return
    table = list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))
    fields = FIELDS[name]
    expected = [[column for _key, column in fields]] + [
        [csv_cell(row.get(key), key) for key, _c in fields] for row in rows
    ]
    if table == expected:
        report.check(True, f"{name}.csv dice lo mismo que {name}.json ({len(rows)} filas)", "")
        return
    line = next(
        (i for i, (a, b) in enumerate(zip(table, expected, strict=False)) if a != b), min(len(table), len(expected))
    )
    report.check(False, "", f"{name}.csv no coincide con {name}.json en la línea {line + 1}")


# --- the checks ------------------------------------------------------------------------------------


def check_roll(report: Report, result: dict, roll: dict) -> dict[int, dict]:
    report.title("Padrón")
    entries = roll.get("organisations", [])
    recomputed = sha256(
        canonical(
            [
                {"inputs": e["inputs"], "organisation": e["organisation_id"], "rut": e["rut"], "weight": e["weight"]}
                for e in sorted(entries, key=lambda e: e["organisation_id"])
            ]
        )
    )
    report.check(
        recomputed == result.get("roll_hash"),
        f"huella del padrón recalculada: {recomputed}",
        f"la huella del padrón recalculada ({recomputed}) no es la del resultado ({result.get('roll_hash')})",
    )
    report.check(
        roll.get("roll_hash") == result.get("roll_hash"),
        "padron.json declara la misma huella",
        "padron.json declara otra huella del padrón",
    )
    report.check(
        len(entries) == result["roll_size"],
        f"{len(entries)} organizaciones, como dice el resultado",
        f"el padrón tiene {len(entries)} organizaciones y el resultado dice {result['roll_size']}",
    )
    total = sum(micro(e["weight"]) for e in entries)
    report.check(
        weight_text(total) == result["roll_total_weight"],
        f"peso total {weight_text(total)}",
        f"el peso total del padrón es {weight_text(total)} y el resultado dice {result['roll_total_weight']}",
    )
    return {e["organisation_id"]: e for e in entries}


def check_trackers(report: Report, result: dict, trackers: list[dict]) -> None:
    report.title("Comprobantes")
    questions = result["questions"]
    counted = [t for t in trackers if t["status"] == "counted"]
    heads, weight = len(counted), sum(micro(t["weight"]) for t in counted)
    for question in questions:
        published = question["participating"]
        report.check(
            published["heads"] == heads and published["weight"] == weight_text(weight),
            f"pregunta {question['question_id']}: {heads} papeletas contadas, peso {weight_text(weight)}, "
            "igual a la participación publicada",
            f"pregunta {question['question_id']}: las papeletas contadas suman {heads} y {weight_text(weight)}, "
            f"pero la participación publicada es {published['heads']} y {published['weight']}",
        )
    n = len(questions)
    superseded = sum(1 for t in trackers if t["status"] == "superseded")
    report.check(
        result["counted"] == heads * n and result["superseded"] == superseded * n,
        f"votos contados {result['counted']} y reemplazados {result['superseded']}, como en la lista",
        f"la lista da {heads * n} votos contados y {superseded * n} reemplazados; el resultado dice "
        f"{result['counted']} y {result['superseded']}",
    )
    refused = Counter(t["reason"] for t in trackers if t["status"] == "not_admitted")
    expected = {reason: count * n for reason, count in sorted(refused.items())}
    report.check(
        expected == result.get("not_admitted", {}),
        "votos no admitidos por motivo, como en la lista",
        f"la lista da no admitidos {expected}; el resultado dice {result.get('not_admitted')}",
    )


def recount(result: dict, roll: dict[int, dict], votes: list[dict]) -> tuple[dict, list[str]]:
    """Recount vote by vote under the published rules; returns the recomputed figures and the
    problems found in the votes themselves."""
    problems: list[str] = []
    rules = result["rules"]
    consultation = result["consultation"]
    opens, closes = parse_time(consultation["voting_opens"]), parse_time(consultation["voting_closes"])
    by_pair: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for vote in votes:
        by_pair[(vote["organisation_id"], vote["question_id"])].append(vote)
        entry = roll.get(vote["organisation_id"])
        if entry is not None and (vote["weight"], vote["rut"]) != (entry["weight"], entry["rut"]):
            problems.append(f"papeleta {vote['ballot']}: el peso o el RUT no son los del padrón")
    for pair_votes in by_pair.values():
        ordered = sorted(pair_votes, key=lambda v: v["ballot"])
        effective = ordered[-1] if rules["revote"] == "last" else ordered[0]
        for vote in ordered:
            if vote is not effective and vote["status"] != "superseded":
                problems.append(f"papeleta {vote['ballot']}: debía quedar reemplazada por otra posterior")
            if vote is effective and vote["status"] == "superseded":
                problems.append(f"papeleta {vote['ballot']}: figura reemplazada pero es la que vale")
    sums: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    counted = superseded = 0
    refused: Counter[str] = Counter()
    for vote in votes:
        if vote["status"] == "superseded":
            superseded += 1
            continue
        if vote["status"] != "counted":
            refused[vote["reason"]] += 1
            if vote["reason"] == "outside_window" and opens <= parse_time(vote["cast_at"]) < closes:
                problems.append(f"papeleta {vote['ballot']}: dice fuera de plazo pero se emitió dentro")
            if vote["reason"] == "not_on_roll" and vote["organisation_id"] in roll:
                problems.append(f"papeleta {vote['ballot']}: dice fuera del padrón pero está en él")
            continue
        if not opens <= parse_time(vote["cast_at"]) < closes:
            problems.append(f"papeleta {vote['ballot']}: contada pero emitida fuera del plazo de votación")
        if vote["organisation_id"] not in roll:
            problems.append(f"papeleta {vote['ballot']}: contada pero la organización no está en el padrón")
            continue
        cell = sums[(vote["question_id"], vote["choice"])]
        cell[0] += 1
        cell[1] += micro(roll[vote["organisation_id"]]["weight"])
        counted += 1
    total = sum(micro(e["weight"]) for e in roll.values())
    quorum, majority = Fraction(rules["quorum"]), Fraction(rules["majority"])
    required = quorum * Fraction(total, MICRO)
    questions = []
    for question_id in sorted(q["question_id"] for q in result["questions"]):
        cells = {choice: sums[(question_id, choice)] for choice in CHOICES}
        participating = [sum(c[0] for c in cells.values()), sum(c[1] for c in cells.values())]
        quorum_met = Fraction(participating[1], MICRO) >= required
        denominator = cells["approve"][1] + cells["reject"][1]
        if rules["abstentions_in_majority"]:
            denominator += cells["abstain"][1]
        if denominator == 0:
            holds = False
        else:
            share = Fraction(cells["approve"][1], denominator)
            holds = share > majority if rules["majority_strict"] else share >= majority
        approved = quorum_met and holds
        questions.append(
            {
                "question_id": question_id,
                **{choice: {"heads": cells[choice][0], "weight": weight_text(cells[choice][1])} for choice in CHOICES},
                "participating": {"heads": participating[0], "weight": weight_text(participating[1])},
                "quorum_required_weight": fraction_text(required),
                "quorum_met": quorum_met,
                "majority_denominator_weight": weight_text(denominator),
                "majority_holds": holds,
                "approved": approved,
                "binding": bool(rules["binding_level"]) and quorum_met,
                "verdict": "no_quorum" if not quorum_met else ("approved" if approved else "rejected"),
            }
        )
    figures = {
        "roll_size": len(roll),
        "roll_total_weight": weight_text(total),
        "questions": questions,
        "counted": counted,
        "superseded": superseded,
        "not_admitted": dict(sorted(refused.items())),
        "ignored_not_on_roll": 0,
        "ignored_unknown_question": 0,
    }
    return figures, problems


def check_named(report: Report, result: dict, roll: dict[int, dict], votes: list[dict], trackers: list[dict]) -> None:
    report.title("Recuento voto a voto (voto nominal)")
    figures, problems = recount(result, roll, votes)
    for problem in problems[:20]:
        report.check(False, "", problem)
    if not problems:
        report.check(True, f"{len(votes)} votos revisados: plazo, padrón y reemplazos en regla", "")
    status_of = {t["tracker"]: (t["status"], t["reason"]) for t in trackers}
    mismatched = [v["ballot"] for v in votes if status_of.get(v["tracker"]) != (v["status"], v["reason"])]
    report.check(
        not mismatched,
        "cada voto tiene el mismo estado en la lista de comprobantes",
        f"papeletas con otro estado en la lista de comprobantes: {mismatched[:10]}",
    )
    for key, value in figures.items():
        if key == "questions":
            for mine, theirs in zip(value, result["questions"], strict=False):
                report.check(
                    mine == theirs,
                    f"pregunta {mine['question_id']}: el recuento da lo publicado ({mine['verdict']})",
                    f"pregunta {mine['question_id']}: el recuento da {json.dumps(mine)} y se publicó "
                    f"{json.dumps(theirs)}",
                )
            if len(value) != len(result["questions"]):
                report.check(False, "", "el número de preguntas no coincide")
        else:
            report.check(
                result.get(key) == value,
                f"{key}: {value}",
                f"{key}: el recuento da {value} y se publicó {result.get(key)}",
            )


def base_url(address: str) -> str:
    match = re.match(r"^(https?://[^?#]+?/consultas/\d+)(?:/.*)?$", address.strip())
    if not match:
        raise Unreadable("la dirección debe ser la de una consulta, como https://…/consultas/12")
    return match.group(1)


def verify(source: Source, expected: str | None, ask_code: bool) -> int:
    report = Report()
    raw = source.get("resultado.json")
    digest = sha256(raw)
    report.title("Resultado")
    print(f"  Huella SHA-256 de resultado.json: {digest}")
    if expected:
        report.check(
            digest == expected.strip().lower(), "es la huella esperada", f"no es la huella esperada ({expected})"
        )
    if source.base is not None and source.folder is None:
        try:
            with urllib.request.urlopen(f"{source.base}/resultado", timeout=60) as response:  # noqa: S310
                page = response.read().decode("utf-8", "replace")
            report.check(
                digest in page,
                "la página del resultado publica la misma huella",
                "la página del resultado publica otra huella",
            )
        except (urllib.error.URLError, OSError) as error:
            report.check(False, "", f"no se pudo leer la página del resultado: {error}")
    result = load_json(raw, "resultado.json")
    if result.get("format") != FORMAT:
        raise Unreadable(f"formato de resultado desconocido: {result.get('format')!r} (este verificador lee {FORMAT})")
    files = result.get("files", {})
    report.title("Archivos")
    contents: dict[str, bytes] = {}
    for name in sorted(files):
        data = source.get(name)
        contents[name] = data
        report.check(
            sha256(data) == files[name],
            f"{name}: huella correcta",
            f"{name}: la huella no es la que nombra el resultado (el archivo cambió)",
        )
    documents = {}
    for stem in ("padron", "comprobantes", "votos"):
        if f"{stem}.json" not in contents:
            continue
        document = load_json(contents[f"{stem}.json"], f"{stem}.json")
        report.check(
            document.get("consultation") == result["consultation"]["id"],
            f"{stem}.json es de la consulta {result['consultation']['id']}",
            f"{stem}.json es de otra consulta",
        )
        documents[stem] = document.get(LIST_KEYS[stem], [])
        if f"{stem}.csv" in contents:
            csv_matches_json(report, stem, contents[f"{stem}.csv"], documents[stem])
        if stem == "padron":
            roll_document = document
    if "padron" not in documents or "comprobantes" not in documents:
        raise Unreadable("el resultado no nombra el padrón y los comprobantes")
    report.check(
        sha256(contents["comprobantes.json"]) == result.get("trackers_hash"),
        "comprobantes.json tiene la huella de comprobantes del resultado",
        "la huella de comprobantes del resultado no es la de comprobantes.json",
    )
    roll = check_roll(report, result, roll_document)
    check_trackers(report, result, documents["comprobantes"])
    if result["consultation"].get("secrecy") == "named":
        if "votos" not in documents:
            raise Unreadable("el voto es nominal pero el resultado no nombra el archivo de votos")
        check_named(report, result, roll, documents["votos"], documents["comprobantes"])
    if ask_code:
        code = re.sub(r"[^0-9A-Za-z]", "", getpass.getpass("Código del comprobante (no se muestra): ")).upper()
        tracker = sha256("-".join(code[i : i + 4] for i in range(0, 16, 4)).encode("utf-8")) if len(code) == 16 else ""
        found = next((t for t in documents["comprobantes"] if t["tracker"] == tracker), None)
        report.title("Su comprobante")
        if found is None:
            report.check(False, "", "ese código no está en la lista de comprobantes")
        else:
            print(
                f"  Seguimiento {tracker}: estado {found['status']}"
                f"{' (' + found['reason'] + ')' if found['reason'] else ''}, peso {found['weight']}"
            )
    print()
    if report.failures:
        print(f"NO CUADRA: {report.failures} comprobaciones fallaron.")
        return 1
    print("TODO CUADRA: el resultado corresponde a los datos públicos.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verifica el resultado de una consulta de Participa.")
    parser.add_argument("direccion", nargs="?", help="dirección de la consulta, como https://…/consultas/12")
    parser.add_argument("--sha256", help="huella del resultado que espera (la del certificado)")
    parser.add_argument("--guardar", type=Path, help="guardar los archivos descargados en esta carpeta")
    parser.add_argument("--carpeta", type=Path, help="verificar archivos guardados antes, sin conexión")
    parser.add_argument("--codigo", action="store_true", help="buscar su comprobante (pide el código)")
    args = parser.parse_args(argv)
    if bool(args.direccion) == bool(args.carpeta):
        parser.error("indique la dirección de la consulta o --carpeta, uno de los dos")
    try:
        source = Source(base_url(args.direccion) if args.direccion else None, args.carpeta, args.guardar)
        return verify(source, args.sha256, args.codigo)
    except Unreadable as error:
        print(f"\nNO SE PUDO VERIFICAR: {error}", file=sys.stderr)
        return 2
    except (KeyError, TypeError, ValueError, ArithmeticError) as error:
        print(f"\nNO CUADRA: los datos no tienen la forma esperada ({type(error).__name__}: {error})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
