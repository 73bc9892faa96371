-- Where clicks, installs and opens came from, as a trusted proxy's country header says
-- (HOPLINK_COUNTRY_HEADER): upper-case ISO 3166-1 alpha-2, NULL when unknown.
ALTER TABLE clicks ADD COLUMN country text CHECK (country ~ '^[A-Z]{2}$');
ALTER TABLE installs ADD COLUMN country text CHECK (country ~ '^[A-Z]{2}$');
ALTER TABLE opens ADD COLUMN country text CHECK (country ~ '^[A-Z]{2}$');

-- Daily rollups by country, beside the per-platform ones: crossing the two would multiply
-- every link's rows by the countries it is clicked from, for queries that mostly ask for
-- one or the other. '' is an unknown country (a key column cannot be NULL).
CREATE TABLE link_country_daily (
    app_id      bigint NOT NULL,
    day         date NOT NULL,
    link_id     bigint NOT NULL,
    country     text NOT NULL CHECK (country = '' OR country ~ '^[A-Z]{2}$'),
    clicks      bigint NOT NULL DEFAULT 0,
    bot_views   bigint NOT NULL DEFAULT 0,
    installs    bigint NOT NULL DEFAULT 0,
    opens       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (app_id, day, link_id, country)
);

CREATE INDEX link_country_daily_link_idx ON link_country_daily (app_id, link_id, day);

-- What was counted before countries were kept counts as unknown, so a breakdown by
-- country adds up to the same totals as one by day or platform.
INSERT INTO link_country_daily (app_id, day, link_id, country, clicks, bot_views, installs, opens)
SELECT app_id, day, link_id, '', sum(clicks), sum(bot_views), sum(installs), sum(opens)
FROM link_stats_daily
GROUP BY app_id, day, link_id;
