-- int_customer_ranks (a view of int_customer_orders and the three value
-- ranks, which are stored: computed as it is read; an intermediate of the
-- customer views, not part of the views contract)
-- grain: one row per customer with at least one completed order (the rows
-- of vw_customer_rfm_base).
-- purpose: each customer's place among the others by recency, frequency
-- and monetary value, for the RFM scores and the LTV tiers (views of this
-- one). A refresh recomputes the value ranks, not a row per customer.
-- definitions (the inputs are vw_customer_rfm_base's):
--   r_below = customers with a worse recency (more days), r_tied =
--     customers with the same recency (the customer included); range
--     [0, customers) and [1, customers]
--   f_below, f_tied, m_below, m_tied: the same for frequency and monetary
--     (less is worse)
--   customers = the customers ranked (the n of the scores)
-- (below and tied are counted once per value, in int_recency_ranks,
-- int_frequency_ranks and int_monetary_ranks: the same numbers as rank()
-- and count() over the customers. Each is a left join on its unique key,
-- so a query that reads none of the ranks, like the gate's revenue
-- totals, does not join them at all)

create view int_customer_ranks as

with

rfm_base as (
    select * from vw_customer_rfm_base
),

recency_ranks as (
    select * from int_recency_ranks
),

frequency_ranks as (
    select * from int_frequency_ranks
),

monetary_ranks as (
    select * from int_monetary_ranks
),

population as (
    select count(*) as customers
    from int_customer_orders
),

final as (
    select
        -- ids
        rfm_base.customer_id,
        -- dates
        rfm_base.first_order_date,
        rfm_base.last_order_date,
        -- inputs
        rfm_base.recency_days,
        rfm_base.frequency,
        rfm_base.monetary,
        -- ranks
        recency_ranks.customers_below as r_below,
        recency_ranks.customers_tied as r_tied,
        frequency_ranks.customers_below as f_below,
        frequency_ranks.customers_tied as f_tied,
        monetary_ranks.customers_below as m_below,
        monetary_ranks.customers_tied as m_tied,
        (select population.customers from population) as customers
    from rfm_base
    left join recency_ranks
        on rfm_base.last_order_date = recency_ranks.last_order_date
    left join frequency_ranks
        on rfm_base.frequency = frequency_ranks.frequency
    left join monetary_ranks
        on rfm_base.monetary = monetary_ranks.monetary
)

select * from final;
