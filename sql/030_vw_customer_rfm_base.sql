-- vw_customer_rfm_base (a view of int_customer_orders, which is stored and
-- kept up to date by a refresh: recency_days is computed as it is read, so
-- that a day later only the customers who ordered change)
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
-- (the lines are summed per order once, in int_order_totals, and the orders
-- per customer once, in int_customer_orders, which a refresh keeps up to
-- date)

create view vw_customer_rfm_base as

with

order_totals as (
    select * from int_order_totals
),

customer_orders as (
    select * from int_customer_orders
),

analysis as (
    select max(order_date) + 1 as analysis_date
    from order_totals
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
        customer_orders.net_revenue as monetary,
        -- as of
        analysis.analysis_date
    from customer_orders
    cross join analysis
)

select * from final;

-- (its grain is int_customer_orders', enforced there)
