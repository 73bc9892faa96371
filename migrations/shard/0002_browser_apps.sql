-- Browsers known to have an app installed (an SDK open was matched to a click from them),
-- for the iOS decision on the click path. Upserted by the API; a row whose last_seen_at
-- is older than the configured TTL (HOPLINK_AEROSPIKE_BROWSER_TTL_SECS, 90 days by
-- default) counts as not installed. The Aerospike `browsers` set, when configured, holds
-- the same marks in front of this table.
CREATE TABLE browser_apps (
    app_id         bigint NOT NULL REFERENCES app_configs (app_id) ON DELETE CASCADE,
    browser_id     uuid NOT NULL,
    first_seen_at  timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app_id, browser_id)
);
