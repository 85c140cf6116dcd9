"""SQLAlchemy models; importing this package registers every table on ``Base.metadata``."""

from app.models.agency import Agency, AgencyPurpose, ApiKey
from app.models.audit import AuditEvent, AuditHead, AuditIndexState, AuditSubject
from app.models.base import Base
from app.models.citizen import Citizen, IdentityCard
from app.models.cleaning import ChunkState, CleaningChunk, CleaningJob, JobState
from app.models.consent import Consent
from app.models.enums import (
    BirthDatePrecision,
    CardKind,
    CitizenField,
    MaritalStatus,
    Operation,
    Sector,
    Sex,
    VneidLevel,
)
from app.models.events import (
    CivilRequest,
    DeliveryState,
    EventHead,
    EventType,
    LifeEvent,
    Subscription,
    SubscriptionState,
    SubscriptionWatch,
    WebhookAttempt,
    WebhookDelivery,
)
from app.models.extract import ExtractChunk, ExtractJob, ExtractState
from app.models.fault import FaultRule
from app.models.household import Household
from app.models.identity_history import PersonalIdCorrection, PersonalIdHistory
from app.models.records import RecordKind, RecordStatus, SectorRecord, SectorRecordVersion
from app.models.signing_key import SigningKey

__all__ = [
    "Agency",
    "AgencyPurpose",
    "ApiKey",
    "AuditEvent",
    "AuditHead",
    "AuditIndexState",
    "AuditSubject",
    "Base",
    "BirthDatePrecision",
    "CardKind",
    "ChunkState",
    "Citizen",
    "CitizenField",
    "CivilRequest",
    "CleaningChunk",
    "CleaningJob",
    "Consent",
    "DeliveryState",
    "EventHead",
    "EventType",
    "ExtractChunk",
    "ExtractJob",
    "ExtractState",
    "FaultRule",
    "Household",
    "IdentityCard",
    "JobState",
    "LifeEvent",
    "MaritalStatus",
    "Operation",
    "PersonalIdCorrection",
    "PersonalIdHistory",
    "RecordKind",
    "RecordStatus",
    "Sector",
    "SectorRecord",
    "SectorRecordVersion",
    "Sex",
    "SigningKey",
    "Subscription",
    "SubscriptionState",
    "SubscriptionWatch",
    "VneidLevel",
    "WebhookAttempt",
    "WebhookDelivery",
]
