-- quality check of the facts' natural and primary keys: each is unique over
-- the whole warehouse.
-- grain: qc_unique_keys holds one row per key value that more than one row
-- holds (no row: the check passes); row_count: the rows that hold it.
-- purpose: on one node the keys of 011 and 012 enforce this and the check
-- reads nothing. on a citus cluster the facts are distributed by
-- customer_id and their keys include it (sql/citus/), so a key is unique per
-- customer only: the check groups the table by the key, each worker its own
-- shards, and the coordinator merges the workers' groups (one row per key
-- value: readme, scaling out, measures it). a join of the table with itself
-- that citus repartitions between the workers, which brings only the
-- duplicates to the coordinator, was measured slower at the scales tried.
-- definitions: a key is enforced when a valid unique index (or primary key)
-- has exactly its columns.

-- the keys to check, by table and columns
create table quality_unique_key (
    -- ids
    key_name     text     not null primary key,
    -- the key
    table_oid    regclass not null,
    column_names name []  not null
);

insert into quality_unique_key (key_name, table_oid, column_names) values
('fact_order (order_id)', 'fact_order', '{order_id}'),
('fact_order (order_number)', 'fact_order', '{order_number}'),
(
    'fact_order_item (order_id, line_number)',
    'fact_order_item',
    '{order_id, line_number}'
);

-- whether a valid unique index of the table has exactly these columns
create function qc_is_unique(table_oid regclass, column_names name [])
returns boolean
language sql stable as $$
    select exists (
        select 1
        from pg_catalog.pg_index as indexes
        where indexes.indrelid = table_oid
            and indexes.indisunique
            and indexes.indisvalid
            and indexes.indpred is null
            and indexes.indexprs is null
            and (
                select array_agg(columns.attname order by columns.attname)
                from pg_catalog.pg_attribute as columns
                where columns.attrelid = table_oid
                    and columns.attnum = any(indexes.indkey)
            ) = (
                select array_agg(name order by name)
                from unnest(column_names) as name
            )
    )
$$;

-- the key values of a table that more than one row holds
create function qc_duplicate_keys(table_oid regclass, column_names name [])
returns table (key_value text, row_count bigint)
language plpgsql stable as $$
declare
    listed text := (
        select string_agg(format('rows.%I', name), ', ')
        from unnest(column_names) as name
    );
begin
    return query execute format(
        'select concat_ws('', '', %1$s), count(*) from %2$s as rows '
        'group by %1$s having count(*) > 1',
        listed, table_oid);
end
$$;

create view qc_unique_keys as

with

declared_keys as (
    select * from quality_unique_key
),

-- (the functions are bound here, when the view is made: a function that
-- called the other would look it up by the search path when it runs)
keys_to_check as (
    select *
    from declared_keys
    where not qc_is_unique(table_oid, column_names)
),

duplicates as (
    select
        keys.key_name,
        duplicate.key_value,
        duplicate.row_count
    from keys_to_check as keys
    cross join lateral qc_duplicate_keys(
        keys.table_oid, keys.column_names
    ) as duplicate
),

final as (
    select * from duplicates
)

select * from final;

comment on view qc_unique_keys is
    'order_id, order_number and (order_id, line_number) are each unique '
    'over the whole warehouse (on a citus cluster the keys enforce them per '
    'customer only)';
