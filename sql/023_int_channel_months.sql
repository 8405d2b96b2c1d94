-- int_channel_months (a table made when the warehouse is built and kept up
-- to date by a refresh, by addition; an intermediate of
-- vw_revenue_by_channel, not part of the views contract)
-- grain: one row per month x channel with at least one completed order
-- (the months without one are vw_revenue_by_channel's zeros).
-- purpose: the completed orders and their revenue per month and channel,
-- in counts and sums that a refresh can add to.
-- definitions:
--   month       = first day of the calendar month of the order date
--   channel_id  = the order's channel (the channel it was placed through)
--   orders      = completed orders (order_status = 'completed')
--   net_revenue = sum(fact_order_item.net_amount) over their lines (the
--                 orders' net_amount in int_order_totals)
--   sign        = +1 for each order counted; in a refresh, the orders of
--                 refresh_orders: +1 for one completed now, -1 for one that
--                 was completed before the refresh (was_completed; an
--                 order's month, channel and lines never change, only its
--                 status), so that the query gives the change of each row

-- incremental add: month, channel_id
-- incremental empty: orders = 0

create table int_channel_months as

with

order_totals as not materialized (
    -- (read twice in a refresh: each time through its key)
    select * from int_order_totals
),

counted_orders as (
    -- one row per order counted, with its sign
    select
        order_month,
        channel_id,
        net_amount,
        1 as sign
    from order_totals
    where order_status = 'completed'
    -- incremental: and order_id in (select order_id from refresh_orders)
    -- incremental: union all
    -- incremental: select order_month, channel_id, net_amount, -1 as sign
    -- incremental: from order_totals
    -- incremental: where order_id in (
    -- incremental:     select order_id from refresh_orders where was_completed
    -- incremental: )
),

final as (
    select
        -- keys
        order_month as month,
        channel_id,
        -- counts
        sum(sign) as orders,
        -- amounts
        sum(sign * net_amount) as net_revenue
    from counted_orders
    group by order_month, channel_id
)

select * from final;

-- the grain, enforced
create unique index on int_channel_months (month, channel_id);
