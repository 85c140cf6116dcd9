"""Demo agencies, one or more per sector, with policies modelled on real uses.

Names are fictional. Their API keys are fixed and documented (sandbox mode
only), so `make run` can print them at every start.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.agencies import repository, service
from app.agencies.keys import demo_api_key
from app.agencies.schemas import AgencyCreate, AgencyLimits, PurposeWrite
from app.models.enums import CitizenField as F
from app.models.enums import Operation as Op
from app.models.enums import Sector

IDENTITY = [F.PERSONAL_ID, F.FULL_NAME, F.BIRTH_DATE, F.SEX]
# Generous, so workshops and connector runs are not throttled; new agencies get 50/s.
DEMO_LIMITS = AgencyLimits(rate_per_second=1000, burst=2000)


def _purpose(
    description: str,
    operations: list[Op],
    fields: list[F],
    *,
    legal_basis: str | None = None,
    consent_required: bool = False,
) -> PurposeWrite:
    return PurposeWrite(
        description=description,
        operations=operations,
        fields=fields,
        legal_basis=legal_basis,
        consent_required=consent_required,
    )


DEMO_AGENCIES: list[AgencyCreate] = [
    AgencyCreate(
        code="saomai-telecom",
        name="Sao Mai Telecom (demo)",
        sector=Sector.TELECOM,
        limits=DEMO_LIMITS,
        purposes={
            "subscriber_verification": _purpose(
                "Check a subscriber's ID, name and birth date at SIM registration and clean-up",
                [Op.VERIFY, Op.BATCH_VERIFY, Op.CLEAN],
                [F.PERSONAL_ID, F.FULL_NAME, F.BIRTH_DATE, F.PHONE],
                legal_basis="Decree 163/2024/ND-CP (subscriber information)",
            )
        },
    ),
    AgencyCreate(
        code="phusa-bank",
        name="Ngân hàng Phù Sa (demo)",
        sector=Sector.BANK,
        limits=DEMO_LIMITS,
        purposes={
            "kyc_onboarding": _purpose(
                "Verify a new customer against the chip card and read the KYC set",
                [Op.LOOKUP, Op.VERIFY, Op.BATCH_VERIFY],
                [
                    *IDENTITY,
                    F.NATIONALITY,
                    F.PERMANENT_ADDRESS,
                    F.CURRENT_ADDRESS,
                    F.CARDS,
                    F.VITAL_STATUS,
                ],
                legal_basis="Circular 17/2024/TT-NHNN",
            ),
            "kyc_refresh": _purpose(
                "Periodic re-verification of existing customers and their phone numbers",
                [Op.VERIFY, Op.BATCH_VERIFY, Op.CLEAN, Op.SUBSCRIBE],
                [*IDENTITY, F.PHONE, F.VITAL_STATUS],
                legal_basis="Circular 17/2024/TT-NHNN",
            ),
            "contact_update": _purpose(
                "Read a customer's phone and email to update contact details",
                [Op.LOOKUP],
                [F.PERSONAL_ID, F.FULL_NAME, F.PHONE, F.EMAIL],
                legal_basis="Customer consent (Decree 13/2023/ND-CP)",
                consent_required=True,
            ),
        },
    ),
    AgencyCreate(
        code="honglinh-hospital",
        name="Bệnh viện Đa khoa Hồng Lĩnh (demo)",
        sector=Sector.HOSPITAL,
        limits=DEMO_LIMITS,
        purposes={
            "patient_checkin": _purpose(
                "Check in a patient by chip card instead of the health-insurance card",
                [Op.LOOKUP, Op.VERIFY, Op.BATCH_VERIFY],
                [
                    *IDENTITY,
                    F.HEALTH_INSURANCE_CARD,
                    F.HEALTH_INSURANCE,
                    F.PERMANENT_ADDRESS,
                    F.VITAL_STATUS,
                ],
                legal_basis="Decision 06/QD-TTg (health-insurance check-in by chip card)",
            ),
            "immunisation_records": _purpose(
                "Record the vaccine doses given here in the national immunisation register",
                [Op.ENRICH],
                [*IDENTITY, F.VACCINATIONS],
                legal_basis="Law on Prevention and Control of Infectious Diseases 2007",
            ),
            "patient_records": _purpose(
                "Clean the patient register: check each record and take the registry's values",
                [Op.CLEAN, Op.LOOKUP],
                [*IDENTITY, F.HEALTH_INSURANCE_CARD, F.VITAL_STATUS],
                legal_basis="Decision 06/QD-TTg (health-insurance check-in by chip card)",
            ),
            "emergency_care": _purpose(
                "Identify an unconscious patient and reach relatives; no consent, flagged",
                [Op.LOOKUP],
                [
                    *IDENTITY,
                    F.BLOOD_TYPE,
                    F.HEALTH_INSURANCE_CARD,
                    F.PHONE,
                    F.FATHER,
                    F.MOTHER,
                    F.SPOUSE,
                    F.CURRENT_ADDRESS,
                ],
                legal_basis="Decree 13/2023/ND-CP Art. 17 (emergencies)",
            ),
        },
    ),
    AgencyCreate(
        code="social-insurance-demo",
        name="Bảo hiểm Xã hội Tỉnh Demo",
        sector=Sector.SOCIAL_INSURANCE,
        limits=DEMO_LIMITS,
        purposes={
            "benefit_records": _purpose(
                "Match insurance books to personal IDs and stop benefits after death",
                [Op.LOOKUP, Op.VERIFY, Op.BATCH_VERIFY, Op.CLEAN, Op.SUBSCRIBE],
                [
                    *IDENTITY,
                    F.LEGACY_ID,
                    F.PERMANENT_ADDRESS,
                    F.SOCIAL_INSURANCE_NUMBER,
                    F.HEALTH_INSURANCE_CARD,
                    F.VITAL_STATUS,
                    F.DEATH_DATE,
                ],
                legal_basis="Law on Social Insurance 2024",
            ),
            "insurance_records": _purpose(
                "Link health-insurance cards and social-insurance books to personal IDs",
                [Op.ENRICH],
                [*IDENTITY, F.HEALTH_INSURANCE, F.SOCIAL_INSURANCE],
                legal_basis="Law on Social Insurance 2024; Law on Health Insurance 2008",
            ),
        },
    ),
    AgencyCreate(
        code="civil-registry-demo",
        name="Sở Tư pháp Tỉnh Demo (civil registry)",
        sector=Sector.CIVIL_REGISTRY,
        limits=DEMO_LIMITS,
        purposes={
            "civil_status": _purpose(
                "Register births, deaths and marriages; read family links",
                [Op.LOOKUP, Op.VERIFY, Op.SUBSCRIBE, Op.REGISTER],
                [
                    *IDENTITY,
                    F.OTHER_NAMES,
                    F.PLACE_OF_BIRTH,
                    F.BIRTH_REGISTRATION_PROVINCE,
                    F.HOMETOWN,
                    F.ETHNICITY,
                    F.NATIONALITY,
                    F.FATHER,
                    F.MOTHER,
                    F.SPOUSE,
                    F.CHILDREN,
                    F.GUARDIAN,
                    F.MARITAL_STATUS,
                    F.HOUSEHOLD,
                    F.PERMANENT_ADDRESS,
                    F.TEMPORARY_ADDRESS,
                    F.CURRENT_ADDRESS,
                    F.RELIGION,
                    F.CARDS,
                    F.VITAL_STATUS,
                    F.DEATH_DATE,
                ],
                legal_basis="Law on Civil Status 2014; Law on Residence 2020",
            )
        },
    ),
    AgencyCreate(
        code="education-ministry-demo",
        name="Ministry of Education (demo)",
        sector=Sector.MINISTRY,
        limits=DEMO_LIMITS,
        purposes={
            "school_enrolment": _purpose(
                "Enrol pupils and verify exam candidates",
                [Op.LOOKUP, Op.VERIFY, Op.BATCH_VERIFY],
                [*IDENTITY, F.PLACE_OF_BIRTH, F.ETHNICITY, F.PERMANENT_ADDRESS, F.FATHER, F.MOTHER],
                legal_basis="Law on Education 2019",
            )
        },
    ),
    AgencyCreate(
        code="tax-authority-demo",
        name="Tax Authority (demo)",
        sector=Sector.MINISTRY,
        limits=DEMO_LIMITS,
        purposes={
            "tax_registration": _purpose(
                "Use the personal ID as tax code and verify taxpayers",
                [Op.LOOKUP, Op.VERIFY, Op.BATCH_VERIFY],
                [*IDENTITY, F.PERMANENT_ADDRESS, F.TAX_CODE, F.VITAL_STATUS],
                legal_basis="Law on Tax Administration 2019",
            ),
            "taxpayer_records": _purpose(
                "Link taxpayer registrations to personal IDs",
                [Op.ENRICH],
                [*IDENTITY, F.TAX_REGISTRATION],
                legal_basis="Law on Tax Administration 2019",
            ),
        },
    ),
    AgencyCreate(
        code="transport-licensing-demo",
        name="Sở Giao thông Vận tải Tỉnh Demo (demo)",
        sector=Sector.LOCAL_GOVERNMENT,
        limits=DEMO_LIMITS,
        purposes={
            "licence_issuing": _purpose(
                "Link the driving licences it issues to their holders' personal IDs",
                [Op.ENRICH, Op.VERIFY],
                [*IDENTITY, F.DRIVING_LICENCE],
                legal_basis="Law on Road Traffic Order and Safety 2024",
            )
        },
    ),
    AgencyCreate(
        code="traffic-police-demo",
        name="Phòng Cảnh sát giao thông Công an Tỉnh Demo (demo)",
        sector=Sector.MINISTRY,
        limits=DEMO_LIMITS,
        purposes={
            "traffic_control": _purpose(
                "Check a driver's identity, licence and vehicles at a roadside stop",
                [Op.LOOKUP],
                [*IDENTITY, F.DRIVING_LICENCE, F.VEHICLE_REGISTRATIONS],
                legal_basis="Law on Road Traffic Order and Safety 2024",
            ),
            "vehicle_registration": _purpose(
                "Link the vehicle registrations it issues to their owners' personal IDs",
                [Op.ENRICH],
                [*IDENTITY, F.VEHICLE_REGISTRATIONS],
                legal_basis="Circular 79/2024/TT-BCA (vehicle registration)",
            ),
        },
    ),
    AgencyCreate(
        # Planning and the statistics office belong to the Ministry of Finance since 2025.
        code="planning-ministry-demo",
        name="Bộ Tài chính – Kế hoạch và Thống kê (demo)",
        sector=Sector.MINISTRY,
        limits=DEMO_LIMITS,
        purposes={
            "population_planning": _purpose(
                "Plan schools, clinics and pensions from population counts by place, sex, "
                "age, ethnicity, marital status and VNeID uptake; aggregates only",
                [Op.STATISTICS],
                [
                    F.SEX,
                    F.BIRTH_DATE,
                    F.ETHNICITY,
                    F.MARITAL_STATUS,
                    F.PERMANENT_ADDRESS,
                    F.VNEID_LEVEL,
                    F.VITAL_STATUS,
                ],
                legal_basis="Law on Statistics 2015 (amended 2021); Decision 06/QD-TTg",
            ),
            "labour_force_planning": _purpose(
                "Count the working-age population by place, sex and age; aggregates only",
                [Op.STATISTICS],
                [F.SEX, F.BIRTH_DATE, F.PERMANENT_ADDRESS],
                legal_basis="Law on Employment 2013",
            ),
        },
    ),
    AgencyCreate(
        code="province-portal-demo",
        name="Cổng Dịch vụ công Tỉnh Demo",
        sector=Sector.LOCAL_GOVERNMENT,
        limits=DEMO_LIMITS,
        purposes={
            "public_service_application": _purpose(
                "Verify applicants and prefill public-service forms",
                [Op.LOOKUP, Op.VERIFY],
                [
                    *IDENTITY,
                    F.PERMANENT_ADDRESS,
                    F.CURRENT_ADDRESS,
                    F.PHONE,
                    F.EMAIL,
                    F.MARITAL_STATUS,
                ],
                legal_basis="Decree 45/2020/ND-CP (online public services)",
            )
        },
    ),
    AgencyCreate(
        # Social protection moved from the labour ministry (MOLISA) to the health
        # ministry in 2025; Decree 176/2025 was issued at the health minister's proposal.
        code="social-protection-demo",
        name="Sở Y tế Tỉnh Demo – Bảo trợ xã hội (demo)",
        sector=Sector.LOCAL_GOVERNMENT,
        limits=DEMO_LIMITS,
        purposes={
            "social_pension": _purpose(
                "List residents aged 75 and over (70 in poor households) to review and pay "
                "the social pension allowance, and stop it on death",
                [Op.EXTRACT, Op.LOOKUP, Op.SUBSCRIBE],
                [
                    *IDENTITY,
                    F.PERMANENT_ADDRESS,
                    F.CURRENT_ADDRESS,
                    F.VITAL_STATUS,
                ],
                legal_basis="Law on Social Insurance 2024 (No. 41/2024/QH15), social pension "
                "allowance; Decree 176/2025/ND-CP",
            )
        },
    ),
]


def ensure_demo_agencies(session: Session) -> list[tuple[AgencyCreate, str]]:
    """Create or bring up to date every demo agency; return each with its API key.

    Existing demo agencies get this version's purposes and limits back, so a
    database seeded by an older popreg shows the documented policies.
    """
    keys = []
    for spec in DEMO_AGENCIES:
        key = demo_api_key(spec.code)
        agency = repository.get_agency(session, spec.code)
        if agency is None:
            service.create_agency(session, spec, api_key=key)
        else:
            for code, purpose in spec.purposes.items():
                service.set_purpose(session, agency, code, purpose)
            service.set_limits(session, agency, spec.limits)
            if repository.get_api_key(session, key.prefix) is None:
                service.issue_api_key(session, agency, label="demo", api_key=key)
        keys.append((spec, key.secret))
    return keys
