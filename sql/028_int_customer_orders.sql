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
--   cohort_month     = first day of the month of first_order_date
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

customer_orders as (
    select
        customer_id,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(*) as frequency,
        sum(net_amount) as net_revenue
    from completed_orders
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
        -- orders and revenue
        frequency,
        net_revenue
    from customer_orders
)

select * from final
order by customer_id;

-- the grain, enforced
create unique index on int_customer_orders (customer_id);
