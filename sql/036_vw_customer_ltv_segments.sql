-- vw_customer_ltv_segments (a materialized view of int_customer_ranks,
-- made with the views and made again in full by every refresh: a new order
-- moves the ranks, so the tiers, of many customers; stored, so that the
-- chapters and the quality gate read each customer's row at the cost of a
-- small table at any scale, not the customers' ranks again at each read)
-- grain: one row per customer with at least one completed order.
-- purpose: lifetime value to date and a tier for each customer.
-- definitions:
--   lifetime_revenue = net revenue: sum(fact_order_item.net_amount) over the
--                      customer's completed orders (the monetary value of
--                      vw_customer_rfm_base); range [0, inf)
--   orders           = the customer's completed orders; range [1, inf)
--   revenue_cume_dist = share of customers whose lifetime revenue is at or
--                      below this customer's (cume_dist), range (0, 1]
--   ltv_tier, by revenue_cume_dist (ties share a tier, and a higher
--   lifetime revenue never gets a lower tier):
--     Platinum  revenue_cume_dist >  0.95  (about the top 5%)
--     Gold      revenue_cume_dist in (0.80, 0.95]  (the next 15%)
--     Silver    revenue_cume_dist in (0.50, 0.80]  (the next 30%)
--     Bronze    revenue_cume_dist <= 0.50  (about the bottom half)
--   ltv_tier_rank = 1 (Bronze) .. 4 (Platinum), for sorting
--   the comparisons are made in exact integer arithmetic:
--   customers_at_or_below * 100 > 95 * customers, and so on.

create materialized view vw_customer_ltv_segments as

with

ranks as (
    select * from int_customer_ranks
),

ranked as (
    select
        customer_id,
        monetary as lifetime_revenue,
        frequency as orders,
        first_order_date,
        last_order_date,
        -- the customers with less revenue and those with as much
        m_below + m_tied as customers_at_or_below,
        customers
    from ranks
),

tiered as (
    select
        ranked.*,
        ranked.customers_at_or_below::double precision
            / ranked.customers as revenue_cume_dist,
        case
            when 100 * ranked.customers_at_or_below > 95 * ranked.customers
                then 4
            when 100 * ranked.customers_at_or_below > 80 * ranked.customers
                then 3
            when 100 * ranked.customers_at_or_below > 50 * ranked.customers
                then 2
            else 1
        end as ltv_tier_rank
    from ranked
),

final as (
    select
        -- ids
        customer_id,
        -- value
        lifetime_revenue,
        orders,
        (array['Bronze', 'Silver', 'Gold', 'Platinum'])[ltv_tier_rank]
            as ltv_tier,
        ltv_tier_rank,
        revenue_cume_dist,
        -- dates
        first_order_date,
        last_order_date
    from tiered
)

select * from final;

-- the grain, enforced
create unique index on vw_customer_ltv_segments (customer_id);
