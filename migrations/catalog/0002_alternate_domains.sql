-- An app's alternate domain: a second associated domain that the iOS interstitial's
-- "Open in app" button links to, because iOS opens a Universal Link only when the tap
-- leads to another domain than the page's own. It serves the app's links like any other
-- domain, but short URLs are never built on it.
ALTER TABLE app_domains ADD COLUMN alternate boolean NOT NULL DEFAULT false;

CREATE UNIQUE INDEX app_domains_one_alternate_idx ON app_domains (app_id) WHERE alternate;
