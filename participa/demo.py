"""Demo data for the embedded default: an account for every role, with known passwords."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyotp
import sqlalchemy as sa
from sqlalchemy.orm import Session

from participa.accounts.models import RoleAssignment, User
from participa.accounts.operations import record_created_with_role
from participa.accounts.rules import STAFF_ROLES, Role
from participa.audit import operations as audit
from participa.commitments.operations import load_commitments
from participa.core.db import utcnow
from participa.core.security import hash_password
from participa.territory.operations import load_comunas


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    role: str
    totp_secret: str | None


DEMO_PEOPLE = [
    ("admin@demo.participa.cl", "Ana Administradora", Role.ADMIN, None),
    ("curador@demo.participa.cl", "Carlos Curador", Role.CURATOR, None),
    ("gestora@demo.participa.cl", "Gabriela Gestora", Role.MANAGER, None),
    ("certifica1@demo.participa.cl", "Cecilia Certificadora", Role.CERTIFIER, None),
    ("certifica2@demo.participa.cl", "Claudio Certificador", Role.CERTIFIER, None),
    ("programa@demo.participa.cl", "Patricia Programa", Role.PROGRAMME_STAFF, None),
    ("red@demo.participa.cl", "Renata Red", Role.NETWORK_STAFF, None),
    ("municipal@demo.participa.cl", "Matías Municipal (Renca)", Role.MUNICIPAL_STAFF, 13128),
    ("facilita@demo.participa.cl", "Francisca Facilitadora", Role.FACILITATOR, None),
    ("representante@demo.participa.cl", "Rosa Representante", Role.REPRESENTATIVE, None),
]
DEMO_PASSWORD = "participa-demo-2026"  # noqa: S105 - printed by make run, demo only


def load_demo(session: Session, *, if_empty: bool = False) -> list[DemoAccount] | None:
    """Create the demo accounts (idempotent by e-mail). With ``if_empty``, create nothing when
    the database already has any account, and return the demo accounts present (or ``None``)."""
    load_comunas(session)
    load_commitments(session)
    if if_empty and session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one():
        # Not empty: create nothing, but list the demo accounts that are there.
        found = session.execute(sa.select(User).where(User.email.in_([p[0] for p in DEMO_PEOPLE]))).scalars()
        by_email = {u.email: u for u in found}
        return [
            DemoAccount(email, DEMO_PASSWORD, role.value, by_email[email].totp_secret)
            for email, _name, role, _comuna in DEMO_PEOPLE
            if email in by_email
        ] or None
    now = utcnow()
    accounts = []
    for email, name, role, comuna in DEMO_PEOPLE:
        user = session.execute(sa.select(User).where(User.email == email)).scalar_one_or_none()
        if user is None:
            user = User(
                email=email,
                name=name,
                password_hash=hash_password(DEMO_PASSWORD),
                email_confirmed_at=now,
                comuna_cut=comuna,
            )
            if role in STAFF_ROLES:
                user.totp_secret = pyotp.random_base32()
                user.totp_confirmed_at = now
            user.roles.append(RoleAssignment(role=role))
            session.add(user)
            session.flush()
            record_created_with_role(user, role, via="demo", comuna=comuna)
        accounts.append(DemoAccount(email, DEMO_PASSWORD, role.value, user.totp_secret))
    session.flush()
    _load_demo_organisations(session)
    return accounts


DEMO_ORGANISATIONS = [
    # (RUT number, name, type, comuna CUT, members, status)
    (65_010_001, "Junta de Vecinos Villa Esperanza", "junta_vecinos", 13128, 210, "verified"),
    (65_010_002, "Junta de Vecinos Población Huamachuco", "junta_vecinos", 13128, 340, "verified"),
    (65_010_003, "Club Deportivo Renca Unido", "funcional", 13128, 95, "verified"),
    (65_010_004, "Centro Cultural Cerro Colorado", "funcional", 13128, 40, "verified"),
    (65_010_005, "Unión Comunal de Juntas de Vecinos de Renca", "union_comunal", 13128, 48, "verified"),
    (65_010_006, "Junta de Vecinos Los Aromos de Ñuñoa", "junta_vecinos", 13120, 180, "verified"),
    (65_010_007, "Agrupación de Adultos Mayores Años Dorados", "funcional", 13120, 60, "verified"),
    (65_010_008, "Fundación Barrio Activo", "fundacion", 13101, 12, "verified"),
    (65_010_009, "Junta de Vecinos Santa Julia", "junta_vecinos", 13110, 260, "suspended"),
    (65_010_010, "Comité de Adelanto Villa Los Presidentes", "funcional", 13110, 33, "pending"),
    (65_010_011, "Corporación Cultural Puente Alto", "corporacion", 13201, 25, "verified"),
    (65_010_012, "Asociación de Feriantes de Maipú", "asociacion", 13119, 150, "dissolved"),
]


def _load_demo_organisations(session: Session) -> None:
    """A few organisations of several comunas, types and states, so that the directory, the
    curator's lists and (later) consultations have something to show. Idempotent by RUT."""
    from datetime import date

    from participa.core.rut import check_digit
    from participa.registry.models import Organisation

    now = utcnow()
    for number, name, org_type, comuna, members, status in DEMO_ORGANISATIONS:
        rut = f"{number}-{check_digit(number)}"
        if session.execute(sa.select(Organisation.id).where(Organisation.rut == rut)).scalar() is not None:
            continue
        organisation = Organisation(
            rut=rut,
            legal_name=name,
            org_type=org_type,
            comuna_cut=comuna,
            members_count=members,
            registry_number=str(number % 100_000),
            address="Dirección de demostración s/n",
            board_term_start=date(2024, 4, 1),
            board_term_end=date(2027, 3, 31),
            status=status,
            status_reason=None if status == "pending" else "Datos de demostración",
            status_changed_at=None if status == "pending" else now,
        )
        session.add(organisation)
        session.flush()
        audit.record(
            "registry.organisation_created",
            actor=None,
            object_type="organisation",
            object_id=organisation.id,
            payload={"rut": rut, "via": "demo", "status": status},
        )
    session.flush()
    _load_demo_representation(session)
    _load_demo_consultation(session)
    _load_demo_network(session)


