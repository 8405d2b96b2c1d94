-- vw_pair_customers (materialized when the warehouse is built)
-- grain: one row per product pair of vw_product_pairs (product_a <
-- product_b).
-- purpose: each pair's support in distinct customers beside its support in
-- baskets: a pair bought together in many baskets by one customer is that
-- customer's habit, not a rule of the shop (the book shows a rule only
-- when several customers share it: datagen/chapters/needs.py).
-- definitions:
--   basket          = one completed order (order_status = 'completed'); a
--                     product counts once per basket
--   orders_together = baskets holding both products (vw_product_pairs);
--                     range [min_pair_orders, completed orders]
--   customers       = distinct customers with a basket holding both
--                     = orders_together - sum(baskets - 1) over the pair's
--                     rows of int_repeat_pairs (each customer's baskets
--                     after their first); range [1, orders_together]

create materialized view vw_pair_customers as

with

product_pairs as (
    select * from vw_product_pairs
),

repeat_pairs as (
    select * from int_repeat_pairs
),

repeats as (
    select
        product_a,
        product_b,
        sum((baskets - 1)::integer) as repeat_baskets
    from repeat_pairs
    group by product_a, product_b
),

final as (
    select
        -- ids
        product_pairs.product_a,
        product_pairs.product_b,
        -- counts
        product_pairs.orders_together,
        product_pairs.orders_together
        - coalesce(repeats.repeat_baskets, 0) as customers
    from product_pairs
    left join repeats
        on product_pairs.product_a = repeats.product_a
        and product_pairs.product_b = repeats.product_b
)

select * from final;

-- the grain, enforced
create unique index on vw_pair_customers (product_a, product_b);
