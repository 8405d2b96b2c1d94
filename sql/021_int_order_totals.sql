-- int_order_totals (a table made when the warehouse is built and kept up
-- to date by a refresh; an intermediate of the views, not part of the
-- views contract)
-- grain: one row per order (fact_order), every status.
-- purpose: the one pass over the order lines that the order-grain views
-- share: each order with its keys, its dates and the totals of its lines.
-- vw_daily_revenue, vw_revenue_by_channel, vw_customer_rfm_base,
-- vw_cohort_retention and vw_data_profile read this instead of joining and
-- summing the lines again each (the profile, read by every chapter, counts
-- its orders of two or more products from products).
-- definitions:
--   order_ts    = fact_order.order_ts (the order's time)
--   order_date  = order_ts::date (= order_date_key as a date)
--   order_month = first day of the calendar month of order_ts
--   has_time_of_day = order_ts has a time of day other than midnight (a
--                 source that gives dates only has none)
--   units       = sum(quantity) over its lines
--   products    = the distinct products of its lines; 0 without a line
--   net_amount  = sum(fact_order_item.net_amount) over its lines; net
--                 revenue where order_status = 'completed'
--   cost        = sum(quantity * unit_cost) over its lines, unit_cost at the
--                 time of sale
-- (grouped by the order's own columns, so postgresql knows there is one
-- group per order, and written in order_id order: both fact tables are
-- stored in that order, so it streams them through their primary keys,
-- merging and summing each order as it passes, at any scale, instead of
-- hashing millions of orders)

-- incremental delete: order_id in (select order_id from refresh_orders)
-- (a refresh makes again the rows of the orders it added or changed)

create table int_order_totals as

with

orders as (
    select * from fact_order
    -- incremental: where order_id in (select order_id from refresh_orders)
),

order_items as (
    select * from fact_order_item
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
        orders.order_ts,
        orders.order_ts::date as order_date,
        date_trunc('month', orders.order_ts)::date as order_month,
        orders.order_ts <> date_trunc('day', orders.order_ts)
            as has_time_of_day,
        -- line totals
        coalesce(sum(order_items.quantity), 0) as units,
        -- (each order's lines sorted by product as they stream past)
        count(distinct order_items.product_id) as products,
        coalesce(sum(order_items.net_amount), 0.00) as net_amount,
        -- null when a line's cost is unknown (an imported source without
        -- costs): never a made-up zero
        case
            when count(order_items.unit_cost) = count(order_items.order_id)
                then coalesce(
                    sum(order_items.quantity * order_items.unit_cost), 0.00
                )
        end as cost
    from orders
    left join order_items
        on orders.order_id = order_items.order_id
        -- the same join: on a citus cluster the facts are distributed by
        -- customer_id, and joined on it too each worker joins its shards
        and orders.customer_id = order_items.customer_id
    group by
        orders.order_id,
        orders.customer_id,
        orders.channel_id,
        orders.order_status,
        orders.order_date_key,
        orders.order_ts
)

select * from final
order by order_id;

-- the grain, enforced
-- (the order and its customer: the key a citus cluster, where this table
-- is distributed by customer_id, can enforce; order_id alone is unique as
-- fact_order's key)
create unique index on int_order_totals (order_id, customer_id);
-- a refresh reads the orders of its customers (their columns that the
-- customer intermediates read, in the index) and of its days
create index on int_order_totals (customer_id)
include (order_id, order_status, order_ts, order_date, order_month,
    net_amount);
create index on int_order_totals (order_date);
