"""Demo data for the embedded default: an account for every role, with known passwords."""

from __future__ import annotations

from dataclasses import dataclass

import pyotp
import sqlalchemy as sa
from sqlalchemy.orm import Session

from participa.accounts.models import RoleAssignment, User
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
            audit.record(
                "account.created",
                actor=None,
                object_type="user",
                object_id=user.id,
                payload={"email": email, "via": "demo"},
            )
            audit.record(
                "role.granted",
                actor=None,
                object_type="user",
                object_id=user.id,
                payload={"role": role.value, "via": "demo", "comuna": comuna},
            )
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


def _load_demo_representation(session: Session) -> None:
    """The demo representative acts for two organisations of Renca, approved by the demo
    curator, with a small PDF as the supporting document."""
    import io

    from participa.core import storage
    from participa.registry.models import Organisation, Representation

    person = session.execute(sa.select(User).where(User.email == "representante@demo.participa.cl")).scalar()
    curator = session.execute(sa.select(User).where(User.email == "curador@demo.participa.cl")).scalar()
    if person is None or curator is None:
        return
    for number in (65_010_001, 65_010_003):
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
                decided_at=utcnow(),
                decided_by_id=curator.id,
                reason="Datos de demostración",
            )
        )
    session.flush()


def _load_demo_consultation(session: Session) -> None:
    """An admissible project of Renca and a binding consultation on it, open for voting, so that
    the demo representative can vote at once. Idempotent by the consultation's title."""
    from datetime import date, timedelta
    from decimal import Decimal

    from flask import current_app

    from participa.commitments.models import Commitment
    from participa.consultations import operations as consultations
    from participa.consultations.models import Consultation
    from participa.consultations.rules import Phase
    from participa.projects import operations as projects

    title = "Plaza activa Villa Esperanza (demostración)"
    if session.execute(sa.select(Consultation.id).where(Consultation.title == title)).scalar() is not None:
        return
    staff = session.execute(sa.select(User).where(User.email == "municipal@demo.participa.cl")).scalar()
    manager = session.execute(sa.select(User).where(User.email == "gestora@demo.participa.cl")).scalar()
    commitment = session.execute(sa.select(Commitment).order_by(Commitment.id).limit(1)).scalar()
    if staff is None or manager is None or commitment is None:
        return
    project = projects.create_project(
        session,
        actor=staff,
        data=projects.ProjectData(
            title="Plaza activa Villa Esperanza",
            summary="Recuperar la plaza de Villa Esperanza con juegos inclusivos, luminarias LED y árboles nativos.",
            description="Mejoramiento integral de la plaza: 1.200 m² de áreas verdes, juegos inclusivos, "
            "iluminación peatonal y mobiliario. Beneficia a unas 3.000 personas del sector.",
            bip_code="40051234-7",
            amount_clp=285_000_000,
            axis=commitment.axis,
            sub_axis=commitment.sub_axis,
            commitment_ids=[commitment.id],
            rate_status="RS",
            rate_date=date.today() - timedelta(days=60),
            latitude=Decimal("-33.405100"),
            longitude=Decimal("-70.725600"),
        ),
    )
    projects.submit_project(session, actor=staff, project=project)
    projects.evaluate_project(session, project.id, policy=projects.policy_from_config(current_app.config))
    now = utcnow()
    consultation = consultations.create_consultation(
        session,
        actor=manager,
        data=consultations.ConsultationData(
            title=title,
            description="Consulta vinculante de demostración a las organizaciones de Renca.",
            participation_level="binding",
            project_ids=[project.id],
            information_at=now - timedelta(days=6),
            proposals_at=now - timedelta(days=4),
            voting_at=now - timedelta(days=1),
            voting_ends_at=now + timedelta(days=14),
            electorate_comunas=[13128],
            electorate_types=[],
            cutoff_date=date.today(),
            weight_scheme={"base": "sqrt_members", "territorial": None, "cap_share": None},
            quorum=Decimal("0.3"),
            majority=(1, 2),
            majority_strict=True,
            abstentions_in_majority=False,
            revote_policy="last",
            secrecy="secret",
            secrecy_k=5,
        ),
    )
    for target in (Phase.INFORMATION, Phase.PROPOSALS, Phase.VOTING):
        consultations.change_phase(session, actor=manager, consultation=consultation, target=target, now=now)
    consultations.freeze_roll(session, consultation.id)
    consultations.compute_power_index(session, consultation.id)
    session.flush()
