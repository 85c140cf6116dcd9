"""A batch of random households and citizens, as a ``Draft``."""

from __future__ import annotations

import numpy as np

from seed import addresses, names
from seed.dates import REFERENCE_DATE, REGISTRY_LAUNCH, Dates, completed_years, year_of
from seed.draft import NO_DATE, Draft, HouseholdDraft, IntArray
from seed.family import ANCHOR, ELDER_FATHER, FIRST_CHILD, RELATIONSHIPS
from seed.households import draw_households
from seed.reference import ObjectArray, blood_types, ethnic_groups, provinces, regional, wards

HEALTH_GROUPS = ("TE", "HS", "SV", "DN", "GD", "HT", "HN", "CC")


def draw_population(rng: np.random.Generator, citizens: int) -> Draft:
    members = draw_households(rng, citizens)
    n = len(members)
    hh = members.household
    n_households = int(hh.max()) + 1 if n else 0
    ward_table, province_table = wards(), provinces()

    # Household level: where it lives, where the family comes from, who they are.
    home_ward = addresses.draw_wards_by_population(rng, n_households)
    home_province = ward_table.province[home_ward]
    native = rng.random(n_households) < province_table.native_shares[home_province]
    origin_ward = np.where(
        native,
        np.where(rng.random(n_households) < 0.5, home_ward, ward_table.draw_in(rng, home_province)),
        addresses.draw_wards_by_population(rng, n_households),
    )
    group = _ethnic_groups(rng, home_province)
    religion = _religions(rng, home_province, group)
    registered_household = _registration_days(rng, np.full(n_households, REGISTRY_LAUNCH - 365))
    households = HouseholdDraft(
        ward=home_ward,
        street=np.array(addresses.street_parts(rng, home_ward), dtype=object),
        registered_on=registered_household,
    )

    # Record level.
    is_male = members.is_male
    birth_year = year_of(members.birth_date)
    age = completed_years(members.birth_date, np.full(n, REFERENCE_DATE))
    alive = members.alive
    province = home_province[hh]
    person_group = group[hh]

    surname = names.surnames(rng, person_group, province)
    lineage = names.surnames(rng, group, home_province)[hh]
    blood_line = (members.slot == ANCHOR) | (members.slot == ELDER_FATHER)
    surname = np.where(blood_line, lineage, surname)
    is_child = members.slot >= FIRST_CHILD
    has_father = members.father >= 0
    # Children carry their father's surname (drawn above when he is not on record).
    surname[is_child & has_father] = surname[members.father[is_child & has_father]]
    middle, given = names.given_and_middle(rng, person_group, is_male, birth_year)
    full_name = names.full_names(surname, middle, given, person_group)

    # Hometown (quê quán) follows the paternal line; spouses bring their own.
    own_origin = np.where(
        rng.random(n) < 0.7,
        ward_table.draw_in(rng, province),
        addresses.draw_wards_by_population(rng, n),
    )
    hometown_ward = np.where(blood_line, origin_ward[hh], own_origin)
    parent = np.where(has_father, members.father, members.mother)
    child_with_parent = is_child & (parent >= 0)
    hometown_ward[child_with_parent] = hometown_ward[parent[child_with_parent]]
    hometown_ward[is_child & ~child_with_parent] = origin_ward[hh][is_child & ~child_with_parent]

    # Place of birth: adults mostly in their home commune, children where the family lives.
    born_at_home = rng.random(n) < 0.8
    local_hospital = ward_table.draw_in(rng, province)
    birth_ward = np.where(
        is_child,
        np.where(rng.random(n) < 0.6, home_ward[hh], local_hospital),
        np.where(born_at_home, np.where(blood_line, origin_ward[hh], own_origin), local_hospital),
    )
    registration_province = ward_table.province[birth_ward]
    # A few births were registered back in the family's home province.
    elsewhere = rng.random(n) < 0.02
    registration_province = np.where(
        elsewhere, ward_table.province[hometown_ward], registration_province
    )
    # Record-keeping before 1950 often kept only the year of birth.
    year_only = (birth_year < 1950) & (rng.random(n) < 0.25)
    birth_date = np.where(
        year_only,
        members.birth_date.astype("datetime64[Y]").astype("datetime64[D]"),
        members.birth_date,
    )

    # Temporary residence: working-age people registered elsewhere for work or study.
    migrant = alive & (age >= 18) & (age <= 45) & (rng.random(n) < 0.08)
    temporary_ward = np.where(migrant, addresses.draw_migration_wards(rng, n), -1)
    temporary_street = np.full(n, None, dtype=object)
    if migrant.any():
        temporary_street[migrant] = addresses.street_parts(rng, temporary_ward[migrant])

    phone_share = np.select(
        [age < 10, age < 15, age < 70, age < 80], [0.0, 0.25, 0.94, 0.7], default=0.4
    )
    email_share = np.select([age < 16, age < 45, age < 65], [0.0, 0.35, 0.15], default=0.03)
    adult = age >= 14
    vneid_draw = rng.random(n)
    vneid = np.where(adult, np.select([vneid_draw < 0.68, vneid_draw < 0.75], [2, 1], default=0), 0)
    vneid = np.where((~adult) & (age >= 6) & (vneid_draw < 0.05), 2, vneid)
    cmnd_share = np.where(birth_year > 2001, 0.0, np.where(birth_year < 1940, 0.55, 0.82))
    in_dong_nai_or_vung_tau = np.isin(province_table.codes[province], ["075", "077"])

    relationship = np.array([None, *RELATIONSHIPS], dtype=object)[members.relationship + 1]
    no_flags = np.zeros(n, dtype=bool)
    return Draft(
        households=households,
        household=np.where(alive, hh, -1),
        relationship=relationship,
        is_male=is_male,
        birth_date=birth_date,
        year_only=year_only,
        alive=alive,
        death_date=np.where(alive, NO_DATE, members.death_date),
        disappearance_date=np.full(n, NO_DATE),
        marital_status=members.marital_status,
        father=members.father,
        mother=members.mother,
        spouse=members.spouse,
        guardian=np.full(n, -1, dtype=np.int64),
        full_name=full_name,
        other_names=np.full(n, None, dtype=object),
        ethnicity=ethnic_groups()[0][person_group],
        religion=regional().religions[religion[hh]],
        blood_type=_blood_types(rng, n),
        nationality=np.full(n, "Việt Nam", dtype=object),
        place_of_birth=ward_table.legacy_text[birth_ward],
        registration_province=registration_province,
        hometown=ward_table.legacy_text[hometown_ward],
        permanent_ward=home_ward[hh],
        permanent_street=households.street[hh],
        temporary_ward=temporary_ward,
        temporary_street=temporary_street,
        temporarily_absent=migrant & (rng.random(n) < 0.6),
        has_phone=alive & (rng.random(n) < phone_share),
        phone_owner=np.full(n, -1, dtype=np.int64),
        email_wanted=alive & (rng.random(n) < email_share),
        vneid_level=np.where(alive, vneid, 0).astype(np.int64),
        cmnd_share=cmnd_share,
        duplicated_cmnd=in_dong_nai_or_vung_tau & (rng.random(n) < 0.004),
        no_cccd=no_flags,
        no_renewal=no_flags,
        child_card=(age < 14) & (age >= 1) & (rng.random(n) < 0.04),
        first_card_on=np.full(n, NO_DATE),
        has_social_insurance=rng.random(n) < 0.93,
        health_group=_health_groups(rng, age),
        has_tax_code=alive & (age >= 22) & (age < 65) & (rng.random(n) < 0.5),
        registered_on=_registration_days(rng, members.birth_date),
        updated_on=np.full(n, NO_DATE),
    )


