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
-- (the counts come from int_product_pairs, which counts every basket once
-- and is kept up to date by a refresh: the products' own rows there are
-- their baskets; the completed orders are those of vw_daily_revenue)

create materialized view vw_product_pairs as

with

settings as (
    select * from analysis_setting
),

pair_counts as (
    select * from int_product_pairs
),

daily_revenue as (
    select * from vw_daily_revenue
),

basket_count as (
    select sum(orders)::bigint as baskets
    from daily_revenue
),

product_counts as (
    -- one row per product in a basket: the baskets holding it
    select
        product_a as product_id,
        orders_together as orders_with
    from pair_counts
    where product_a = product_b
),

kept_pairs as (
    select
        product_a,
        product_b,
        orders_together
    from pair_counts
    where
        product_a < product_b
        and orders_together >= (select settings.min_pair_orders from settings)
),

final as (
    select
        -- ids
        kept_pairs.product_a,
        kept_pairs.product_b,
        -- counts
        kept_pairs.orders_together,
        -- rates
        kept_pairs.orders_together::double precision
            / basket_count.baskets as support,
        -- item counts
        counts_a.orders_with as orders_with_a,
        counts_b.orders_with as orders_with_b
    from kept_pairs
    inner join product_counts as counts_a
        on kept_pairs.product_a = counts_a.product_id
    inner join product_counts as counts_b
        on kept_pairs.product_b = counts_b.product_id
    cross join basket_count
)

select * from final;

-- the grain, enforced
create unique index on vw_product_pairs (product_a, product_b);
-- (no index on product_b: no chapter or refresh reads the pairs by it,
-- and on the UCI file its 527,936 pairs took 0.22-0.30 s to index)
