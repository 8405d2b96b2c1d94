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
--                     of each pair's count, one row per pair and sign
-- (one pass over the lines: the baskets come out of the two primary keys in
-- order_id order; each basket becomes the sorted array of its products, and
-- each product in it the products from it on (its pairs with itself and
-- with a higher id); these are gathered per product_a, one product at a
-- time in product_a order, and the product_b of each are counted in a
-- small hash of their own: the same counts as a self-join of the baskets,
-- without one hash of every pair; the floor is applied as they are counted;
-- the baskets are grouped by the order and its customer, the distribution
-- column on Citus, so the shards make their own baskets)

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

baskets as (
    -- one row per basket and product in it, in order_id order
    select distinct on (
        order_items.order_id,
        order_items.customer_id,
        counted_orders.sign,
        order_items.product_id
    )
        order_items.order_id,
        order_items.customer_id,
        counted_orders.sign,
        order_items.product_id
    from order_items
    inner join counted_orders
        on order_items.order_id = counted_orders.order_id
        and order_items.customer_id = counted_orders.customer_id
    order by
        order_items.order_id,
        order_items.customer_id,
        counted_orders.sign,
        order_items.product_id
),

basket_products as (
    -- one row per basket: its products, sorted
    select
        order_id,
        customer_id,
        sign,
        array_agg(product_id order by product_id) as products
    from baskets
    group by order_id, customer_id, sign
),

later_products as not materialized (
    -- one row per basket and product in it: the basket's products from it
    -- on, in product_a order (the baskets of one sign together)
    select
        basket_products.sign,
        positions.product_a,
        basket_products.products[positions.position:] as products_from
    from basket_products
    cross join lateral unnest(basket_products.products) with ordinality
        as positions (product_a, position)
    order by positions.product_a, basket_products.sign
),

partners as (
    -- one row per product_a and sign: every product_b it was bought with
    -- (itself included) in the baskets of that sign, once per basket
    select
        later_products.product_a,
        later_products.sign,
        array_agg(partner.product_b) as product_bs
    from later_products
    cross join lateral unnest(later_products.products_from)
        as partner (product_b)
    group by later_products.product_a, later_products.sign
),

final as (
    -- (in a refresh a pair may come twice, once per sign: the refresh adds
    -- every row of a key to the table, warehouse/maintain.py)
    select
        -- ids
        partners.product_a,
        counted.product_b,
        -- counts
        counted.baskets * partners.sign as orders_together
    from partners
    cross join lateral (
        select
            partner.product_b,
            count(*) as baskets
        from unnest(partners.product_bs) as partner (product_b)
        group by partner.product_b
        -- (any change in a refresh: min_pair_orders_kept = 1)
        having
            count(*) >= (select settings.min_pair_orders_kept from settings)
    ) as counted
)

select * from final;

-- the grain, enforced
create unique index on int_product_pairs (product_a, product_b);