# Who acts for each verified organisation of Renca: the demo representative for two, and a person
# of their own for the others (same demo password), approved by the demo curator months ago.
DEMO_REPRESENTATIVES = [
    (65_010_001, "representante@demo.participa.cl", "Rosa Representante"),
    (65_010_003, "representante@demo.participa.cl", "Rosa Representante"),
    (65_010_002, "huamachuco@demo.participa.cl", "Hugo Huamachuco"),
    (65_010_004, "cerrocolorado@demo.participa.cl", "Clara Colorado"),
    (65_010_005, "unioncomunal@demo.participa.cl", "Ulises Unión"),
]
# Their RUTs (numbers; the check digit is computed), typed at an in-person session's check-in:
# Rosa 16.000.001-5, Hugo 16.000.002-3, Clara 16.000.003-1, Ulises 16.000.004-K.
DEMO_PERSON_RUTS = {
    "representante@demo.participa.cl": 16_000_001,
    "huamachuco@demo.participa.cl": 16_000_002,
    "cerrocolorado@demo.participa.cl": 16_000_003,
    "unioncomunal@demo.participa.cl": 16_000_004,
    "enlace.maipu@demo.participa.cl": 16_000_005,
}
APPROVED_DAYS_AGO = 90


def _demo_person(session: Session, email: str, name: str) -> User:
    from participa.core.rut import check_digit

    number = DEMO_PERSON_RUTS[email]
    person = session.execute(sa.select(User).where(User.email == email)).scalar()
    if person is None:
        person = User(
            email=email,
            name=name,
            password_hash=hash_password(DEMO_PASSWORD),
            email_confirmed_at=utcnow(),
            roles=[RoleAssignment(role=Role.REPRESENTATIVE)],
        )
        session.add(person)
        session.flush()
        audit.record(
            "account.created",
            actor=None,
            object_type="user",
            object_id=person.id,
            payload={"email": email, "via": "demo"},
        )
    if person.rut is None:
        person.rut = f"{number}-{check_digit(number)}"
    return person


