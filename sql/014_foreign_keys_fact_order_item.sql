-- foreign keys of fact_order_item, added without looking at the rows (not
-- valid: a moment's lock); 016 validates them against every loaded row.
-- (needs the keys of the dimensions, of fact_order and of the lines)

alter table fact_order_item
    add constraint fact_order_item_order_id_fkey
        foreign key (order_id) references fact_order not valid,
    add constraint fact_order_item_customer_id_fkey
        foreign key (customer_id) references dim_customer not valid,
    add constraint fact_order_item_order_date_key_fkey
        foreign key (order_date_key) references dim_date not valid,
    add constraint fact_order_item_product_id_fkey
        foreign key (product_id) references dim_product not valid;
