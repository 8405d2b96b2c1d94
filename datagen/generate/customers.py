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
    """The customers signed up by the last day, in sign-up order
    (``customer_id = index + 1``), as they stand on that day."""
    table: pa.Table            # dim_customer rows: the current state
    history: pa.Table          # dim_customer_history rows: every version
    persona: np.ndarray        # index into PERSONAS
    channel: np.ndarray        # index into planted.CHANNELS (0-based)
    first_day: np.ndarray      # day of the first order (may be after the data)
    end_day: np.ndarray        # last day of activity (exclusive)
    rate: np.ndarray           # repeat orders per year while active
    versions: Versions         # when each customer's details changed

    def tax_bp_at(self, customer: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Sales tax of each (customer index, day): its region's that day."""
        return self.versions.tax_bp_at(customer, day)


@dataclasses.dataclass
class Versions:
    """Each customer's details, one row per version, sorted by customer
    then day: version 0 at sign-up, one more at each change."""
    customer: np.ndarray       # customer index
    day: np.ndarray            # day the version starts
    city: np.ndarray           # index into the city pool
    region: np.ndarray         # index into planted.REGIONS
    domain: np.ndarray         # index into planted.EMAIL_DOMAINS
    form: np.ndarray           # which form of the email's local part

    #: a version's key: customer index * DAYS_KEY + day (unique, sorted)
    DAYS_KEY = 1 << 21

    def columns(self) -> list[np.ndarray]:
        return [getattr(self, f.name) for f in dataclasses.fields(self)]

    @property
    def key(self) -> np.ndarray:
        return self.customer.astype(np.int64) * self.DAYS_KEY + self.day

    def at(self, customer: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Index of the version in effect for each (customer, day), a day
        from the customer's sign-up on: from the customer's first version,
        a step on while their next version has begun (most customers have
        one version, few more than a handful)."""
        last = len(self.customer) - 1
        first = np.flatnonzero(np.r_[True, self.customer[1:]
                                     != self.customer[:-1]])
        row = first[customer]
        walking = np.arange(len(row))
        while walking.size:
            now = row[walking]
            later = np.minimum(now + 1, last)
            walking = walking[(later > now)
                              & (self.customer[later] == customer[walking])
                              & (self.day[later] <= day[walking])]
            row[walking] += 1
        return row

    def tax_bp_at(self, customer: np.ndarray, day: np.ndarray) -> np.ndarray:
        tax = np.array([r[2] for r in planted.REGIONS])
        return tax[self.region[self.at(customer, day)]]


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
    """Relative sign-ups per day: yearly growth times a mild season (each
    day's from its own date and the start date only)."""
    n_days = (end - start).days + 1
    growth = (1 + planted.ANNUAL_SIGNUP_GROWTH) ** (np.arange(n_days) / 365.25)
    return growth * np.sqrt(dates.intensity(start, end))


def signup_days(seed: int, scale: float, start: dt.date,
                end: dt.date) -> np.ndarray:
    """The sign-up day of each customer, in sign-up order: each day draws
    its own number of sign-ups (Poisson), from its own random number."""
    mean = scale * planted.SIGNUPS_PER_DAY * signup_weights(start, end)
    u = rng.keyed(seed, rng.SIGNUP_DAYS, np.arange(len(mean)), 0, 1)[:, 0]
    return np.repeat(np.arange(len(mean)), rng.poisson(u, mean))


#: the day index of a customer who never orders (first_day, end_day)
NEVER = np.iinfo(np.int64).max // 4


def generate(seed: int, scale: float, start: dt.date, end: dt.date,
             pool: Pools) -> Customers:
    n_days = (end - start).days + 1
    signup_day = signup_days(seed, scale, start, end)
    n = len(signup_day)
    u = rng.uniforms(seed, rng.CUSTOMERS, 0, n, 12)

    channel = rng.choice(u[:, 0], [c[2] for c in planted.CHANNELS])
    persona = rng.grouped_choice(u[:, 1], channel, persona_matrix())

    def trait(name):
        return np.array([planted.PERSONAS[p][name] for p in PERSONAS])[persona]

    # the first order may fall after the last day (then it is not yet made);
    # nothing here is cut at the last day, so later days never shape these
    converts = u[:, 3] < trait("conversion")
    delay = np.floor(rng.exponential(u[:, 4], planted.FIRST_ORDER_DELAY_DAYS))
    never = NEVER
    first_day = np.where(converts, signup_day + delay, never).astype(np.int64)
    lifetime_factor = np.array([c[3] for c in planted.CHANNELS])[channel]
    lifetime = rng.exponential(u[:, 5], trait("lifetime") * lifetime_factor)
    end_day = np.where(converts, first_day + 1 + np.floor(lifetime),
                       never).astype(np.int64)
    rate = trait("repeat_rate") * rng.lognormal_factor(
        u[:, 6], planted.RATE_HETEROGENEITY_SIGMA)

    first = rng.choice(u[:, 7], np.ones(planted.NAME_POOL))
    last = rng.choice(u[:, 8], np.ones(planted.NAME_POOL))
    signed_up = Versions(
        np.arange(n), signup_day,
        rng.choice(u[:, 9], np.ones(planted.CITY_POOL)),
        rng.choice(u[:, 10], [r[1] for r in planted.REGIONS]),
        rng.choice(u[:, 11], np.ones(len(planted.EMAIL_DOMAINS))),
        np.zeros(n, dtype=np.int64))
    versions = changes(seed, signed_up, n_days)
    history = history_table(versions, start, pool, first, last, channel,
                            signup_day)
    current = pc.equal(history["is_current"], True)
    table = history.filter(current).select(
        [name for name in history.column_names if name not in HISTORY_ONLY])
    return Customers(table, history, persona, channel, first_day, end_day,
                     rate, versions)


def changes(seed: int, signed_up: Versions, n_days: int) -> Versions:
    """Every version up to the last day: each customer's changes are a
    Poisson process from sign-up, drawn gap by gap from keyed random
    numbers (the k-th change of a customer reads its own), each a move (a
    new city and region) or else a new email address."""
    state = Versions(*(column.copy() for column in signed_up.columns()))
    parts = [signed_up]
    active = np.arange(len(signed_up.customer))
    day = signed_up.day.astype(np.int64)
    mean_gap = 365.25 / planted.CUSTOMER_CHANGES_PER_YEAR
    k = 1
    while active.size:
        u = rng.keyed(seed, rng.CUSTOMER_CHANGES, active, k, 4)
        day = day + 1 + np.floor(rng.exponential(u[:, 0], mean_gap)).astype(
            np.int64)
        on_time = day < n_days
        active, day, u = active[on_time], day[on_time], u[on_time]
        if not active.size:
            break
        moves = u[:, 1] < planted.MOVE_SHARE
        who, how = active[moves], u[moves]
        city = rng.choice(how[:, 2], np.ones(planted.CITY_POOL))
        # a move is to another city
        state.city[who] = np.where(city == state.city[who],
                                   (city + 1) % planted.CITY_POOL, city)
        state.region[who] = rng.choice(how[:, 3],
                                       [r[1] for r in planted.REGIONS])
        who, how = active[~moves], u[~moves]
        state.domain[who] = rng.choice(how[:, 2],
                                       np.ones(len(planted.EMAIL_DOMAINS)))
        state.form[who] = 1 - state.form[who]   # always another address
        parts.append(Versions(active, day, state.city[active],
                              state.region[active], state.domain[active],
                              state.form[active]))
        k += 1
    merged = Versions(*map(np.concatenate,
                           zip(*(part.columns() for part in parts))))
    order = np.argsort(merged.key, kind="stable")
    return Versions(*(column[order] for column in merged.columns()))


#: dim_customer_history's own columns (dim_customer has the others)
HISTORY_ONLY = ("customer_version", "valid_from", "valid_to", "is_current")


def history_table(v: Versions, start: dt.date, pool: Pools,
                  first: np.ndarray, last: np.ndarray, channel: np.ndarray,
                  signup_day: np.ndarray) -> pa.Table:
    """dim_customer_history: each version a row valid from its day to the
    next version's (exclusive; null for the current one)."""
    c = v.customer
    n = len(c)
    new_customer = np.r_[True, c[1:] != c[:-1]]
    run_start = np.maximum.accumulate(np.where(new_customer, np.arange(n), 0))
    is_current = np.r_[c[1:] != c[:-1], True]
    day0 = np.datetime64(start, "D")
    valid_from = day0 + v.day.astype("timedelta64[D]")
    valid_to = pa.array(np.r_[valid_from[1:], valid_from[:1]],
                        mask=is_current)

    def pick(values, index):
        return pa.array(values).take(pa.array(index))
    ids = pc.cast(pa.array(c + 1), pa.string())
    first_local = pick([_local(name) for name in pool.first_names], first[c])
    last_local = pick([_local(name) for name in pool.last_names], last[c])
    domain = pick(planted.EMAIL_DOMAINS, v.domain)
    dotted = pc.binary_join_element_wise(first_local, ".", last_local, ids,
                                         "@", domain, "")
    joined = pc.binary_join_element_wise(first_local, last_local, ids, "@",
                                         domain, "")
    return pa.table({
        "customer_id": c + 1,
        "customer_version": np.arange(n) - run_start + 1,
        "customer_code": codes("C", ids, 8),
        "first_name": pick(pool.first_names, first[c]),
        "last_name": pick(pool.last_names, last[c]),
        "email": pc.if_else(pa.array(v.form == 0), dotted, joined),
        "city": pick(pool.cities, v.city),
        "region": pick([r[0] for r in planted.REGIONS], v.region),
        "country": pa.repeat(planted.COUNTRY, n),
        "signup_date": day0 + signup_day[c].astype("timedelta64[D]"),
        "acquisition_channel_id": channel[c] + 1,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "is_current": is_current,
    })


def codes(prefix: str, ids, digits: int) -> pa.Array:
    """Codes such as C00000001 and SO-000000001: ``prefix`` and each id,
    zero-padded to ``digits`` (longer ids keep all their digits)."""
    ids = pc.cast(ids, pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(ids, digits, "0"),
                                       "")


def _local(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())