def _load_demo_representation(session: Session) -> None:
    """Every verified organisation of Renca has a representative, approved by the demo curator,
    with a small PDF as the supporting document."""
    import io
    from datetime import timedelta

    from participa.core import storage
    from participa.registry.models import Organisation, Representation

    curator = session.execute(sa.select(User).where(User.email == "curador@demo.participa.cl")).scalar()
    if curator is None:
        return
    approved_at = utcnow() - timedelta(days=APPROVED_DAYS_AGO)
    for number, email, name in DEMO_REPRESENTATIVES:
        person = _demo_person(session, email, name)
        organisation = session.execute(sa.select(Organisation).where(Organisation.rut.like(f"{number}-_"))).scalar_one()
        exists = session.execute(
            sa.select(Representation.id).where(
                Representation.user_id == person.id, Representation.organisation_id == organisation.id
            )
        ).scalar()
        if exists is not None:
            continue
        document = storage.save_upload(
            io.BytesIO(b"%PDF-1.4\n% Participa: documento de demostracion\n%%EOF\n"),
            "representations",
            suffix=".bin",
            max_bytes=1024,
        )
        session.add(
            Representation(
                user_id=person.id,
                organisation_id=organisation.id,
                position="presidente",
                document_name="certificado-directorio-demo.pdf",
                document_stored=document.name,
                document_type="application/pdf",
                document_sha256=document.sha256,
                status="approved",
                requested_at=approved_at,
                decided_at=approved_at,
                approved_at=approved_at,
                decided_by_id=curator.id,
                reason="Datos de demostración",
            )
        )
    session.flush()


@dataclass(frozen=True)
class DemoProject:
    title: str
    summary: str
    description: str
    bip_code: str
    amount_clp: int
    latitude: str
    longitude: str


PLAZA = DemoProject(
    "Plaza activa Villa Esperanza",
    "Recuperar la plaza de Villa Esperanza con juegos inclusivos, luminarias LED y árboles nativos.",
    "Mejoramiento integral de la plaza: 1.200 m² de áreas verdes, juegos inclusivos, iluminación peatonal y "
    "mobiliario. Beneficia a unas 3.000 personas del sector.",
    "40051234-7",
    285_000_000,
    "-33.405100",
    "-70.725600",
)
LUMINARIAS = DemoProject(
    "Luminarias LED en pasajes de Renca",
    "Cambiar 640 luminarias de pasajes por luces LED para caminar más seguro de noche.",
    "Reemplazo de 640 luminarias de sodio por LED en pasajes y veredas de seis unidades vecinales, con "
    "telegestión. Baja el consumo eléctrico municipal en un 55 %.",
    "40052210-3",
    412_500_000,
    "-33.403900",
    "-70.733100",
)
SEDE = DemoProject(
    "Sede social Cerro Colorado",
    "Construir una sede social de 180 m² para las organizaciones del sector Cerro Colorado.",
    "Sede de un piso con salón multiuso, cocina, baños accesibles y bodega, en el terreno municipal de la "
    "calle Los Copihues. Uso compartido por juntas de vecinos, clubes y talleres.",
    "40053318-5",
    198_000_000,
    "-33.398700",
    "-70.719400",
)


