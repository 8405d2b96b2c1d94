-- int_product_months (a table made when the warehouse is built and kept
-- up to date by a refresh, by addition; an intermediate of
-- vw_revenue_by_category and of the book's best sellers, not part of the
-- views contract)
-- grain: one row per month x product with at least one line of a completed
-- order (the months without a sale are vw_revenue_by_category's zeros).
-- purpose: the one pass over the lines of completed orders behind the
-- category views and the best sellers, in counts and sums that a refresh
-- can add to; a category's row is the sum of its products' rows.
-- definitions:
--   month             = first day of the calendar month of the order date
--   lines             = lines of completed orders (the row is empty at 0)
--   category_orders   = completed orders whose first line in the product's
--                       category (by line_number) is a line of the product:
--                       summed over a category's products, the distinct
--                       completed orders with at least one line in the
--                       category
--   units             = sum(quantity) over the lines
--   net_revenue       = sum(fact_order_item.net_amount) over the lines
--   cost              = sum(quantity * unit_cost) over the lines whose cost
--                       is known
--   lines_cost_unknown = lines without a unit_cost (an imported source
--                       without costs); cost is known when it is 0
--   sign              = +1 for each order counted; in a refresh, the orders
--                       of refresh_orders: +1 for one completed now, -1 for
--                       one that was completed before the refresh
--                       (was_completed), so that the query gives the change
--                       of each row
-- (one pass over the lines, merged with their orders in order_id order, as
-- both primary keys give them: each order's lines are numbered per category
-- as they stream past, line_in_category = 1 on its first line there, so no
-- separate count of distinct orders and no sort of every line)

-- incremental add: month, product_id
-- incremental empty: lines = 0

create table int_product_months as

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
        order_items.product_id,
        counted_orders.sign,
        order_items.quantity,
        order_items.net_amount,
        order_items.quantity * order_items.unit_cost as cost,
        row_number() over (
            -- an order's customer is one: customer_id changes no
            -- partition, and lets a citus worker number its own lines;
            -- order_id first, the order the lines come in
            partition by
                order_items.order_id,
                order_items.customer_id,
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
        product_id,
        -- counts
        sum(sign) as lines,
        coalesce(sum(sign) filter (where line_in_category = 1), 0)
            as category_orders,
        sum(sign * quantity) as units,
        -- amounts
        sum(sign * net_amount) as net_revenue,
        coalesce(sum(sign * cost), 0.00) as cost,
        coalesce(sum(sign) filter (where cost is null), 0)
            as lines_cost_unknown
    from counted_lines
    group by month, product_id
)

select * from final;

-- the grain, enforced
create unique index on int_product_months (month, product_id);
