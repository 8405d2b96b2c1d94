-- foreign keys of fact_order_item, each validated against every loaded
-- row (needs the keys of the dimensions, of fact_order and of the lines).

alter table fact_order_item
    add foreign key (order_id) references fact_order,
    add foreign key (customer_id) references dim_customer,
    add foreign key (order_date_key) references dim_date,
    add foreign key (product_id) references dim_product;
