-- `hoplink sessions prune` deletes installs, opens and SDK events older than a retention,
-- across all apps: a range on occurred_at alone, which the (app_id, occurred_at) indexes
-- cannot serve. BRIN indexes (append-mostly tables, rows in time order) make each batch
-- a short scan at the table's old end for a few pages of index.
CREATE INDEX installs_time_brin ON installs USING brin (occurred_at);
CREATE INDEX opens_time_brin ON opens USING brin (occurred_at);
CREATE INDEX sdk_events_time_brin ON sdk_events USING brin (occurred_at);
