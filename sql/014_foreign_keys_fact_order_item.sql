-- foreign keys of fact_order_item, added without looking at the rows (not
-- valid: a moment's lock); 016 validates them against every loaded row.
-- (needs the keys of the dimensions, of fact_order and of the lines)
-- a line references its order by (order_id, customer_id): on a citus
-- cluster, where both facts are distributed by customer_id, a foreign key
-- between them must include it; on one node it is the same key (011).
-- one constraint per alter table: citus refuses several at once.

alter table fact_order_item
    add constraint fact_order_item_order_id_fkey
    foreign key (order_id, customer_id)
    references fact_order (order_id, customer_id) not valid;
alter table fact_order_item
    add constraint fact_order_item_customer_id_fkey
    foreign key (customer_id) references dim_customer not valid;
alter table fact_order_item
    add constraint fact_order_item_order_date_key_fkey
    foreign key (order_date_key) references dim_date not valid;
alter table fact_order_item
    add constraint fact_order_item_product_id_fkey
    foreign key (product_id) references dim_product not valid;
