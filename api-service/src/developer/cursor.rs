//! Opaque pagination cursors: the last row id of a page, as 11 URL-safe base64 characters.
//!
//! Clients must treat a cursor as opaque; it only has to survive a round trip through a
//! query string. A cursor that does not decode is a 400 naming `cursor`.

use link_core::FieldError;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/// 64 bits in 6-bit characters.
const LEN: usize = 11;

/// The cursor that continues after the row with this id.
pub fn encode(id: i64) -> String {
    let bits = u64::from_be_bytes(id.to_be_bytes());
    (0..LEN)
        .rev()
        .map(|i| char::from(ALPHABET[((bits >> (i * 6)) & 0x3f) as usize]))
        .collect()
}

/// The row id a cursor continues after.
pub fn decode(cursor: &str) -> Result<i64, FieldError> {
    let invalid = || FieldError::new("cursor", "is not a cursor returned by this API");
    if cursor.len() != LEN {
        return Err(invalid());
    }
    let mut bits: u64 = 0;
    for (i, byte) in cursor.bytes().enumerate() {
        let digit = ALPHABET
            .iter()
            .position(|b| *b == byte)
            .ok_or_else(invalid)? as u64;
        // 11 characters hold 66 bits: the first may only use its low 4.
        if i == 0 && digit >= 16 {
            return Err(invalid());
        }
        bits = (bits << 6) | digit;
    }
    let id = i64::from_be_bytes(bits.to_be_bytes());
    if id > 0 { Ok(id) } else { Err(invalid()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_ids() {
        for id in [1, 2, 63, 64, 4095, 1 << 40, i64::MAX] {
            let cursor = encode(id);
            assert_eq!(cursor.len(), LEN);
            assert!(
                cursor
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            );
            assert_eq!(decode(&cursor), Ok(id), "{cursor}");
        }
    }

    #[test]
    fn rejects_foreign_strings() {
        for bad in [
            "",
            "abc",
            "AAAAAAAAAAA",
            "AAAAAAAAAA!",
            "__________8",
            "/////////AA",
        ] {
            let err = decode(bad).expect_err(bad);
            assert_eq!(err.field, "cursor");
        }
    }
}
