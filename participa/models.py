"""Every model, imported once so that the metadata is complete (Alembic, tests)."""

from participa.accounts.models import AccountToken, LoginAttempt, RoleAssignment, User
from participa.admissibility.models import AdmissibilityDecision
from participa.audit.models import AuditBlock, AuditEvent, AuditSeal
from participa.certification.models import Certification, CertificationDecision, CommitmentEvidence
from participa.commitments.models import Commitment, CommitmentDocument, CommitmentVersion
from participa.consultations.models import Consultation, PowerIndex, Question, RollEntry
from participa.core.db import Base
from participa.core.outbox import QueuedTask
from participa.facilitation.models import InPersonSession, SessionCheckin, SyncRefusal
from participa.mail.models import MailMessage, OutboxMessage
from participa.network.models import Meeting, MeetingRegistration, NetworkMember, Practice, PracticeReplication
from participa.opendata.models import DataRequest, DataRequestSupport
from participa.projects.models import Project, ProjectAttachment
from participa.proposals.models import Proposal, ProposalSupport
from participa.registry.models import ImportBatch, ImportRow, Organisation, Representation
from participa.territory.models import Comuna
from participa.voting.models import Ballot, TallyResult, Vote, VoteDecision

metadata = Base.metadata

__all__ = [
    "AccountToken",
    "AdmissibilityDecision",
    "AuditBlock",
    "AuditEvent",
    "AuditSeal",
    "Ballot",
    "Certification",
    "CertificationDecision",
    "Commitment",
    "CommitmentDocument",
    "CommitmentEvidence",
    "CommitmentVersion",
    "Comuna",
    "Consultation",
    "DataRequest",
    "DataRequestSupport",
    "ImportBatch",
    "ImportRow",
    "InPersonSession",
    "LoginAttempt",
    "MailMessage",
    "Meeting",
    "MeetingRegistration",
    "NetworkMember",
    "Organisation",
    "OutboxMessage",
    "PowerIndex",
    "Practice",
    "PracticeReplication",
    "Project",
    "ProjectAttachment",
    "Proposal",
    "ProposalSupport",
    "Question",
    "QueuedTask",
    "Representation",
    "RoleAssignment",
    "RollEntry",
    "SessionCheckin",
    "SyncRefusal",
    "TallyResult",
    "User",
    "Vote",
    "VoteDecision",
    "metadata",
]
