-- foreign keys of fact_order, each validated against every loaded row
-- (needs the keys of the dimensions and of fact_order).

alter table fact_order
    add foreign key (customer_id) references dim_customer,
    add foreign key (channel_id) references dim_channel,
    add foreign key (order_date_key) references dim_date;
