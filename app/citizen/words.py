"""Audit records in plain words, as a citizen reads them in the data tracker."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

FIELD_WORDS = {
    "personal_id": "personal ID number",
    "full_name": "full name",
    "other_names": "other names",
    "birth_date": "date of birth",
    "sex": "sex",
    "place_of_birth": "place of birth",
    "birth_registration_province": "birth registration province",
    "hometown": "hometown",
    "ethnicity": "ethnicity",
    "religion": "religion",
    "nationality": "nationality",
    "blood_type": "blood type",
    "legacy_id": "old ID card number",
    "cards": "identity cards",
    "father": "father",
    "mother": "mother",
    "spouse": "spouse",
    "children": "children",
    "guardian": "legal representative",
    "permanent_address": "permanent address",
    "temporary_address": "temporary address",
    "current_address": "current address",
    "temporarily_absent": "temporary absence",
    "residence_file_number": "residence file number",
    "marital_status": "marital status",
    "household": "household",
    "vital_status": "whether you are alive",
    "death_date": "date of death",
    "phone": "phone number",
    "email": "email address",
    "social_insurance_number": "social-insurance number",
    "health_insurance_card": "health-insurance card",
    "tax_code": "tax code",
    "vneid_level": "VNeID account level",
    "health_insurance": "health-insurance cover",
    "social_insurance": "social-insurance book",
    "driving_licence": "driving licence",
    "vehicle_registrations": "vehicle registrations",
    "tax_registration": "tax registration",
    "vaccinations": "vaccination records",
}

REFUSALS = {
    "CONSENT_REQUIRED": "it needed your consent, which you had not given",
    "PURPOSE_NOT_ALLOWED": "that purpose is not granted to it",
    "OPERATION_NOT_ALLOWED": "its purpose does not allow that",
    "FIELD_NOT_ALLOWED": "it asked about data its purpose does not cover",
    "RATE_LIMITED": "it sent too many requests",
    "QUOTA_EXCEEDED": "it used up its daily quota",
}


# Changes recorded by the civil registry, by audit operation.
CIVIL_WORDS = {
    "civil_birth": "registered your birth",
    "civil_death": "recorded your death",
    "civil_residence_change": "recorded your change of residence",
    "civil_marriage": "registered your marriage",
    "civil_divorce": "registered your divorce",
    "civil_name_change": "recorded your change of name",
    "civil_card_reissue": "issued you a new identity card",
    "civil_id_correction": "corrected your personal ID number",
}


def listing(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def describe(record: Mapping[str, Any]) -> str:
    agency = record.get("agency_name") or record.get("agency_code") or "An unknown agency"
    purpose = record.get("purpose_description") or record.get("purpose") or "no stated purpose"
    fields = listing([FIELD_WORDS.get(f, f.replace("_", " ")) for f in record.get("fields") or []])
    operation, outcome = record["operation"], record["outcome"]
    if operation in CIVIL_WORDS:
        if outcome == "recorded":
            return f"{agency} {CIVIL_WORDS[operation]}."
        reason = (record.get("code") or "refused").lower().replace("_", " ")
        return f"{agency} asked to record a change to your record and was refused ({reason})."
    if operation == "enrich":
        if outcome == "recorded":
            return f"{agency} recorded your {fields} in the registry, for “{purpose}”."
        if outcome == "unchanged":
            return f"{agency} sent your {fields} again, unchanged, for “{purpose}”."
        reason = (record.get("code") or "refused").lower().replace("_", " ")
        return f"{agency} sent a record about you and it was refused ({reason})."
    if outcome == "denied":
        reason = REFUSALS.get(record.get("code") or "", "it was not allowed")
        return f"{agency} asked for your data for “{purpose}” and was refused: {reason}."
    if operation == "record_history":
        return f"{agency} read the change history of your {fields} for “{purpose}”."
    if operation.startswith("lookup"):
        return f"{agency} read your {fields} for “{purpose}”."
    if operation in ("verify", "batch_verify"):
        return f"{agency} checked your {fields} against what it holds, for “{purpose}”."
    if operation == "clean":
        return (
            f"{agency} checked your {fields} in its records against the registry, in a "
            f"bulk clean-up, for “{purpose}”."
        )
    if operation == "extract":
        return (
            f"{agency} received your {fields} in a list of citizens drawn from the registry "
            f"(an extract), for “{purpose}”."
        )
    if operation == "consent_grant":
        return f"You gave {agency} consent for “{purpose}”."
    if operation == "consent_withdraw":
        return f"You withdrew your consent to {agency} for “{purpose}”."
    if operation == "dashboard_view":
        return (
            "Your data tracker was shown on the sandbox's workshop dashboard "
            "(a teaching screen, synthetic data)."
        )
    if operation == "event_feed":
        return (
            f"{agency} was told of a change to your {fields} through the change feed, "
            f"for “{purpose}”."
        )
    if operation == "webhook_delivery":
        return f"{agency} was sent a change to your {fields} by webhook, for “{purpose}”."
    return f"{agency}: {operation.replace('_', ' ')} ({outcome}) for “{purpose}”."
