-- vw_customer_rfm_scores (a materialized view of int_customer_ranks,
-- made with the views and made again in full by every refresh: a new order
-- moves the ranks, so the scores, of many customers; stored, so that the
-- chapters read each customer's row at the cost of a small table at any
-- scale, not the customers' ranks again at each read)
-- grain: one row per customer with at least one completed order (the rows
-- of vw_customer_rfm_base).
-- purpose: RFM scores 1-5 (5 best) and a named segment for each customer.
-- definitions:
--   score (r_score, f_score, m_score): mid-rank quintile of the customer's
--     value among the n customers, ordered from worst to best (recency:
--     more days is worse; frequency and monetary: less is worse):
--       below = customers with a worse value, tied = customers with the
--       same value (the customer included),
--       score = 1 + floor(5 * (below + tied / 2) / n), range [1, 5]
--     i.e. a block of tied customers gets the quintile in which the middle
--     of the block falls. Without ties this gives five groups of n / 5; with
--     ties the groups are as even as ties allow; equal values always get
--     equal scores, and a better value never gets a lower score.
--   rfm_code = r_score, f_score and m_score as three digits, e.g. '545'
--   (below and tied come from int_customer_ranks)
--   rfm_segment, from r_score and f_score (the usual RF grid):
--     Champions          r = 5      and f in 4..5
--     Loyal              r in 3..4  and f in 4..5
--     Potential loyalist r in 4..5  and f in 2..3
--     New                r = 5      and f = 1
--     Promising          r = 4      and f = 1
--     Need attention     r = 3      and f = 3
--     About to sleep     r = 3      and f in 1..2
--     Cannot lose them   r in 1..2  and f = 5
--     At risk            r in 1..2  and f in 3..4
--     Hibernating        r in 1..2  and f in 1..2

create materialized view vw_customer_rfm_scores as

with

ranked as (
    select * from int_customer_ranks
),

scored as (
    -- 1 + floor(5 * (below + tied / 2) / n) in exact integer arithmetic
    select
        ranked.customer_id,
        ranked.recency_days,
        ranked.frequency,
        ranked.monetary,
        (
            1 + 5 * (2 * ranked.r_below + ranked.r_tied)
            / (2 * ranked.customers)
        )::integer
            as r_score,
        (
            1 + 5 * (2 * ranked.f_below + ranked.f_tied)
            / (2 * ranked.customers)
        )::integer
            as f_score,
        (
            1 + 5 * (2 * ranked.m_below + ranked.m_tied)
            / (2 * ranked.customers)
        )::integer
            as m_score
    from ranked
),

segmented as (
    select
        *,
        r_score::text || f_score::text || m_score::text as rfm_code,
        case
            when r_score = 5 and f_score >= 4 then 'Champions'
            when r_score >= 3 and f_score >= 4 then 'Loyal'
            when r_score >= 4 and f_score >= 2 then 'Potential loyalist'
            when r_score = 5 then 'New'
            when r_score = 4 then 'Promising'
            when r_score = 3 and f_score = 3 then 'Need attention'
            when r_score = 3 then 'About to sleep'
            when f_score = 5 then 'Cannot lose them'
            when f_score >= 3 then 'At risk'
            else 'Hibernating'
        end as rfm_segment
    from scored
),

final as (
    select
        -- ids
        customer_id,
        -- scores
        r_score,
        f_score,
        m_score,
        rfm_code,
        rfm_segment,
        -- inputs, for reading the scores beside them
        recency_days,
        frequency,
        monetary
    from segmented
)

select * from final;

-- the grain, enforced
create unique index on vw_customer_rfm_scores (customer_id);
