-- int_recency_ranks (a table made when the warehouse is built and made
-- again in full by a refresh; on a citus cluster a reference table, copied
-- to every node, so that each worker joins its customers to their values'
-- ranks; an intermediate of int_customer_ranks, not in the views contract)
-- grain: one row per distinct last_order_date of the customers with at
-- least one completed order (int_customer_orders).
-- purpose: where each value stands among the customers, counted once per
-- value: int_customer_ranks gives each customer the counts of their value.
-- A refresh recomputes it (a few values change, and the counts below them
-- move): one pass over the customers, one row written per value.
-- definitions:
--   customers_tied  = customers with this last_order_date; range [1, inf)
--   customers_below = customers with an earlier last order (a worse
--                     recency: more days since it); range [0, customers)
-- (by the last order's date, not the days since it: the same order of the
-- customers, and a value that does not move as the days pass)

-- incremental full

create table int_recency_ranks as

with

customer_orders as (
    select * from int_customer_orders
),

final as (
    select
        -- key
        last_order_date,
        -- counts
        count(*) as customers_tied,
        (sum(count(*)) over (order by last_order_date) - count(*))::bigint
            as customers_below
    from customer_orders
    group by last_order_date
)

select * from final;

-- the grain, enforced (int_customer_ranks finds each customer's value
-- through it)
create unique index on int_recency_ranks (last_order_date);
