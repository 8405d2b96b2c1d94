-- vw_product_pairs (materialized when the warehouse is built)
-- grain: one row per unordered product pair (product_a < product_b) bought
-- together in at least analysis_setting.min_pair_orders completed orders.
-- purpose: the co-purchase counts behind market-basket analysis; every pair
-- at or above the threshold, not a top N.
-- definitions:
--   basket          = one completed order (order_status = 'completed'); a
--                     product counts once per basket however many lines
--                     it has
--   orders_together = baskets holding both products;
--                     range [min_pair_orders, completed orders]
--   support         = orders_together / completed orders (all of them,
--                     including one-product baskets); range (0, 1]
--   orders_with_a   = baskets holding product_a (of any size), and
--   orders_with_b   = baskets holding product_b: the item counts behind
--                     vw_product_association_rules; range [orders_together,
--                     completed orders]
-- (one pass over the lines: the baskets come out of the two primary keys in
-- order_id order; each basket becomes the sorted array of its products, and
-- each product in it the products after it (its pairs with a higher id);
-- these are gathered per product_a, one product at a time in product_a
-- order, and the product_b of each are counted in a small hash of their
-- own: the same counts as a self-join of the baskets, without one hash of
-- every pair; the threshold is applied as they are counted, so only the
-- kept pairs meet the product counts, which come from the baskets; the
-- baskets are grouped by the order and its customer, the distribution
-- column on Citus, so the shards make their own baskets)

create materialized view vw_product_pairs as

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

completed_orders as not materialized (
    select
        order_id,
        customer_id
    from orders
    where order_status = 'completed'
),

basket_count as (
    select count(*) as baskets
    from completed_orders
),

baskets as (
    -- one row per basket and product in it, in order_id order
    select distinct on (
        order_items.order_id, order_items.customer_id, order_items.product_id
    )
        order_items.order_id,
        order_items.customer_id,
        order_items.product_id
    from order_items
    where exists (
        select
        from completed_orders
        where order_items.order_id = completed_orders.order_id
    )
    order by
        order_items.order_id, order_items.customer_id, order_items.product_id
),

product_counts as (
    select
        product_id,
        count(*) as orders_with
    from baskets
    group by product_id
),

basket_products as (
    -- one row per basket: its products, sorted
    select
        order_id,
        customer_id,
        array_agg(product_id order by product_id) as products
    from baskets
    group by order_id, customer_id
),

later_products as not materialized (
    -- one row per basket and product in it but its last: the basket's
    -- products after it, in product_a order
    select
        positions.product_a,
        basket_products.products[positions.position + 1:] as products_after
    from basket_products
    cross join lateral unnest(basket_products.products) with ordinality
        as positions (product_a, position)
    where positions.position < cardinality(basket_products.products)
    order by positions.product_a
),

partners as (
    -- one row per product_a: every product_b it was bought with, once per
    -- basket
    select
        later_products.product_a,
        array_agg(partner.product_b) as product_bs
    from later_products
    cross join lateral unnest(later_products.products_after)
        as partner (product_b)
    group by later_products.product_a
),

pair_counts as materialized (
    -- only the pairs at or above the threshold (materialized: joined to the
    -- product counts once, not once per product_a)
    select
        partners.product_a,
        counted.product_b,
        counted.orders_together
    from partners
    cross join lateral (
        select
            partner.product_b,
            count(*) as orders_together
        from unnest(partners.product_bs) as partner (product_b)
        group by partner.product_b
        having count(*) >= (select settings.min_pair_orders from settings)
    ) as counted
),

final as (
    select
        -- ids
        pair_counts.product_a,
        pair_counts.product_b,
        -- counts
        pair_counts.orders_together,
        -- rates
        pair_counts.orders_together::double precision
            / basket_count.baskets as support,
        -- item counts
        counts_a.orders_with as orders_with_a,
        counts_b.orders_with as orders_with_b
    from pair_counts
    inner join product_counts as counts_a
        on pair_counts.product_a = counts_a.product_id
    inner join product_counts as counts_b
        on pair_counts.product_b = counts_b.product_id
    cross join basket_count
)

select * from final;

-- the grain, enforced
create unique index on vw_product_pairs (product_a, product_b);
create index on vw_product_pairs (product_b);