def _ethnic_groups(rng: np.random.Generator, province: IntArray) -> IntArray:
    mixes = regional().ethnic_mix
    group = np.zeros(len(province), dtype=np.int64)
    for p in np.unique(province).tolist():
        where = np.flatnonzero(province == p)
        group[where] = mixes[p].sample(rng, len(where)).astype(np.int64)
    return group


def _religions(rng: np.random.Generator, province: IntArray, group: IntArray) -> IntArray:
    cumulative = regional().religion_cumulative
    religion = np.zeros(len(province), dtype=np.int64)
    pair = province * 1000 + group
    for key in np.unique(pair).tolist():
        where = np.flatnonzero(pair == key)
        religion[where] = np.searchsorted(
            cumulative[(key // 1000, key % 1000)], rng.random(len(where)), side="right"
        )
    return religion


def _health_groups(rng: np.random.Generator, age: IntArray) -> ObjectArray:
    n = len(age)
    u = rng.random(n)
    group = np.select(
        [
            age < 6,
            age < 18,
            (age < 23) & (u < 0.4),
            (age < 60) & (u < 0.45),
            (age < 60) & (u < 0.52),
            (age >= 60) & (u < 0.35),
            (age >= 60) & (u < 0.42),
        ],
        [0, 1, 2, 3, 6, 5, 7],
        default=4,
    )
    labels: ObjectArray = np.array(HEALTH_GROUPS, dtype=object)[group]
    labels[rng.random(n) >= 0.93] = None
    return labels


def _blood_types(rng: np.random.Generator, n: int) -> ObjectArray:
    # About a quarter of the records have no blood type on file.
    types = blood_types().sample(rng, n)
    types[rng.random(n) >= 0.72] = None
    return types


def _registration_days(rng: np.random.Generator, birth: Dates) -> Dates:
    """Records predating the registry were loaded in early 2021; later births soon after birth."""
    n = len(birth)
    initial_load = np.datetime64("2021-01-04", "D") + (rng.random(n) * 177).astype("timedelta64[D]")
    after_birth = birth + (rng.uniform(3, 60, n)).astype("timedelta64[D]")
    return np.where(birth < REGISTRY_LAUNCH - 60, initial_load, after_birth)