def _demo_project(session: Session, staff: User, commitment: Any, demo: DemoProject) -> Any:
    from datetime import date, timedelta
    from decimal import Decimal

    from flask import current_app

    from participa.projects import operations as projects

    project = projects.create_project(
        session,
        actor=staff,
        data=projects.ProjectData(
            title=demo.title,
            summary=demo.summary,
            description=demo.description,
            bip_code=demo.bip_code,
            amount_clp=demo.amount_clp,
            axis=commitment.axis,
            sub_axis=commitment.sub_axis,
            commitment_ids=[commitment.id],
            rate_status="RS",
            rate_date=date.today() - timedelta(days=120),
            latitude=Decimal(demo.latitude),
            longitude=Decimal(demo.longitude),
        ),
    )
    projects.submit_project(session, actor=staff, project=project)
    projects.evaluate_project(session, project.id, policy=projects.policy_from_config(current_app.config))
    return project


# Ballots of the closed demo consultations: (RUT number, hours after voting opened, choice).
SECRET_BALLOTS = [
    (65_010_001, 5, "reject"),
    (65_010_002, 9, "approve"),
    (65_010_003, 30, "approve"),
    (65_010_004, 50, "abstain"),
    (65_010_001, 70, "approve"),  # Villa Esperanza votes again
]
NAMED_BALLOTS = [
    (65_010_002, 3, "approve"),
    (65_010_004, 8, "approve"),
    (65_010_005, 26, "reject"),
    (65_010_001, 40, "approve"),
    (65_010_004, 61, "reject"),  # Cerro Colorado changes its vote
    (65_010_003, 75, "abstain"),
]


def _load_demo_consultation(session: Session) -> None:
    """Three consultations of Renca: one open for voting, so that the demo representative can
    vote at once, and two closed with their results (one secret, awaiting certification, one
    named and certified), so that a newcomer sees the public record, the trackers, the recount
    and a certificate without acting as a manager or certifier. Idempotent by the
    consultations' titles."""
    from datetime import timedelta

    from participa.commitments.models import Commitment
    from participa.consultations.models import Consultation
    from participa.consultations.rules import Phase

    staff = session.execute(sa.select(User).where(User.email == "municipal@demo.participa.cl")).scalar()
    manager = session.execute(sa.select(User).where(User.email == "gestora@demo.participa.cl")).scalar()
    commitment = session.execute(sa.select(Commitment).order_by(Commitment.id).limit(1)).scalar()
    if staff is None or manager is None or commitment is None:
        return
    now = utcnow()
    titles = set(session.execute(sa.select(Consultation.title)).scalars())
    plaza = "Plaza activa Villa Esperanza (demostración)"
    if plaza not in titles:
        _demo_consultation(
            session,
            manager,
            plaza,
            "Consulta vinculante de demostración a las organizaciones de Renca, abierta para votar.",
            _demo_project(session, staff, commitment, PLAZA),
            now - timedelta(days=1),
            now + timedelta(days=14),
            {"base": "sqrt_members", "territorial": None, "cap_share": None},
            "secret",
        )
    luminarias = "Luminarias LED en pasajes de Renca (demostración, voto secreto)"
    if luminarias not in titles:
        closed = _demo_consultation(
            session,
            manager,
            luminarias,
            "Consulta vinculante cerrada, con voto secreto: se publican los totales y los comprobantes.",
            _demo_project(session, staff, commitment, LUMINARIAS),
            now - timedelta(days=20),
            now - timedelta(days=10),
            {"base": "equal", "territorial": None, "cap_share": None},
            "secret",
        )
        _vote_and_close(session, manager, closed, SECRET_BALLOTS)
    sede = "Sede social Cerro Colorado (demostración, voto nominal)"
    _load_demo_named(session, manager, staff, commitment, titles, sede)
    session.flush()
    _plan_demo_session(session, manager, plaza)
    certified = session.execute(sa.select(Consultation).where(Consultation.title == sede)).scalar_one_or_none()
    if certified is not None and certified.phase == Phase.CERTIFICATION:
        _certify_demo(session, certified.id)


