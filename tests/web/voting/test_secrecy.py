"""The secret ballot, attacked (DESIGN §4, Votes; issue #9).

A secret consultation whose organisations all weigh differently, with re-votes. The attacker
collects everything public (every page and download it can reach, signed in as nobody) and
everything each role other than an organisation's own representatives can see on the web
(representatives of other organisations, municipal staff, curator, manager, certifier,
administrator): every page they can reach by following links, the staff reports, the audit
events, the e-mails. No record in any of it (a table row, a list item, a paragraph, a JSON
object, a CSV row, an e-mail, an audit event) may pair an organisation's name, RUT, weight,
receipt code or tracker with a choice that organisation made. The collection runs twice: while
voting is open and after the count.

Totals by choice are public by design; the votes are laid out so that no option's total weight
equals a single organisation's weight, so a total is never mistaken for a pairing.
"""

from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
import sqlalchemy as sa

from participa.audit.models import AuditEvent
from participa.consultations import operations as consultations
from participa.consultations.models import RollEntry
from participa.consultations.rules import Phase
from participa.core.db import utcnow
from participa.mail.models import OutboxMessage
from participa.voting import operations as voting_ops
from participa.voting import tasks
from participa.voting.models import Ballot
from tests.fixtures.accounts import create_user
from tests.fixtures.consultations import representative_of, weighted_consultation
from tests.web.support import fresh_client
from tests.web.voting.helpers import post_vote

# Square roots of primes: six weights, all different, and no two or three of them add up to another.
MEMBERS = [2, 3, 5, 7, 11, 13]
# (organisation index, choice), in order: organisations 0 and 4 change their minds.
BALLOTS = [
    (0, "reject"),
    (1, "approve"),
    (2, "abstain"),
    (3, "reject"),
    (4, "approve"),
    (0, "approve"),
    (5, "abstain"),
    (4, "reject"),
]
CHOICE_WORDS = {
    "approve": ("approve", "aprobar", "aprueba"),
    "reject": ("reject", "rechazar", "rechaza"),
    "abstain": ("abstain", "abstenerse", "se abstiene"),
}
SEEDS = [
    "/",
    "/consultas",
    "/organizaciones",
    "/auditoria/",
    "/auditoria/eventos",
    "/verificar",
    "/cuenta/",
    "/mis-organizaciones",
    "/mis-votos",
    "/comuna/proyectos",
    "/gore/consultas",
    "/gore/proyectos",
    "/catastro/organizaciones",
    "/catastro/representantes",
    "/catastro/importaciones",
    "/admin/usuarios",
    "/correo-local/",
    "/datos/organizaciones.csv",
    "/datos/organizaciones.json",
]
SKIP = re.compile(r"^/(static/|cuenta/salir|cuenta/idioma|representaciones/\d+/documento)")
MAX_PAGES = 400
CODE = re.compile(r"\b[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}\b")


# --- what an artefact is made of ----------------------------------------------------------------


class Records(HTMLParser):
    """The records of a page: the text of every table row, list item, description list,
    paragraph, caption and preformatted block (nested ones count for both), and its links."""

    BLOCKS = {"tr", "li", "dl", "p", "pre", "caption", "option", "h1", "h2", "h3", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.records: list[str] = []
        self.links: list[str] = []
        self._open: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)
        if tag in self.BLOCKS:
            self._open.append((tag, []))

    def handle_endtag(self, tag: str) -> None:
        for position in range(len(self._open) - 1, -1, -1):
            if self._open[position][0] == tag:
                _tag, parts = self._open.pop(position)
                self.records.append(" ".join(parts))
                return

    def handle_data(self, data: str) -> None:
        for _tag, parts in self._open:
            parts.append(data)


