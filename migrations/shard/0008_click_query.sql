-- The pairs a click appended to its link (`?coupon=X`), form-encoded, as the click path
-- carried them (bounded to 1 KB, Hoplink's and Branch's own keys left out). The install
-- or open matched to the click gets them in its session data, as Branch passes them.
-- Nullable without a default: adding it rewrites nothing.
ALTER TABLE clicks ADD COLUMN query text;
