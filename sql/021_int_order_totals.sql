-- int_order_totals (materialized when the warehouse is built; an
-- intermediate table of the views, not part of the views contract)
-- grain: one row per order (fact_order), every status.
-- purpose: the one pass over the order lines that the order-grain views
-- share: each order with its keys, its dates and the totals of its lines.
-- vw_daily_revenue, vw_revenue_by_channel, vw_customer_rfm_base and
-- vw_cohort_retention read this instead of joining and summing the lines
-- again each.
-- definitions:
--   order_date  = order_ts::date (= order_date_key as a date)
--   order_month = first day of the calendar month of order_ts
--   units       = sum(quantity) over its lines
--   net_amount  = sum(fact_order_item.net_amount) over its lines; net
--                 revenue where order_status = 'completed'
--   cost        = sum(quantity * unit_cost) over its lines, unit_cost at the
--                 time of sale
-- (written in order_id order: both fact tables are stored in that order, so
-- postgresql streams them through their primary keys and merges, instead of
-- hashing a million orders)

create materialized view int_order_totals as

with

orders as (
    select * from fact_order
),

order_items as (
    select * from fact_order_item
),

line_totals as (
    select
        order_id,
        sum(quantity) as units,
        sum(net_amount) as net_amount,
        sum(quantity * unit_cost) as cost
    from order_items
    group by order_id
),

final as (
    select
        -- ids
        orders.order_id,
        orders.customer_id,
        orders.channel_id,
        -- status
        orders.order_status,
        -- dates
        orders.order_date_key,
        orders.order_ts::date as order_date,
        date_trunc('month', orders.order_ts)::date as order_month,
        -- line totals
        coalesce(line_totals.units, 0) as units,
        coalesce(line_totals.net_amount, 0.00) as net_amount,
        coalesce(line_totals.cost, 0.00) as cost
    from orders
    left join line_totals
        on orders.order_id = line_totals.order_id
)

select * from final
order by order_id;

-- the grain, enforced
create unique index on int_order_totals (order_id);
