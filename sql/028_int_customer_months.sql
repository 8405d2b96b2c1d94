-- int_customer_months (a table made when the warehouse is built and kept
-- up to date by a refresh; an intermediate of vw_cohort_retention, not part
-- of the views contract)
-- grain: one row per customer and calendar month in which the customer
-- has at least one completed order.
-- purpose: who was active when, kept so that a refresh makes again only the
-- months of the customers whose orders it added or changed.
-- definitions:
--   order_month = first day of the calendar month of the order
-- incremental delete: customer_id in (select customer_id from refresh_orders)

create table int_customer_months as

with

completed_orders as (
    select *
    from int_order_totals
    where order_status = 'completed'
    -- incremental: and customer_id in (select customer_id from refresh_orders)
),

final as (
    select distinct
        -- ids
        customer_id,
        -- month
        order_month
    from completed_orders
)

select * from final
order by customer_id, order_month;

-- the grain, enforced
create unique index on int_customer_months (customer_id, order_month);
