-- int_repeat_pairs (a table made when the warehouse is built and kept up to
-- date by a refresh, customer by customer; an intermediate of
-- vw_pair_customers, not part of the views contract)
-- grain: one row per customer and product pair (product_a < product_b)
-- that the customer bought together in two or more completed orders.
-- purpose: a pair's support in distinct customers, so that a rule that
-- comes from one customer's repeat orders is told from one that many
-- customers share: customers = orders_together - sum(baskets - 1) over the
-- pair's rows here (vw_pair_customers).
-- definitions:
--   basket  = one completed order (order_status = 'completed'); a product
--             counts once per basket however many lines it has
--   baskets = the customer's baskets holding both products; range [2, inf)
-- (on a Citus cluster, in place of sql/042: a customer's orders and lines
-- are on one worker, so each worker keeps its customers' products of two
-- or more baskets, expands their baskets into pairs and counts them by
-- pair and customer, every step grouped by the customer, the distribution
-- column, and no fact row leaves its shard; the coordinator only gathers
-- the repeats. A refresh makes again the rows of the customers whose
-- orders it added or changed, from all their orders)

-- incremental delete: customer_id in (select customer_id from refresh_orders)

create table int_repeat_pairs as

with

order_totals as (
    select * from int_order_totals
),

order_items as (
    select * from fact_order_item
),

completed_orders as (
    select
        order_id,
        customer_id
    from order_totals
    where order_status = 'completed'
    -- incremental: and customer_id in (
    -- incremental:     select refresh_orders.customer_id from refresh_orders
    -- incremental: )
),

baskets as not materialized (
    -- one row per basket and product in it
    select
        order_items.order_id,
        order_items.customer_id,
        order_items.product_id
    from order_items
    inner join completed_orders
        on order_items.order_id = completed_orders.order_id
        and order_items.customer_id = completed_orders.customer_id
    group by
        order_items.order_id,
        order_items.customer_id,
        order_items.product_id
),

counted_baskets as not materialized (
    -- each basket's product with the number of the customer's baskets that
    -- hold it (a window partitioned by the customer, the distribution
    -- column: each worker counts its own; not a join of the baskets with
    -- their counts, see sql/042)
    select
        order_id,
        customer_id,
        product_id,
        count(*) over (partition by customer_id, product_id)
            as customer_baskets
    from baskets
),

basket_products as not materialized (
    -- one row per basket of two or more products its customer bought in
    -- two or more baskets: those, sorted
    select
        order_id,
        customer_id,
        array_agg(product_id order by product_id) as products
    from counted_baskets
    where customer_baskets >= 2
    group by order_id, customer_id
    having count(*) >= 2
),

basket_pairs as not materialized (
    -- one row per basket and pair in it
    select
        basket_products.customer_id,
        positions.product_a,
        partner.product_b
    from basket_products
    cross join lateral unnest(basket_products.products) with ordinality
        as positions (product_a, position)
    cross join lateral
        unnest(basket_products.products[positions.position + 1:])
        as partner (product_b)
),

final as (
    select
        -- ids
        product_a,
        product_b,
        customer_id,
        -- counts
        count(*) as baskets
    from basket_pairs
    group by customer_id, product_a, product_b
    having count(*) >= 2
)

select * from final;

-- the grain, enforced
create unique index on int_repeat_pairs (product_a, product_b, customer_id);
-- for a refresh only: it deletes the rows of its customers (a warehouse
-- that no refresh can bring forward, an import, is built without it)
create index on int_repeat_pairs (customer_id);
