-- quality_order_lines: the input of the quality checks (090), a table
-- created without data; warehouse/quality.py fills it again before every
-- run of the checks (the build fills it while it makes the views, side by
-- side), and a refresh keeps it up to date for the orders it changed.
-- incremental delete: order_id in (select order_id from refresh_orders)

-- the lines of each order, totalled in one pass for the checks of 090
-- grain: one row per order (fact_order), orders without lines included.
-- purpose: what the lines say about their order: how many there are,
-- whether they add up to it and carry its customer and date, and the
-- revenue and cost they hold.
-- definitions:
--   lines              = the order's lines (0 for an order without lines)
--   lines_net_amount   = sum(net_amount) over its lines
--   lines_cost         = sum(quantity * unit_cost) over its lines
--   totals_differ      = items_subtotal <> sum(quantity * unit_price) or
--                        discount_amount <> sum(discount_amount) over its
--                        lines (an order without lines adds up to 0)
--   lines_keys_differ  = some line has another order_date_key than the
--                        order (its lines are those with its order_id and
--                        customer_id: 090 finds a line with another
--                        customer's order_id)
-- (grouped by the order's own columns, so postgresql knows there is one
-- group per order, and written in order_id order: both fact tables stream
-- through their primary keys, merged and summed order by order, at any
-- scale, instead of millions of orders being hashed)
create table if not exists quality_order_lines as

with

orders as (
    select * from fact_order
    -- incremental: where order_id in (select order_id from refresh_orders)
),

order_items as (
    select * from fact_order_item
),

line_totals as (
    select
        -- the order
        orders.order_id,
        orders.order_status,
        orders.customer_id,
        orders.order_date_key,
        orders.items_subtotal,
        orders.discount_amount,
        -- its lines
        count(order_items.order_id) as lines,
        sum(order_items.quantity * order_items.unit_price) as lines_subtotal,
        sum(order_items.discount_amount) as lines_discount,
        sum(order_items.net_amount) as lines_net_amount,
        -- null when a line's cost is unknown
        case
            when count(order_items.unit_cost) = count(order_items.order_id)
                then coalesce(
                    sum(order_items.quantity * order_items.unit_cost), 0
                )
        end as lines_cost,
        bool_or(
            order_items.order_date_key <> orders.order_date_key
        ) as lines_keys_differ
    from orders
    left join order_items
        on orders.order_id = order_items.order_id
        -- the same join, kept on each citus worker (sql/021)
        and orders.customer_id = order_items.customer_id
    group by
        orders.order_id,
        orders.order_status,
        orders.customer_id,
        orders.order_date_key,
        orders.items_subtotal,
        orders.discount_amount
),

final as (
    select
        -- ids
        order_id,
        -- status
        order_status,
        -- lines
        lines,
        coalesce(lines_net_amount, 0) as lines_net_amount,
        lines_cost,
        -- rules
        items_subtotal <> coalesce(lines_subtotal, 0)
            or discount_amount <> coalesce(lines_discount, 0) as totals_differ,
        coalesce(lines_keys_differ, false) as lines_keys_differ
    from line_totals
)

select * from final
order by order_id

with no data;

-- the grain, enforced (made after the table is filled in full: the
-- refresh and its checks find the orders they changed through it)
create unique index quality_order_lines_order_id
on quality_order_lines (order_id);
