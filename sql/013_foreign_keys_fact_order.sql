-- foreign keys of fact_order, added without looking at the rows (not
-- valid: a moment's lock); 015 validates them against every loaded row.
-- (needs the keys of the dimensions and of fact_order)
-- one constraint per alter table: citus refuses several at once.

alter table fact_order
    add constraint fact_order_customer_id_fkey
    foreign key (customer_id) references dim_customer not valid;
alter table fact_order
    add constraint fact_order_channel_id_fkey
    foreign key (channel_id) references dim_channel not valid;
alter table fact_order
    add constraint fact_order_order_date_key_fkey
    foreign key (order_date_key) references dim_date not valid;
