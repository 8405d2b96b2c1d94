"""Customers: who they are, when they sign up, and how they will behave.

Owns ``dim_customer`` and each customer's hidden behaviour (persona, first
order day, active window, purchase rate). Faker, seeded, only fills small
pools of names and cities; numpy samples from them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from faker import Faker
from faker.providers.person.en_US import Provider as PersonProvider

from . import dates, planted, rng

PERSONAS = list(planted.PERSONAS)
CHANNEL_NAMES = [c[0] for c in planted.CHANNELS]


@dataclasses.dataclass
class Pools:
    first_names: np.ndarray
    last_names: np.ndarray
    cities: np.ndarray


def pools(seed: int) -> Pools:
    """Seeded Faker pools: the same names for a seed on any machine.

    Names are drawn by Faker's ``random_elements`` from its en_US lists,
    weighted as ``first_name()`` and ``last_name()`` weight them, in one call
    per pool (one call per name would re-weigh the whole list each time).
    """
    fake = Faker("en_US")
    fake.seed_instance(seed)
    return Pools(
        np.asarray(fake.random_elements(PersonProvider.first_names,
                                        length=planted.NAME_POOL,
                                        use_weighting=True)),
        np.asarray(fake.random_elements(PersonProvider.last_names,
                                        length=planted.NAME_POOL,
                                        use_weighting=True)),
        np.asarray([fake.city() for _ in range(planted.CITY_POOL)]),
    )


@dataclasses.dataclass
class Customers:
    table: pa.Table            # dim_customer rows
    persona: np.ndarray        # index into PERSONAS
    channel: np.ndarray        # index into planted.CHANNELS (0-based)
    first_day: np.ndarray      # day of the first order (>= n_days: never)
    end_day: np.ndarray        # last day of activity (exclusive)
    rate: np.ndarray           # repeat orders per year while active
    tax_bp: np.ndarray         # sales tax of the customer's region


def persona_matrix() -> np.ndarray:
    """P(persona | acquisition channel): one row per channel."""
    base = np.array([planted.PERSONAS[p]["share"] for p in PERSONAS])
    rows = []
    for name in CHANNEL_NAMES:
        tilt = planted.CHANNEL_PERSONA_TILT.get(name, {})
        row = base * np.array([tilt.get(p, 1.0) for p in PERSONAS])
        rows.append(row / row.sum())
    return np.vstack(rows)


def signup_weights(start: dt.date, end: dt.date) -> np.ndarray:
    """Relative sign-ups per day: yearly growth times a mild season."""
    n_days = (end - start).days + 1
    growth = (1 + planted.ANNUAL_SIGNUP_GROWTH) ** (np.arange(n_days) / 365.25)
    return growth * np.sqrt(dates.intensity(start, end))


def generate(seed: int, scale: float, start: dt.date, end: dt.date,
             pool: Pools) -> Customers:
    n = max(1, round(planted.CUSTOMERS_PER_SCALE * scale))
    n_days = (end - start).days + 1
    u = rng.uniforms(seed, rng.CUSTOMERS, 0, n, 12)

    channel = rng.choice(u[:, 0], [c[2] for c in planted.CHANNELS])
    persona = rng.grouped_choice(u[:, 1], channel, persona_matrix())
    signup_day = rng.choice(u[:, 2], signup_weights(start, end))

    def trait(name):
        return np.array([planted.PERSONAS[p][name] for p in PERSONAS])[persona]

    converts = u[:, 3] < trait("conversion")
    delay = np.floor(rng.exponential(u[:, 4], planted.FIRST_ORDER_DELAY_DAYS))
    first_day = np.where(converts, signup_day + delay, n_days).astype(
        np.int64)
    lifetime_factor = np.array([c[3] for c in planted.CHANNELS])[channel]
    lifetime = rng.exponential(u[:, 5], trait("lifetime") * lifetime_factor)
    end_day = np.minimum(first_day + 1 + np.floor(lifetime), n_days).astype(
        np.int64)
    rate = trait("repeat_rate") * rng.lognormal_factor(
        u[:, 6], planted.RATE_HETEROGENEITY_SIGMA)

    first = rng.choice(u[:, 7], np.ones(planted.NAME_POOL))
    last = rng.choice(u[:, 8], np.ones(planted.NAME_POOL))
    city = rng.choice(u[:, 9], np.ones(planted.CITY_POOL))
    region_idx = rng.choice(u[:, 10], [r[1] for r in planted.REGIONS])
    domain = rng.choice(u[:, 11], np.ones(len(planted.EMAIL_DOMAINS)))
    customer_id = np.arange(1, n + 1)

    # strings by Arrow compute on whole columns, not one f-string each
    def pick(values, index):
        return pa.array(values).take(pa.array(index))
    ids = pc.cast(pa.array(customer_id), pa.string())
    table = pa.table({
        "customer_id": customer_id,
        "customer_code": codes("C", ids, 8),
        "first_name": pick(pool.first_names, first),
        "last_name": pick(pool.last_names, last),
        "email": pc.binary_join_element_wise(
            pick([_local(name) for name in pool.first_names], first), ".",
            pick([_local(name) for name in pool.last_names], last), ids,
            "@", pick(planted.EMAIL_DOMAINS, domain), ""),
        "city": pick(pool.cities, city),
        "region": pick([r[0] for r in planted.REGIONS], region_idx),
        "country": pa.repeat(planted.COUNTRY, n),
        "signup_date": np.datetime64(start, "D") + signup_day.astype(
            "timedelta64[D]"),
        "acquisition_channel_id": channel + 1,
    })
    tax_bp = np.array([r[2] for r in planted.REGIONS])[region_idx]
    return Customers(table, persona, channel, first_day, end_day, rate,
                     tax_bp)


def codes(prefix: str, ids, digits: int) -> pa.Array:
    """Codes such as C00000001 and SO-000000001: ``prefix`` and each id,
    zero-padded to ``digits`` (longer ids keep all their digits)."""
    ids = pc.cast(ids, pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(ids, digits, "0"),
                                       "")


def _local(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())
