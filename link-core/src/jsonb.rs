//! What a JSON value must not hold to be stored in a Postgres `jsonb` column and read back.
//!
//! Postgres refuses a NUL character in `jsonb` (the write fails), and keeps numbers as
//! exact decimals: 1.8e308 comes back as 309 digits, which serde_json refuses (the write
//! succeeds and every later read of the row fails). Both are checked at the API edge.

use serde_json::{Map, Value};

/// Largest magnitude of a number with a fraction or an exponent. Whole numbers that fit
/// 64 bits read back exactly; 1e300 is far past anything an app puts in link data.
pub const MAX_NUMBER: f64 = 1e300;

/// Why `value` could not be stored and read back, or `Ok`.
pub fn check(value: &Value) -> Result<(), &'static str> {
    match value {
        Value::String(s) => check_text(s),
        Value::Number(n) => match n.as_f64() {
            Some(x) if x.abs() > MAX_NUMBER => Err("numbers must be between -1e300 and 1e300"),
            _ => Ok(()),
        },
        Value::Array(items) => items.iter().try_for_each(check),
        Value::Object(map) => check_map(map),
        Value::Null | Value::Bool(_) => Ok(()),
    }
}

/// [`check`] for an object's keys and values.
pub fn check_map(map: &Map<String, Value>) -> Result<(), &'static str> {
    map.iter().try_for_each(|(key, value)| {
        check_text(key)?;
        check(value)
    })
}

fn check_text(text: &str) -> Result<(), &'static str> {
    if text.contains('\0') {
        return Err("must not contain NUL characters");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn ordinary_values_pass() {
        let ok = json!({"a": [1, "x", null, true, {"b": 2.5}],
                        "big": [u64::MAX, i64::MIN, 1e300, -1e300, 5e-324]});
        assert_eq!(check(&ok), Ok(()));
    }

    #[test]
    fn nul_anywhere_and_huge_numbers_are_refused() {
        for bad in [
            json!("a\u{0}"),
            json!({"k\u{0}": 1}),
            json!([[{"x": "\u{0}"}]]),
            json!({"n": [1.7976931348623157e308]}),
            json!(-2e300),
        ] {
            assert!(check(&bad).is_err(), "{bad}");
        }
    }
}
