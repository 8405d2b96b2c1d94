-- vw_daily_revenue (materialized when the warehouse is built)
-- grain: one row per day of the data period (every row of dim_date); days
-- without a completed order are present with zeros.
-- purpose: the daily pulse of the shop: completed orders, customers, units,
-- net revenue and gross margin.
-- definitions:
--   orders       = completed orders (order_status = 'completed') that day
--   customers    = distinct customers with a completed order that day
--   units        = sum(quantity) over the lines of those orders
--   net_revenue  = sum(fact_order_item.net_amount) over completed orders;
--                  tax and shipping excluded; range [0, inf)
--   gross_margin = net_revenue - sum(quantity * unit_cost), unit_cost at the
--                  time of sale (the line's); range (-inf, net_revenue]

create materialized view vw_daily_revenue as

with

dates as (
    select * from dim_date
),

orders as (
    select * from fact_order
),

order_items as (
    select * from fact_order_item
),

completed_orders as (
    select
        order_id,
        customer_id,
        order_date_key
    from orders
    where order_status = 'completed'
),

completed_lines as (
    select
        completed_orders.order_date_key,
        order_items.quantity,
        order_items.net_amount,
        order_items.quantity * order_items.unit_cost as cost
    from order_items
    inner join completed_orders
        on order_items.order_id = completed_orders.order_id
),

orders_by_day as (
    select
        order_date_key,
        count(*) as orders,
        count(distinct customer_id) as customers
    from completed_orders
    group by order_date_key
),

lines_by_day as (
    select
        order_date_key,
        sum(quantity) as units,
        sum(net_amount) as net_revenue,
        sum(cost) as cost
    from completed_lines
    group by order_date_key
),

final as (
    select
        -- dates
        dates.full_date as order_date,
        -- counts
        coalesce(orders_by_day.orders, 0) as orders,
        coalesce(orders_by_day.customers, 0) as customers,
        coalesce(lines_by_day.units, 0) as units,
        -- amounts
        coalesce(lines_by_day.net_revenue, 0.00) as net_revenue,
        coalesce(lines_by_day.net_revenue - lines_by_day.cost, 0.00)
            as gross_margin
    from dates
    left join orders_by_day
        on dates.date_key = orders_by_day.order_date_key
    left join lines_by_day
        on dates.date_key = lines_by_day.order_date_key
)

select * from final;

-- the grain, enforced
create unique index on vw_daily_revenue (order_date);