def _load_demo_named(
    session: Session, manager: User, staff: User, commitment: Any, titles: set[str], sede: str
) -> None:
    """The closed consultation with a named ballot (certified by the caller)."""
    from datetime import timedelta

    now = utcnow()
    if sede not in titles:
        closed = _demo_consultation(
            session,
            manager,
            sede,
            "Consulta vinculante cerrada, con voto nominal: se publica el voto de cada organización.",
            _demo_project(session, staff, commitment, SEDE),
            now - timedelta(days=40),
            now - timedelta(days=30),
            {
                "base": "by_type",
                "type_table": {"junta_vecinos": "2", "union_comunal": "3"},
                "territorial": None,
                "cap_share": None,
            },
            "named",
        )
        _vote_and_close(session, manager, closed, NAMED_BALLOTS)


def _demo_consultation(
    session: Session,
    manager: User,
    title: str,
    description: str,
    project: Any,
    opens: Any,
    closes: Any,
    scheme: dict,
    secrecy: str,
) -> Any:
    """A binding consultation of Renca on one project, walked to voting with its roll frozen."""
    from datetime import timedelta
    from decimal import Decimal

    from participa.consultations import operations as consultations
    from participa.consultations.rules import Phase

    now = utcnow()
    created = consultations.create_consultation(
        session,
        actor=manager,
        data=consultations.ConsultationData(
            title=title,
            description=description,
            participation_level="binding",
            project_ids=[project.id],
            information_at=opens - timedelta(days=6),
            proposals_at=opens - timedelta(days=4),
            voting_at=opens,
            voting_ends_at=closes,
            electorate_comunas=[13128],
            electorate_types=[],
            cutoff_date=(opens - timedelta(days=1)).date(),
            weight_scheme=scheme,
            quorum=Decimal("0.3"),
            majority=(1, 2),
            majority_strict=True,
            abstentions_in_majority=False,
            revote_policy="last",
            secrecy=secrecy,
        ),
    )
    for target in (Phase.INFORMATION, Phase.PROPOSALS, Phase.VOTING):
        consultations.change_phase(session, actor=manager, consultation=created, target=target, now=now)
    consultations.freeze_roll(session, created.id)
    consultations.compute_power_index(session, created.id)
    return created


def _vote_and_close(session: Session, manager: User, closed: Any, ballots: list[tuple[int, int, str]]) -> None:
    """The demo organisations' ballots, then the close, as a worker would run it."""
    from datetime import timedelta

    from flask import current_app

    from participa.consultations import operations as consultations
    from participa.consultations.rules import Phase
    from participa.registry.models import Organisation, Representation
    from participa.voting import operations as voting
    from participa.voting.models import Ballot

    now = utcnow()
    for number, hours, choice in ballots:
        organisation = session.execute(sa.select(Organisation).where(Organisation.rut.like(f"{number}-_"))).scalar_one()
        person = session.execute(
            sa.select(User)
            .join(Representation, Representation.user_id == User.id)
            .where(Representation.organisation_id == organisation.id, Representation.status == "approved")
            .order_by(User.id)
            .limit(1)
        ).scalar_one()
        cast_at = closed.voting_at + timedelta(hours=hours)
        ballot = voting.cast_ballot(
            session,
            actor=person,
            consultation=closed,
            organisation_id=organisation.id,
            answers={q.id: choice for q in closed.questions},
            now=cast_at,
            secret_key=current_app.config["SECRET_KEY"],
        )
        session.execute(sa.update(Ballot).where(Ballot.id == ballot.id).values(receipt_mailed_at=cast_at))
    consultations.change_phase(session, actor=manager, consultation=closed, target=Phase.COUNTING, now=now)
    voting.close_consultation(session, closed.id)