def json_records(value: object) -> list[str]:
    """Every JSON object (with everything inside it) and every list item, as text."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            found.append(json.dumps(node, ensure_ascii=False))
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(value)
    return found


def csv_records(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@dataclass
class Identity:
    """What names an organisation in public or staff artefacts."""

    organisation_id: int
    tokens: set[str] = field(default_factory=set)
    choices: set[str] = field(default_factory=set)


def weight_tokens(weight: Decimal) -> set[str]:
    plain = f"{weight:.6f}"
    return {plain, plain.replace(".", ",")}


def mentions(record: str, token: str) -> bool:
    return re.search(rf"(?<![\w.,-]){re.escape(token)}(?![\w,]|\.\d)", record) is not None


def chooses(record: str, choice: str) -> bool:
    lowered = record.lower()
    return any(re.search(rf"\b{re.escape(word)}\b", lowered) for word in CHOICE_WORDS[choice])


# --- the scenario -------------------------------------------------------------------------------


@dataclass
class Scenario:
    consultation_id: int
    identities: list[Identity]
    clients: dict[str, object]  # role name -> signed-in browser (None: anonymous)
    own_orgs: dict[str, set[int]]  # role name -> organisations it represents


@pytest.fixture()
def scenario(app, session, uploads, sign_in) -> Scenario:
    consultation, _manager, people = weighted_consultation(session, MEMBERS)
    weights = dict(
        session.execute(
            sa.select(RollEntry.organisation_id, RollEntry.weight).where(RollEntry.consultation_id == consultation.id)
        ).all()
    )
    assert len(set(weights.values())) == len(MEMBERS), "the weights are all different"
    identities = []
    for org, _person in people:
        identity = Identity(
            org.id, {org.legal_name, org.rut, org.rut.replace("-", "")} | weight_tokens(weights[org.id])
        )
        identities.append(identity)
    browsers = {index: sign_in(person) for index, (_org, person) in enumerate(people)}
    for index, choice in BALLOTS:
        org, _person = people[index]
        response = post_vote(
            browsers[index], consultation.id, org.id, {q.id: choice for q in consultation.questions}, confirm=True
        )
        assert response.status_code == 302
        identities[index].choices.add(choice)
    for ballot in session.execute(sa.select(Ballot).where(Ballot.consultation_id == consultation.id)).scalars():
        identity = next(i for i in identities if i.organisation_id == ballot.organisation_id)
        identity.tokens |= {ballot.receipt_code, ballot.tracker}
    # The totals: no option's total weight is a single organisation's weight.
    finals = {index: choice for index, choice in BALLOTS}
    for choice in CHOICE_WORDS:
        total = sum(weights[people[i][0].id] for i, c in finals.items() if c == choice)
        assert total not in set(weights.values()), choice

    staff = {
        "municipal": create_user(session, roles=["municipal_staff"], comuna_cut=13128),
        "curator": create_user(session, roles=["curator"]),
        "manager": create_user(session, roles=["manager"]),
        "certifier": create_user(session, roles=["certifier"]),
        "admin": create_user(session, roles=["admin"]),
    }
    # A representative of another organisation (the first one), who also acts for a newcomer.
    outsider = people[1][1]
    clients: dict[str, object] = {"anonymous": None, "other representative": sign_in(outsider)}
    clients.update({name: sign_in(person) for name, person in staff.items()})
    own = {name: set() for name in clients}
    own["other representative"] = {people[1][0].id}
    # The consultation's own manager, too.
    clients["consultation manager"] = sign_in(_manager)
    own["consultation manager"] = set()
    representative_of(session, people[2][0], staff["curator"])  # a curator who also represents one
    own["curator"] = {people[2][0].id}
    return Scenario(consultation.id, identities, clients, own)


def close(session, consultation_id: int) -> None:
    from participa.consultations.models import Consultation

    consultation = session.get(Consultation, consultation_id)
    manager = create_user(session, roles=["manager"])
    consultations.change_phase(session, actor=manager, consultation=consultation, target=Phase.COUNTING, now=utcnow())
    session.commit()
    voting_ops.close_consultation(session, consultation_id)
    session.commit()


# --- collecting and judging ---------------------------------------------------------------------


def crawl(app, browser, consultation_id: int) -> dict[str, list[str]]:
    """Every page and download reachable from the seeds by following links, for one role."""
    if browser is None:
        browser = fresh_client(app)
    seeds = [
        *SEEDS,
        f"/consultas/{consultation_id}",
        f"/gore/consultas/{consultation_id}",
        f"/gore/consultas/{consultation_id}/admisibilidad",
        f"/gore/consultas/{consultation_id}/padron",
    ]
    queue, seen, artefacts = deque(seeds), set(seeds), {}
    while queue and len(artefacts) < MAX_PAGES:
        path = queue.popleft()
        response = browser.get(path)
        if response.status_code != 200 or response.mimetype not in ("application/json", "text/csv", "text/html"):
            continue  # a PDF or an image carries no record to pair
        body = response.get_data(as_text=True)
        if response.mimetype == "application/json":
            artefacts[path] = json_records(json.loads(body))
            continue
        if response.mimetype == "text/csv":
            artefacts[path] = csv_records(body)
            continue
        if response.mimetype != "text/html":
            continue
        parser = Records()
        parser.feed(body)
        artefacts[path] = parser.records
        for link in parser.links:
            target, _fragment = urldefrag(link)
            parts = urlsplit(target)
            if parts.netloc or not parts.path.startswith("/") or SKIP.match(parts.path):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target not in seen:
                seen.add(target)
                queue.append(target)
    # Whatever receipt code the role came across is tried on the public lookup.
    codes = {code for records in artefacts.values() for record in records for code in CODE.findall(record)}
    lookup = f"/consultas/{consultation_id}/comprobante"
    for code in sorted(codes):
        token = re.search(
            r'name="csrf_token" type="hidden" value="([^"]+)"', browser.get(lookup).get_data(as_text=True)
        )
        response = browser.post(lookup, data={"codigo": code, "csrf_token": token.group(1) if token else ""})
        parser = Records()
        parser.feed(response.get_data(as_text=True))
        artefacts[f"{lookup} with {code}"] = parser.records
    return artefacts


def leaks(records: dict[str, list[str]], identities: list[Identity], own: set[int]) -> list[str]:
    found = []
    for where, items in records.items():
        for record in items:
            for identity in identities:
                if identity.organisation_id in own:
                    continue
                named = [t for t in identity.tokens if mentions(record, t)]
                chosen = [c for c in identity.choices if chooses(record, c)]
                if named and chosen:
                    found.append(f"{where}: {named} with {chosen} in {record[:300]!r}")
    return found


def audit_and_mail_leaks(session, scenario: Scenario, queued: list[dict]) -> list[str]:
    found = []
    codes = {t for i in scenario.identities for t in i.tokens if re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", t)}
    for event in session.execute(sa.select(AuditEvent).order_by(AuditEvent.id)).scalars():
        record = f"{event.action} {event.object_type} {event.object_id} {json.dumps(event.payload, ensure_ascii=False)}"
        if any(code in record for code in codes):
            found.append(f"audit event {event.id} carries a receipt code: {record}")
        if any(chooses(record, choice) for choice in CHOICE_WORDS) and event.action.startswith("voting."):
            found.append(f"audit event {event.id} carries a choice: {record}")
    mails = [m.body for m in session.execute(sa.select(OutboxMessage)).scalars()] + [m["body"] for m in queued]
    found += leaks({"e-mail": mails}, scenario.identities, set())
    return found


@pytest.fixture()
def queued(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    sent: list[dict] = []
    original = tasks.send_email

    def send_email(recipient: str, subject: str, body: str, *, key: str | None = None) -> str:
        sent.append({"to": recipient, "subject": subject, "body": body})
        return original(recipient, subject, body, key=key)

    monkeypatch.setattr(tasks, "send_email", send_email)
    return sent


def test_no_public_or_staff_artefact_pairs_an_organisation_with_its_choice(app, session, scenario, queued):
    # The receipt e-mails, as the task writes them (beat's task on the PostgreSQL leg; on the
    # embedded leg they were sent after each vote: sent again here, to be read).
    session.execute(sa.update(Ballot).values(receipt_mailed_at=None))
    session.commit()
    tasks.mail_receipts()
    for moment in ("while voting", "after the count"):
        if moment == "after the count":
            close(session, scenario.consultation_id)
        problems, pages = [], 0
        for role, browser in scenario.clients.items():
            artefacts = crawl(app, browser, scenario.consultation_id)
            pages += len(artefacts)
            problems += [
                f"[{moment}, {role}] {leak}" for leak in leaks(artefacts, scenario.identities, scenario.own_orgs[role])
            ]
        problems += [f"[{moment}] {leak}" for leak in audit_and_mail_leaks(session, scenario, queued)]
        assert not problems, "\n".join(problems[:20])
        print(f"{moment}: {pages} pages and downloads read by {len(scenario.clients)} roles")
        assert pages > 60, f"the crawl reached only {pages} pages {moment}: the seeds or links broke"
    assert queued, "the receipt e-mails were checked"


def test_the_attacker_check_does_find_a_pairing_when_there_is_one() -> None:
    """The check above can fail: a record naming an organisation next to its choice is a leak."""
    name, weight, code = "Junta de Vecinos Número 1", "1.414214", "ABCD-EFGH-IJKL-MNOP"
    identity = Identity(1, {name, "65000001-5", weight, "1,414214", code}, {"approve", "reject"})
    other = Identity(2, {"Junta de Vecinos Número 2", "1.732051"}, {"abstain"})
    pairing = {"/a-page": [f"{name} Aprobar"], "/b-page": [f"{name} Rechazar"]}
    assert len(leaks(pairing, [identity, other], set())) == 2
    assert leaks(pairing, [identity, other], {1}) == [], "an organisation's own representatives may see it"
    assert leaks({"/c": [json.dumps({"weight": weight, "choice": "reject"})]}, [identity], set())
    assert leaks({"/d": [f"{code};approve"]}, [identity], set())
    assert leaks({"/e": [f"{name} Aprobado"]}, [identity], set()) == [], "a verdict is not a choice"
    assert leaks({"/f": ["11.414214 Aprobar"]}, [identity], set()) == [], "another number is not the weight"
    assert leaks({"/g": [f"{name} Abstenerse"]}, [identity, other], set()) == [], "a choice it never made"
