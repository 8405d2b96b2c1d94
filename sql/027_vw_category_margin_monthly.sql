-- vw_category_margin_monthly (materialized when the warehouse is built)
-- grain: one row per month of the data period x product category (the rows
-- of vw_revenue_by_category).
-- purpose: how profitable each category is, month by month.
-- definitions:
--   net_revenue  = sum(fact_order_item.net_amount) over completed orders;
--                  tax and shipping excluded (from vw_revenue_by_category,
--                  so the two views agree to the cent)
--   cost         = sum(quantity * unit_cost), unit_cost at the time of sale
--   gross_margin = net_revenue - cost
--   margin_pct   = 100 * gross_margin / net_revenue, a percent, unrounded;
--                  NULL when net_revenue = 0; range (-inf, 100]

create materialized view vw_category_margin_monthly as

with

category_revenue as (
    select * from vw_revenue_by_category
),

final as (
    select
        -- keys
        month,
        category,
        -- amounts
        net_revenue,
        cost,
        gross_margin,
        -- rates
        100 * gross_margin / nullif(net_revenue, 0) as margin_pct
    from category_revenue
)

select * from final;

-- the grain, enforced
create unique index on vw_category_margin_monthly (month, category);
