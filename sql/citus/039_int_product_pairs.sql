-- int_product_pairs (a table made when the warehouse is built and kept up
-- to date by a refresh, by addition; an intermediate of the pairs, not part
-- of the views contract)
-- grain: one row per product pair (product_a <= product_b) bought together
-- in at least analysis_setting.min_pair_orders_kept completed orders; the
-- pair of a product with itself (product_a = product_b) is the product
-- alone.
-- purpose: the basket counts behind vw_product_pairs, kept for every pair
-- (min_pair_orders_kept = 1 in a generated warehouse) so that a refresh can
-- add the baskets it changed to any pair, however few its orders were.
-- definitions:
--   basket          = one completed order (order_status = 'completed'); a
--                     product counts once per basket however many lines
--                     it has
--   orders_together = baskets holding both products; where product_a =
--                     product_b, baskets holding the product;
--                     range [min_pair_orders_kept, completed orders]
--   sign            = +1 for each basket counted; in a refresh, the orders
--                     of refresh_orders: +1 for one completed now, -1 for
--                     one that was completed before the refresh
--                     (was_completed), so that the query gives the change
--                     of each pair's count
-- (on a Citus cluster, in place of sql/039: each worker expands its own
-- baskets into their pairs and counts them by pair, and the coordinator
-- adds the workers' counts; the baskets are grouped by the order and its
-- customer, the distribution column, and the lines meet their orders on
-- both, so no fact row leaves its shard. One node counts them per product
-- instead (sql/039): on a shop with thousands of products one hash of
-- every pair is about twice as slow there)

-- incremental add: product_a, product_b
-- incremental empty: orders_together = 0

create table int_product_pairs as

with

settings as (
    select * from analysis_setting
),

orders as (
    select * from fact_order
),

order_items as (
    select * from fact_order_item
),

counted_orders as (
    -- one row per basket counted, with its sign
    select
        order_id,
        customer_id,
        1 as sign
    from orders
    where order_status = 'completed'
    -- incremental: and order_id in (select order_id from refresh_orders)
    -- incremental: union all
    -- incremental: select order_id, customer_id, -1 as sign
    -- incremental: from refresh_orders
    -- incremental: where was_completed
),

basket_products as (
    -- one row per basket: its products, once each, sorted
    select
        order_items.order_id,
        order_items.customer_id,
        counted_orders.sign,
        array_agg(
            distinct order_items.product_id order by order_items.product_id
        ) as products
    from order_items
    inner join counted_orders
        on
            order_items.order_id = counted_orders.order_id
            and order_items.customer_id = counted_orders.customer_id
    group by
        order_items.order_id,
        order_items.customer_id,
        counted_orders.sign
),

basket_pairs as (
    -- one row per basket and pair in it (a product with itself included),
    -- with the basket's sign
    select
        positions.product_a,
        partner.product_b,
        basket_products.sign
    from basket_products
    cross join lateral unnest(basket_products.products) with ordinality
        as positions (product_a, position)
    cross join lateral unnest(basket_products.products[positions.position:])
        as partner (product_b)
),

pair_counts as (
    select
        product_a,
        product_b,
        sum(sign) as orders_together
    from basket_pairs
    group by product_a, product_b
),

final as (
    select
        -- ids
        product_a,
        product_b,
        -- counts
        orders_together
    from pair_counts
    -- (a change of at least one in a refresh: min_pair_orders_kept = 1)
    where
        abs(orders_together)
        >= (select settings.min_pair_orders_kept from settings)
)

select * from final;

-- the grain, enforced
create unique index on int_product_pairs (product_a, product_b);
