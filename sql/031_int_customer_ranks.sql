-- int_customer_ranks (materialized when the warehouse is built; an
-- intermediate of the customer views, not part of the views contract)
-- grain: one row per customer with at least one completed order (the rows
-- of vw_customer_rfm_base).
-- purpose: each customer's place among the others by recency, frequency
-- and monetary value, counted once for the RFM scores and the LTV tiers
-- (plain views of this table). A refresh recomputes it: one customer's new
-- order moves the places of many others.
-- definitions (the inputs are vw_customer_rfm_base's):
--   r_below = customers with a worse recency (more days), r_tied =
--     customers with the same recency (the customer included); range
--     [0, customers) and [1, customers]
--   f_below, f_tied, m_below, m_tied: the same for frequency and monetary
--     (less is worse)
--   customers = the customers ranked (the n of the scores)
-- (below and tied are counted once per value, not ranked per customer: the
-- same numbers as rank() and count() over the customers, from a sort of
-- the distinct values)

create materialized view int_customer_ranks as

with

rfm_base as (
    select * from vw_customer_rfm_base
),

population as (
    select count(*) as customers
    from rfm_base
),

recency_ranks as (
    -- one row per recency value: the customers with a worse one (more
    -- days) and those tied with it (each value once: a small sort)
    select
        recency_days,
        count(*) as tied,
        (
            sum(count(*)::integer) over (order by recency_days desc)
            - count(*)
        )::bigint as below
    from rfm_base
    group by recency_days
),

frequency_ranks as (
    select
        frequency,
        count(*) as tied,
        (sum(count(*)::integer) over (order by frequency) - count(*))::bigint
            as below
    from rfm_base
    group by frequency
),

monetary_ranks as (
    select
        monetary,
        count(*) as tied,
        (sum(count(*)::integer) over (order by monetary) - count(*))::bigint
            as below
    from rfm_base
    group by monetary
),

ranked as (
    select
        rfm_base.customer_id,
        rfm_base.first_order_date,
        rfm_base.last_order_date,
        rfm_base.recency_days,
        rfm_base.frequency,
        rfm_base.monetary,
        recency_ranks.below as r_below,
        recency_ranks.tied as r_tied,
        frequency_ranks.below as f_below,
        frequency_ranks.tied as f_tied,
        monetary_ranks.below as m_below,
        monetary_ranks.tied as m_tied,
        population.customers
    from rfm_base
    cross join population
    inner join recency_ranks
        on rfm_base.recency_days = recency_ranks.recency_days
    inner join frequency_ranks
        on rfm_base.frequency = frequency_ranks.frequency
    inner join monetary_ranks
        on rfm_base.monetary = monetary_ranks.monetary
)

select * from ranked;

-- the grain, enforced
create unique index on int_customer_ranks (customer_id);
