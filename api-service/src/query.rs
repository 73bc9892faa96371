//! Reading optional query-string values.

/// A value that was given and is not blank, trimmed: `?size=` and `?size=%20` count as
/// absent, like a missing parameter.
pub fn given(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|r| !r.is_empty())
}
