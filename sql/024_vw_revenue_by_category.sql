-- vw_revenue_by_category (a table made when the warehouse is built and
-- kept up to date by a refresh, month by month)
-- grain: one row per month of the data period x product category (every
-- category of dim_product; months without a sale show zeros).
-- purpose: what sells, month by month: orders, units, revenue and margin
-- by category.
-- definitions:
--   month        = first day of the calendar month of the order date
--   orders       = distinct completed orders with at least one line in the
--                  category (an order with lines in two categories counts
--                  in both, so orders do not add up across categories)
--   units        = sum(quantity) over those lines
--   net_revenue  = sum(fact_order_item.net_amount) over the lines of
--                  completed orders; tax and shipping excluded; range [0, inf)
--   cost         = sum(quantity * unit_cost), unit_cost at the time of sale
--   gross_margin = net_revenue - cost; range (-inf, net_revenue]
-- (one pass over the lines: an order counts in a category on its first line
-- there, line_in_category = 1, so no separate count of distinct orders)

-- incremental delete: month in (select month from refresh_months)

create table vw_revenue_by_category as

with

dates as (
    select * from dim_date
),

products as (
    select * from dim_product
),

orders as (
    select * from fact_order
),

order_items as (
    select * from fact_order_item
),

months as (
    select distinct make_date(year, month, 1) as month
    from dates
    -- incremental: where make_date(year, month, 1)
    -- incremental:     in (select month from refresh_months)
),

categories as (
    select distinct category
    from products
),

completed_orders as (
    select
        order_id,
        customer_id,
        date_trunc('month', order_ts)::date as month
    from orders
    where order_status = 'completed'
    -- incremental: and date_trunc('month', order_ts)::date
    -- incremental:     in (select month from refresh_months)
),

completed_lines as (
    select
        completed_orders.month,
        products.category,
        order_items.quantity,
        order_items.net_amount,
        order_items.quantity * order_items.unit_cost as cost,
        row_number() over (
            -- an order's customer is one: customer_id changes no
            -- partition, and lets a citus worker number its own lines
            partition by
                order_items.customer_id,
                order_items.order_id,
                products.category
            order by order_items.line_number
        ) as line_in_category
    from order_items
    inner join completed_orders
        on order_items.order_id = completed_orders.order_id
        -- the same join, kept on each citus worker (sql/021)
        and order_items.customer_id = completed_orders.customer_id
    inner join products
        on order_items.product_id = products.product_id
),

category_months as (
    select
        month,
        category,
        count(*) filter (where line_in_category = 1) as orders,
        sum(quantity) as units,
        sum(net_amount) as net_revenue,
        -- null when a line's cost is unknown
        case when count(cost) = count(*) then sum(cost) end as cost
    from completed_lines
    group by month, category
),

grid as (
    select
        months.month,
        categories.category
    from months
    cross join categories
),

final as (
    select
        -- keys
        grid.month,
        grid.category,
        -- counts
        coalesce(category_months.orders, 0) as orders,
        coalesce(category_months.units, 0) as units,
        -- amounts
        coalesce(category_months.net_revenue, 0.00) as net_revenue,
        case
            when category_months.month is null then 0.00
            else category_months.cost
        end as cost,
        case
            when category_months.month is null then 0.00
            else category_months.net_revenue - category_months.cost
        end as gross_margin
    from grid
    left join category_months
        on grid.month = category_months.month
        and grid.category = category_months.category
)

select * from final;

-- the grain, enforced
create unique index on vw_revenue_by_category (month, category);