def _plan_demo_session(session: Session, manager: User, title: str) -> None:
    """An in-person session of the open consultation, run by the demo facilitator, so that a
    newcomer can open it on the tablet app (/facilitacion/) and check in a representative by RUT."""
    from datetime import timedelta

    from participa.consultations.models import Consultation
    from participa.facilitation import operations as facilitation
    from participa.facilitation.models import InPersonSession

    consultation = session.execute(sa.select(Consultation).where(Consultation.title == title)).scalar_one_or_none()
    facilitator = session.execute(sa.select(User).where(User.email == "facilita@demo.participa.cl")).scalar()
    if consultation is None or facilitator is None:
        return
    if session.execute(sa.select(InPersonSession.id).where(InPersonSession.consultation_id == consultation.id)).first():
        return
    now = utcnow()
    facilitation.plan_session(
        session,
        actor=manager,
        consultation=consultation,
        plan=facilitation.SessionPlan(
            place="Sede Junta de Vecinos Villa Esperanza, Renca",
            comuna_cut=13128,
            starts_at=now - timedelta(hours=1),
            ends_at=min(now + timedelta(days=7), consultation.voting_ends_at),
            facilitator_id=facilitator.id,
        ),
    )


def _certify_demo(session: Session, consultation_id: int) -> None:
    """Both demo certifiers approve the consultation's result, so that a newcomer can open a
    certificate, print it and scan its QR code. Each approval is its own transaction, as on the
    site: the certificate names the audit block that seals the consultation's last event, which
    the sealer takes once committed."""
    from participa.certification import operations as certification
    from participa.certification.rules import Decision

    session.commit()
    for email in ("certifica1@demo.participa.cl", "certifica2@demo.participa.cl"):
        certifier = session.execute(sa.select(User).where(User.email == email)).scalar_one()
        result = certification.current_result(session, consultation_id)
        assert result is not None
        certification.decide(
            session,
            actor=certifier,
            consultation_id=consultation_id,
            decision=Decision.APPROVE,
            reason=None,
            seen_sha256=result.sha256,
            now=utcnow(),
        )
        session.commit()


# The pilot of the regional open-government network (seed commitment 4): Renca, Peñalolén, San
# Joaquín and Maipú, and the regional civil-society council. Renca's municipal officer is its
# liaison; Maipú's is a person of its own. Renca shared a practice, published; Maipú replicated it.
DEMO_PILOT = (13128, 13122, 13129, 13119)


def _load_demo_network(session: Session) -> None:
    from datetime import date

    from participa.network import operations as network
    from participa.network.models import NetworkMember

    if session.execute(sa.select(NetworkMember.id)).first():
        return
    staff = session.execute(sa.select(User).where(User.email == "red@demo.participa.cl")).scalar_one()
    started = date(2026, 3, 1)
    members = {
        cut: network.add_member(session, actor=staff, kind="municipality", comuna_cut=cut, organisation_id=None,
                                name="", status="pilot", joined_on=started)
        for cut in DEMO_PILOT
    }  # fmt: skip
    network.add_member(session, actor=staff, kind="council", comuna_cut=None, organisation_id=None,
                       name="Consejo Regional de la Sociedad Civil", status="pilot", joined_on=started)  # fmt: skip
    network.set_liaison(session, actor=staff, member=members[13128], email="municipal@demo.participa.cl")
    maipu = _demo_person(session, "enlace.maipu@demo.participa.cl", "Mauricio Maipú")
    network.set_liaison(session, actor=staff, member=members[13119], email=maipu.email)
    renca = session.execute(sa.select(User).where(User.email == "municipal@demo.participa.cl")).scalar_one()
    data = network.PracticeData(
        member_id=members[13128].id,
        title="Cuenta pública participativa por barrio",
        summary="Cada barrio de Renca recibe la cuenta pública de su sector y la comenta en una asamblea abierta.",
        pillar="accountability",
        results="Doce asambleas, 1.400 asistentes y 210 preguntas respondidas por escrito en un mes.",
        how_to_replicate="Un calendario de asambleas, un resumen por barrio en lenguaje claro y un equipo de actas.",
    )
    now = utcnow()
    practice = network.submit_practice(session, actor=renca, data=data, now=now)
    network.review_practice(session, actor=staff, practice=practice, decision="publish", reason="", now=now)
    network.replicate_practice(session, actor=maipu, practice=practice, member_id=members[13119].id,
                               note="La hicimos en cinco villas de Maipú en 2026.", now=now)  # fmt: skip
    session.flush()
