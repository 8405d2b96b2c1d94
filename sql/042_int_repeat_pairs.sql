-- int_repeat_pairs (a table made when the warehouse is built and kept up to
-- date by a refresh, customer by customer; an intermediate of
-- vw_pair_customers, not part of the views contract)
-- grain: one row per customer and product pair (product_a < product_b)
-- that the customer bought together in two or more completed orders.
-- purpose: a pair's support in distinct customers, so that a rule that
-- comes from one customer's repeat orders is told from one that many
-- customers share. A customer's repeats are all a pair's baskets need to be
-- counted in customers: customers = orders_together - sum(baskets - 1) over
-- the pair's rows here (vw_pair_customers), so a customer who bought a pair
-- once has no row.
-- definitions:
--   basket  = one completed order (order_status = 'completed'); a product
--             counts once per basket however many lines it has
--   baskets = the customer's baskets holding both products; range [2, inf)
-- (each basket keeps only the products its customer bought in two or more
-- baskets, the only ones a repeat pair can hold, counted by a window over
-- the customer's baskets: a join of the baskets with their counts, planned
-- for the one basket that a refresh's estimate gives, compared each of
-- thousands with every count, for minutes at scale 20; then as in
-- int_product_pairs: each basket becomes the sorted array of its products,
-- each product in it the products after it, gathered per product_a, and
-- the (product_b, customer) of each counted in a small hash of their own.
-- A refresh makes again the rows of the customers whose orders it added or
-- changed, from all their orders)

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

baskets as (
    -- one row per basket and product in it
    select distinct
        order_items.order_id,
        order_items.customer_id,
        order_items.product_id
    from order_items
    inner join completed_orders
        on order_items.order_id = completed_orders.order_id
        and order_items.customer_id = completed_orders.customer_id
),

counted_baskets as (
    -- each basket's product with the number of the customer's baskets that
    -- hold it (a window, not a join of the baskets with their own counts:
    -- however few baskets the planner expects in a refresh, no row is
    -- compared with every other)
    select
        order_id,
        customer_id,
        product_id,
        count(*) over (partition by customer_id, product_id)
            as customer_baskets
    from baskets
),

basket_products as (
    -- one row per basket of two or more products that its customer bought
    -- in two or more baskets (the only products of the customer's baskets
    -- a repeat pair can hold): those products, sorted
    select
        order_id,
        customer_id,
        array_agg(product_id order by product_id) as products
    from counted_baskets
    where customer_baskets >= 2
    group by order_id, customer_id
    having count(*) >= 2
),

later_products as not materialized (
    -- one row per basket and product in it: the basket's products after it,
    -- in product_a order
    select
        basket_products.customer_id,
        positions.product_a,
        basket_products.products[positions.position + 1:] as products_after
    from basket_products
    cross join lateral unnest(basket_products.products) with ordinality
        as positions (product_a, position)
    order by positions.product_a
),

partners as (
    -- one row per product_a: every product_b bought with it, once per
    -- basket, each with the basket's customer
    select
        later_products.product_a,
        array_agg(partner.product_b) as product_bs,
        array_agg(later_products.customer_id) as customer_ids
    from later_products
    cross join lateral unnest(later_products.products_after)
        as partner (product_b)
    group by later_products.product_a
),

final as (
    select
        -- ids
        partners.product_a,
        counted.product_b,
        counted.customer_id,
        -- counts
        counted.baskets
    from partners
    cross join lateral (
        select
            partner.product_b,
            partner.customer_id,
            count(*) as baskets
        from unnest(partners.product_bs, partners.customer_ids)
            as partner (product_b, customer_id)
        group by partner.product_b, partner.customer_id
        having count(*) >= 2
    ) as counted
)

select * from final;

-- the grain, enforced
create unique index on int_repeat_pairs (product_a, product_b, customer_id);
-- for a refresh only: it deletes the rows of its customers (a warehouse
-- that no refresh can bring forward, an import, is built without it)
create index on int_repeat_pairs (customer_id);
