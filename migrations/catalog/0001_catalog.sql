-- The catalog: one small database per deployment that says which shard holds each app.
-- Every change to the routing tables notifies 'hoplink_catalog' so routers refresh at once.

CREATE TABLE shards (
    id          text PRIMARY KEY
                CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    dsn         text NOT NULL CHECK (dsn <> ''),
    state       text NOT NULL DEFAULT 'active'
                CHECK (state IN ('active', 'draining', 'retired')),
    weight      integer NOT NULL DEFAULT 100 CHECK (weight BETWEEN 1 AND 10000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE apps (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    shard_id    text NOT NULL REFERENCES shards (id),
    state       text NOT NULL DEFAULT 'active'
                CHECK (state IN ('active', 'moving', 'suspended')),
    -- Bumped by every move; shard writes carry it so a stale router cannot write to the
    -- shard an app has left.
    epoch       bigint NOT NULL DEFAULT 1 CHECK (epoch > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX apps_shard_idx ON apps (shard_id);

CREATE TABLE app_domains (
    -- Lower-case, punycode, no port: validated by link_core::Host before it gets here.
    host        text PRIMARY KEY CHECK (host = lower(host) AND length(host) BETWEEN 1 AND 255),
    app_id      bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    -- Insertion order: an app's first domain is its primary one (its short URLs').
    seq         bigint GENERATED ALWAYS AS IDENTITY,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX app_domains_app_idx ON app_domains (app_id);

CREATE TABLE api_keys (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_id      bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('sdk', 'secret')),
    -- The visible start of the key ("key_live_AbC12xYz"): finds the row without a scan.
    prefix      text NOT NULL UNIQUE,
    -- SHA-256 of the whole key; the key itself is shown once and never stored.
    key_hash    bytea NOT NULL CHECK (length(key_hash) = 32),
    scopes      text[] NOT NULL DEFAULT '{}',
    label       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

CREATE INDEX api_keys_app_idx ON api_keys (app_id) WHERE revoked_at IS NULL;

CREATE TABLE app_moves (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_id      bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    from_shard  text NOT NULL REFERENCES shards (id),
    to_shard    text NOT NULL REFERENCES shards (id),
    state       text NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'copying', 'fenced', 'flipped', 'done', 'failed')),
    from_epoch  bigint NOT NULL,
    detail      text,
    started_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (from_shard <> to_shard)
);

-- At most one move under way per app.
CREATE UNIQUE INDEX app_moves_one_active_idx ON app_moves (app_id)
    WHERE state NOT IN ('done', 'failed');

CREATE FUNCTION hoplink_notify_catalog() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hoplink_catalog', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

CREATE TRIGGER shards_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON shards
    FOR EACH STATEMENT EXECUTE FUNCTION hoplink_notify_catalog();
CREATE TRIGGER apps_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON apps
    FOR EACH STATEMENT EXECUTE FUNCTION hoplink_notify_catalog();
CREATE TRIGGER app_domains_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON app_domains
    FOR EACH STATEMENT EXECUTE FUNCTION hoplink_notify_catalog();
CREATE TRIGGER api_keys_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION hoplink_notify_catalog();
