-- int_category_months (a table made when the warehouse is built and kept
-- up to date by a refresh, by addition; an intermediate of
-- vw_revenue_by_category, not part of the views contract)
-- grain: one row per month x product category with at least one completed
-- order (the months without a sale are vw_revenue_by_category's zeros).
-- purpose: the one pass over the lines of completed orders behind the
-- category views, in counts and sums that a refresh can add to.
-- definitions:
--   month             = first day of the calendar month of the order date
--   orders            = distinct completed orders with at least one line in
--                       the category
--   units             = sum(quantity) over those lines
--   net_revenue       = sum(fact_order_item.net_amount) over those lines
--   cost              = sum(quantity * unit_cost) over the lines whose cost
--                       is known
--   lines_cost_unknown = lines without a unit_cost (an imported source
--                       without costs); cost is known when it is 0
--   sign              = +1 for each order counted; in a refresh, the orders
--                       of refresh_orders: +1 for one completed now, -1 for
--                       one that was completed before the refresh
--                       (was_completed), so that the query gives the change
--                       of each row
-- (one pass over the lines: an order counts in a category on its first line
-- there, line_in_category = 1, so no separate count of distinct orders)

-- incremental add: month, category
-- incremental empty: orders = 0

create table int_category_months as

with

products as (
    select * from dim_product
),

orders as not materialized (
    -- (read twice in a refresh: each time through its key)
    select * from fact_order
),

order_items as (
    select * from fact_order_item
),

counted_orders as (
    -- one row per order counted, with its sign
    select
        order_id,
        customer_id,
        order_ts,
        1 as sign
    from orders
    where order_status = 'completed'
    -- incremental: and order_id in (select order_id from refresh_orders)
    -- incremental: union all
    -- incremental: select order_id, customer_id, order_ts, -1 as sign
    -- incremental: from orders
    -- incremental: where order_id in (
    -- incremental:     select order_id from refresh_orders where was_completed
    -- incremental: )
),

counted_lines as (
    select
        date_trunc('month', counted_orders.order_ts)::date as month,
        products.category,
        counted_orders.sign,
        order_items.quantity,
        order_items.net_amount,
        order_items.quantity * order_items.unit_cost as cost,
        row_number() over (
            -- an order's customer is one: customer_id changes no
            -- partition, and lets a citus worker number its own lines
            partition by
                order_items.customer_id,
                order_items.order_id,
                counted_orders.sign,
                products.category
            order by order_items.line_number
        ) as line_in_category
    from order_items
    inner join counted_orders
        on order_items.order_id = counted_orders.order_id
        -- the same join, kept on each citus worker (sql/021)
        and order_items.customer_id = counted_orders.customer_id
    inner join products
        on order_items.product_id = products.product_id
),

final as (
    select
        -- keys
        month,
        category,
        -- counts
        sum(sign) filter (where line_in_category = 1) as orders,
        sum(sign * quantity) as units,
        -- amounts
        sum(sign * net_amount) as net_revenue,
        coalesce(sum(sign * cost), 0.00) as cost,
        coalesce(sum(sign) filter (where cost is null), 0)
            as lines_cost_unknown
    from counted_lines
    group by month, category
)

select * from final;

-- the grain, enforced
create unique index on int_category_months (month, category);
