-- vw_customer_rfm_base (materialized when the warehouse is built)
-- grain: one row per customer with at least one completed order.
-- purpose: the recency, frequency and monetary inputs of RFM analysis.
-- definitions:
--   analysis_date    = the day after the last order date in the data,
--                      orders of any status: max(order_ts)::date + 1
--   first_order_date = date of the customer's first completed order
--   last_order_date  = date of the customer's last completed order
--   recency_days     = analysis_date - last_order_date; range [1, inf);
--                      fewer days is better
--   frequency        = completed orders (order_status = 'completed');
--                      range [1, inf)
--   monetary         = net revenue: sum(fact_order_item.net_amount) over the
--                      customer's completed orders; tax and shipping
--                      excluded; range [0, inf)
-- (an import cte read twice is "not materialized": postgresql would
-- otherwise copy the whole table before filtering it)

create materialized view vw_customer_rfm_base as

with

orders as not materialized (
    select * from fact_order
),

order_items as (
    select * from fact_order_item
),

analysis as (
    select max(order_ts)::date + 1 as analysis_date
    from orders
),

completed_orders as (
    select
        order_id,
        customer_id,
        order_ts::date as order_date
    from orders
    where order_status = 'completed'
),

customer_orders as (
    select
        customer_id,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(*) as frequency
    from completed_orders
    group by customer_id
),

customer_revenue as (
    select
        completed_orders.customer_id,
        sum(order_items.net_amount) as net_revenue
    from order_items
    inner join completed_orders
        on order_items.order_id = completed_orders.order_id
    group by completed_orders.customer_id
),

final as (
    select
        -- ids
        customer_orders.customer_id,
        -- dates
        customer_orders.first_order_date,
        customer_orders.last_order_date,
        -- recency, frequency, monetary
        analysis.analysis_date - customer_orders.last_order_date
            as recency_days,
        customer_orders.frequency,
        coalesce(customer_revenue.net_revenue, 0.00) as monetary,
        -- as of
        analysis.analysis_date
    from customer_orders
    cross join analysis
    left join customer_revenue
        on customer_orders.customer_id = customer_revenue.customer_id
)

select * from final;

-- the grain, enforced
create unique index on vw_customer_rfm_base (customer_id);
