-- A shard: every app placed here keeps all of its data here. All shards share this schema.

CREATE TABLE app_configs (
    app_id                       bigint PRIMARY KEY,
    -- Fencing for online moves: every write transaction checks epoch and fenced first
    -- (FOR SHARE), and a move takes the row lock to fence, so no write lands after a flip.
    epoch                        bigint NOT NULL DEFAULT 1 CHECK (epoch > 0),
    fenced                       boolean NOT NULL DEFAULT false,
    ios_bundle_id                text,
    ios_team_id                  text CHECK (ios_team_id ~ '^[A-Z0-9]{10}$'),
    ios_app_store_id             text CHECK (ios_app_store_id ~ '^[0-9]{1,15}$'),
    ios_uri_scheme               text CHECK (ios_uri_scheme ~ '^[a-z][a-z0-9+.-]{0,63}$'),
    android_package              text,
    android_sha256_fingerprints  text[] NOT NULL DEFAULT '{}',
    android_uri_scheme           text CHECK (android_uri_scheme ~ '^[a-z][a-z0-9+.-]{0,63}$'),
    fallback_url                 text,
    desktop_url                  text,
    expired_link_behavior        text NOT NULL DEFAULT 'gone'
                                 CHECK (expired_link_behavior IN ('gone', 'fallback')),
    og_title                     text,
    og_description               text,
    og_image_url                 text,
    attribution_window_secs      integer NOT NULL DEFAULT 7200
                                 CHECK (attribution_window_secs BETWEEN 60 AND 7776000),
    version                      bigint NOT NULL DEFAULT 1,
    created_at                   timestamptz NOT NULL DEFAULT now(),
    updated_at                   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE links (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_id         bigint NOT NULL REFERENCES app_configs (app_id) ON DELETE CASCADE,
    code           text NOT NULL CHECK (code ~ '^[A-Za-z0-9_-]{1,128}$'),
    is_alias       boolean NOT NULL DEFAULT false,
    data           jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(data) = 'object'),
    channel        text,
    feature        text,
    campaign       text,
    stage          text,
    tags           text[] NOT NULL DEFAULT '{}',
    link_type      smallint NOT NULL DEFAULT 0 CHECK (link_type IN (0, 1, 2)),
    duration_secs  integer CHECK (duration_secs > 0),
    expires_at     timestamptz,
    version        bigint NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz,
    -- The click path's look-up.
    UNIQUE (app_id, code)
);

-- Cursor pagination (newest first) and list filters.
CREATE INDEX links_app_page_idx ON links (app_id, id DESC);
CREATE INDEX links_campaign_idx ON links (app_id, campaign) WHERE campaign IS NOT NULL;
CREATE INDEX links_channel_idx ON links (app_id, channel) WHERE channel IS NOT NULL;
-- Purge and filter by tag.
CREATE INDEX links_tags_idx ON links USING gin (tags);

-- Raw clicks: append-only, read by time range (BRIN) and by attribution look-ups.
CREATE TABLE clicks (
    id             uuid PRIMARY KEY,
    app_id         bigint NOT NULL,
    link_id        bigint NOT NULL,
    occurred_at    timestamptz NOT NULL,
    platform       text NOT NULL CHECK (platform IN ('ios', 'android', 'desktop', 'other')),
    os             text NOT NULL,
    os_version     text,
    device_model   text,
    browser        text,
    in_app         text,
    is_bot         boolean NOT NULL DEFAULT false,
    -- SHA-256 over (app, IP, OS, OS version): compared by probabilistic matching; the IP
    -- itself is never stored.
    fingerprint    bytea CHECK (fingerprint IS NULL OR length(fingerprint) = 32),
    browser_id     uuid,
    -- Set when an install claims this click, so one click attributes at most one install.
    matched_at     timestamptz
);

CREATE INDEX clicks_time_brin ON clicks USING brin (occurred_at);
CREATE INDEX clicks_fingerprint_idx ON clicks (app_id, fingerprint, occurred_at DESC)
    WHERE fingerprint IS NOT NULL AND NOT is_bot;

CREATE TABLE installs (
    id             uuid PRIMARY KEY,
    app_id         bigint NOT NULL,
    occurred_at    timestamptz NOT NULL,
    platform       text NOT NULL CHECK (platform IN ('ios', 'android', 'desktop', 'other')),
    os             text,
    os_version     text,
    device_model   text,
    device_token   text,
    bundle_token   text,
    match_type     text NOT NULL CHECK (match_type IN ('deterministic', 'probabilistic', 'none')),
    click_id       uuid,
    link_id        bigint
);

CREATE INDEX installs_app_time_idx ON installs (app_id, occurred_at);
-- One click attributes at most one install.
CREATE UNIQUE INDEX installs_click_once_idx ON installs (click_id) WHERE click_id IS NOT NULL;

CREATE TABLE opens (
    id             uuid PRIMARY KEY,
    app_id         bigint NOT NULL,
    occurred_at    timestamptz NOT NULL,
    session_id     text,
    platform       text NOT NULL CHECK (platform IN ('ios', 'android', 'desktop', 'other')),
    os             text,
    os_version     text,
    device_model   text,
    device_token   text,
    bundle_token   text,
    match_type     text NOT NULL CHECK (match_type IN ('deterministic', 'probabilistic', 'none')),
    click_id       uuid,
    link_id        bigint
);

CREATE INDEX opens_app_time_idx ON opens (app_id, occurred_at);

-- Daily rollups that stats read. link_id 0 holds activity without a link (organic).
CREATE TABLE link_stats_daily (
    app_id      bigint NOT NULL,
    day         date NOT NULL,
    link_id     bigint NOT NULL,
    platform    text NOT NULL CHECK (platform IN ('ios', 'android', 'desktop', 'other')),
    clicks      bigint NOT NULL DEFAULT 0,
    bot_views   bigint NOT NULL DEFAULT 0,
    installs    bigint NOT NULL DEFAULT 0,
    opens       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (app_id, day, link_id, platform)
);

CREATE INDEX link_stats_daily_link_idx ON link_stats_daily (app_id, link_id, day);

-- Change notification: link services drop their cached copy of a changed link or config.
-- Payloads: "link <app_id> <code>" and "config <app_id>".
CREATE FUNCTION hoplink_notify_link() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('hoplink_links', 'link ' || OLD.app_id || ' ' || OLD.code);
    ELSE
        PERFORM pg_notify('hoplink_links', 'link ' || NEW.app_id || ' ' || NEW.code);
        IF TG_OP = 'UPDATE' AND OLD.code <> NEW.code THEN
            PERFORM pg_notify('hoplink_links', 'link ' || OLD.app_id || ' ' || OLD.code);
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER links_notify AFTER INSERT OR UPDATE OR DELETE ON links
    FOR EACH ROW EXECUTE FUNCTION hoplink_notify_link();

CREATE FUNCTION hoplink_notify_config() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('hoplink_links', 'config ' || OLD.app_id);
    ELSE
        PERFORM pg_notify('hoplink_links', 'config ' || NEW.app_id);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER app_configs_notify AFTER INSERT OR UPDATE OR DELETE ON app_configs
    FOR EACH ROW EXECUTE FUNCTION hoplink_notify_config();
