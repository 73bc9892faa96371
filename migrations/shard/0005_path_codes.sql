-- Link codes may be paths, as Branch aliases can be (`product/id1234`): code-safe segments
-- joined by single slashes. The application checks the same rule (`LinkCode::parse`).
ALTER TABLE links DROP CONSTRAINT links_code_check;
ALTER TABLE links ADD CONSTRAINT links_code_check
    CHECK (code ~ '^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+){0,7}$' AND length(code) <= 128);
