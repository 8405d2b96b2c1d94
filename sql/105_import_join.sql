-- imported orders: the lines joined to the export's other files, and an
-- order's own fields filled from its first line that has them.
-- grain: one row per data line of the lines file (line_no), as
-- source_line_value. runs after the files are copied (100:
-- source_line_read and the orders, products and customers files' tables)
-- and before 101, and only for a mapping that names another file or
-- reads an order's fields from its first line (warehouse/import_build.py;
-- without either, the lines file is copied into source_line_value as it
-- is). definitions:
--   a line's field is the lines file's where it gives one, else the
--     orders file's row of its order number, the products file's row of
--     its sku, the customers file's row of its customer (each key is in
--     a file once: import_build.check_keys checks it first)
--   with order_fields = 'first_line', an order's own fields (its time,
--     customer, the customer's names, email and places, channel, status)
--     left blank on a line are those of the order's first line that has
--     them, and a rule that marks one of its lines as a return or a
--     cancellation marks every line of it

insert into source_line_value (
    line_no,
    order_number,
    sku,
    product_name,
    category,
    subcategory,
    brand,
    channel,
    status,
    quantity,
    unit_price,
    line_total,
    line_subtotal,
    line_discount,
    discount_rate,
    unit_cost,
    line_cost,
    profit,
    order_ts,
    customer_code,
    country,
    city,
    region,
    email,
    first_name,
    last_name,
    is_returned,
    is_cancelled,
    not_product,
    line_key
)

with

lines as (
    select * from source_line_read
),

orders as (
    select * from source_order_value
),

products as (
    select * from source_product_value
),

customers as (
    select * from source_customer_value
),

settings as (
    select * from import_setting
),

joined as (
    select
        lines.line_no,
        lines.order_number,
        lines.sku,
        coalesce(lines.product_name, products.product_name) as product_name,
        coalesce(lines.category, products.category) as category,
        coalesce(lines.subcategory, products.subcategory) as subcategory,
        coalesce(lines.brand, products.brand) as brand,
        coalesce(lines.channel, orders.channel) as channel,
        coalesce(lines.status, orders.status) as status,
        lines.quantity,
        coalesce(lines.unit_price, products.unit_price) as unit_price,
        lines.line_total,
        lines.line_subtotal,
        lines.line_discount,
        lines.discount_rate,
        coalesce(lines.unit_cost, products.unit_cost) as unit_cost,
        lines.line_cost,
        lines.profit,
        coalesce(lines.order_ts, orders.order_ts) as order_ts,
        coalesce(lines.customer_code, orders.customer_code) as customer_code,
        coalesce(lines.country, orders.country) as country,
        coalesce(lines.city, orders.city) as city,
        coalesce(lines.region, orders.region) as region,
        coalesce(lines.email, orders.email) as email,
        coalesce(lines.first_name, orders.first_name) as first_name,
        coalesce(lines.last_name, orders.last_name) as last_name,
        lines.is_returned,
        lines.is_cancelled,
        lines.not_product,
        lines.line_key
    from lines
    left join orders
        on lines.order_number = orders.order_number
    left join products
        on lines.sku = products.sku
),

firsts as (
    select
        joined.order_number,
        (array_agg(joined.order_ts order by joined.line_no)
            filter (where joined.order_ts is not null))[1] as order_ts,
        (array_agg(joined.customer_code order by joined.line_no)
            filter (where joined.customer_code is not null))[1]
            as customer_code,
        (array_agg(joined.email order by joined.line_no)
            filter (where joined.email is not null))[1] as email,
        (array_agg(joined.first_name order by joined.line_no)
            filter (where joined.first_name is not null))[1] as first_name,
        (array_agg(joined.last_name order by joined.line_no)
            filter (where joined.last_name is not null))[1] as last_name,
        (array_agg(joined.city order by joined.line_no)
            filter (where joined.city is not null))[1] as city,
        (array_agg(joined.region order by joined.line_no)
            filter (where joined.region is not null))[1] as region,
        (array_agg(joined.country order by joined.line_no)
            filter (where joined.country is not null))[1] as country,
        (array_agg(joined.channel order by joined.line_no)
            filter (where joined.channel is not null))[1] as channel,
        (array_agg(joined.status order by joined.line_no)
            filter (where joined.status is not null))[1] as status,
        bool_or(joined.is_returned) as is_returned,
        bool_or(joined.is_cancelled) as is_cancelled
    from joined
    cross join settings
    where settings.order_fields = 'first_line'
    group by joined.order_number
),

filled as (
    select
        joined.line_no,
        joined.order_number,
        joined.sku,
        joined.product_name,
        joined.category,
        joined.subcategory,
        joined.brand,
        coalesce(joined.channel, firsts.channel) as channel,
        coalesce(joined.status, firsts.status) as status,
        joined.quantity,
        joined.unit_price,
        joined.line_total,
        joined.line_subtotal,
        joined.line_discount,
        joined.discount_rate,
        joined.unit_cost,
        joined.line_cost,
        joined.profit,
        coalesce(joined.order_ts, firsts.order_ts) as order_ts,
        coalesce(joined.customer_code, firsts.customer_code) as customer_code,
        coalesce(joined.country, firsts.country) as country,
        coalesce(joined.city, firsts.city) as city,
        coalesce(joined.region, firsts.region) as region,
        coalesce(joined.email, firsts.email) as email,
        coalesce(joined.first_name, firsts.first_name) as first_name,
        coalesce(joined.last_name, firsts.last_name) as last_name,
        coalesce(firsts.is_returned, joined.is_returned) as is_returned,
        coalesce(firsts.is_cancelled, joined.is_cancelled) as is_cancelled,
        joined.not_product,
        joined.line_key
    from joined
    left join firsts
        on joined.order_number = firsts.order_number
),

final as (
    select
        filled.line_no,
        filled.order_number,
        filled.sku,
        filled.product_name,
        filled.category,
        filled.subcategory,
        filled.brand,
        filled.channel,
        filled.status,
        filled.quantity,
        filled.unit_price,
        filled.line_total,
        filled.line_subtotal,
        filled.line_discount,
        filled.discount_rate,
        filled.unit_cost,
        filled.line_cost,
        filled.profit,
        filled.order_ts,
        filled.customer_code,
        coalesce(filled.country, customers.country) as country,
        coalesce(filled.city, customers.city) as city,
        coalesce(filled.region, customers.region) as region,
        coalesce(filled.email, customers.email) as email,
        coalesce(filled.first_name, customers.first_name) as first_name,
        coalesce(filled.last_name, customers.last_name) as last_name,
        filled.is_returned,
        filled.is_cancelled,
        filled.not_product,
        filled.line_key
    from filled
    left join customers
        on filled.customer_code = customers.customer_code
)

select * from final;
