-- keys of the dimensions: primary keys, natural keys and the one foreign
-- key between dimensions.
-- the keys step (010-016) runs after the bulk load: building an index once
-- is faster than maintaining it row by row, and adding a constraint
-- validates every loaded row. its files run side by side where they do not
-- need each other (warehouse/keys.py says which needs which): the
-- lines' primary key is built while the orders' keys are, and the foreign
-- keys of the two fact tables are validated side by side (added not valid,
-- then validated: 013-016).
-- cross-table rules that a check cannot express (items_subtotal = sum of the
-- lines, no order before sign-up) are verified by the quality checks.
-- memory: maintenance_work_mem is left as the server has it (64MB by
-- default): larger in-memory sorts miss the cpu caches more than they save
-- (readme, performance).
-- indexes: the views and the quality checks read whole tables, streaming
-- the fact tables through their primary keys (they are loaded in order_id
-- order), so they need no secondary index. none is built for order_status
-- (three values) or for a line's customer, date or product: each would cost
-- about as much to build as a primary key, and no view, check or chapter
-- reads by them (a customer's lines are reached through the customer's
-- orders).
-- autovacuum is off on the large tables from their load to the build's
-- vacuum (warehouse/keys.py, autovacuum_paused).

-- primary keys and natural keys
alter table dim_date add primary key (date_key);
alter table dim_date add unique (full_date);
alter table dim_channel add primary key (channel_id);
alter table dim_channel add unique (channel_name);
alter table dim_customer add primary key (customer_id);
alter table dim_customer add unique (customer_code);
alter table dim_customer add unique (email);
alter table dim_customer_history
    add primary key (customer_id, customer_version);
alter table dim_customer_history add unique (customer_id, valid_from);
alter table dim_product add primary key (product_id);
alter table dim_product add unique (sku);

-- foreign keys
alter table dim_customer
    add foreign key (acquisition_channel_id) references dim_channel;
alter table dim_customer_history
    add foreign key (customer_id) references dim_customer;
