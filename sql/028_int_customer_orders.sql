-- int_customer_orders (a table made when the warehouse is built and kept
-- up to date by a refresh; an intermediate of the customer views, not part
-- of the views contract)
-- grain: one row per customer with at least one completed order.
-- purpose: the one pass over the orders that the customer views share, so
-- that a refresh makes again only the customers whose orders it added or
-- changed.
-- definitions:
--   first_order_date = date of the customer's first completed order
--   last_order_date  = date of the customer's last completed order
--   second_order_date = the second day on which the customer completed an
--                      order (null with one such day only): the first
--                      repeat purchase of the lifetime value models
--                      (int_clv_summary counts one purchase per day)
--   first_order_ts   = time of the customer's first completed order
--   second_order_ts  = time of the customer's second completed order, by
--                      (order_ts, order_id): on the first day too (null
--                      with one completed order only)
--   cohort_month     = first day of the month of first_order_date
--   order_years      = the calendar years in which the customer completed
--                      an order, ascending (the KPI dashboard's customers
--                      per year count them without reading the orders)
--   frequency        = completed orders (order_status = 'completed')
--   net_revenue      = sum(fact_order_item.net_amount) over the customer's
--                      completed orders (from int_order_totals)
-- incremental delete: customer_id in (select customer_id from refresh_orders)

create table int_customer_orders as

with

completed_orders as (
    select *
    from int_order_totals
    where order_status = 'completed'
    -- incremental: and customer_id in (select customer_id from refresh_orders)
),

dated_orders as (
    -- each order with its customer's first day and its number among the
    -- customer's orders (one sort serves both)
    select
        completed_orders.*,
        min(completed_orders.order_date) over (
            partition by completed_orders.customer_id
        ) as first_day,
        row_number() over (
            partition by completed_orders.customer_id
            order by completed_orders.order_ts, completed_orders.order_id
        ) as order_number
    from completed_orders
),

customer_orders as (
    select
        customer_id,
        min(order_date) as first_order_date,
        min(order_date) filter (
            where order_date > first_day
        ) as second_order_date,
        max(order_date) as last_order_date,
        min(order_ts) as first_order_ts,
        min(order_ts) filter (where order_number = 2) as second_order_ts,
        array_agg(distinct extract(year from order_date)::integer)
            as order_years,
        count(*) as frequency,
        sum(net_amount) as net_revenue
    from dated_orders
    group by customer_id
),

final as (
    select
        -- ids
        customer_id,
        -- dates
        first_order_date,
        last_order_date,
        date_trunc('month', first_order_date)::date as cohort_month,
        second_order_date,
        order_years,
        -- times
        first_order_ts,
        second_order_ts,
        -- orders and revenue
        frequency,
        net_revenue
    from customer_orders
)

select * from final
order by customer_id;

-- the grain, enforced
create unique index on int_customer_orders (customer_id);
