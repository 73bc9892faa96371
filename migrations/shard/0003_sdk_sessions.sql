-- What app SDKs report besides installs and opens (those have their own tables in 0001):
-- Branch v2 events (`/v2/event/standard`, `/v2/event/custom`) and session ends
-- (`/v1/close`). Written in batches by the API's event pipeline; raw rows keyed by event
-- id, so writing a batch twice adds nothing.
--
-- Device identifiers never land here: `user_data` keeps only an allow-list of descriptive
-- keys (OS, app version, model, locale...), never advertising ids, IPs or hardware ids.
CREATE TABLE sdk_events (
    id                    uuid PRIMARY KEY,
    app_id                bigint NOT NULL,
    occurred_at           timestamptz NOT NULL,
    -- Which endpoint sent it.
    category              text NOT NULL CHECK (category IN ('standard', 'custom', 'close')),
    -- Branch's event name (PURCHASE, ADD_TO_CART, a custom name) or CLOSE.
    name                  text NOT NULL,
    customer_event_alias  text,
    platform              text NOT NULL CHECK (platform IN ('ios', 'android', 'desktop', 'other')),
    os                    text,
    os_version            text,
    session_id            text,
    device_token          text,
    bundle_token          text,
    developer_identity    text,
    user_data             jsonb NOT NULL DEFAULT '{}',
    event_data            jsonb NOT NULL DEFAULT '{}',
    custom_data           jsonb NOT NULL DEFAULT '{}',
    content_items         jsonb NOT NULL DEFAULT '[]'
);

CREATE INDEX sdk_events_app_time_idx ON sdk_events (app_id, occurred_at);
CREATE INDEX sdk_events_app_name_idx ON sdk_events (app_id, name, occurred_at);
