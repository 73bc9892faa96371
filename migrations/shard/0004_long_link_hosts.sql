-- Hosts, besides those of the fallback and desktop URLs, that the app's long links may send
-- people to (each with its subdomains). Long links are written by anyone, so their
-- destinations are bounded to the app's own sites.
ALTER TABLE app_configs ADD COLUMN long_link_hosts text[] NOT NULL DEFAULT '{}';
