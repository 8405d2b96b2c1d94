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
-- order_id order, so the self-join merges them without sorting or hashing;
-- the threshold is applied as the pairs are counted, so only the kept pairs
-- meet the product counts, which come from the baskets; the self-join is on
-- the order and its customer, the distribution column on Citus, so the
-- shards pair their own baskets)

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

pair_counts as (
    -- only the pairs at or above the threshold
    select
        basket_a.product_id as product_a,
        basket_b.product_id as product_b,
        count(*) as orders_together
    from baskets as basket_a
    inner join baskets as basket_b
        on basket_a.order_id = basket_b.order_id
        and basket_a.customer_id = basket_b.customer_id
        and basket_a.product_id < basket_b.product_id
    group by basket_a.product_id, basket_b.product_id
    having count(*) >= (select settings.min_pair_orders from settings)
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
