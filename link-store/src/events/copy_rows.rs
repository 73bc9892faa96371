//! [`CopyRows`]: rows in PostgreSQL's binary `COPY` format, for `COPY ... FROM STDIN
//! (FORMAT binary)`.
//!
//! A batch of new events goes to its shard by `COPY` rather than `INSERT`: the server then
//! skips parsing and unnesting one array per column, and adds the heap tuples page by page
//! (one WAL record per page) instead of one at a time.
//!
//! Each row is a field count, then each field as a length and its bytes in the type's
//! binary wire form (length -1 for NULL); the stream opens with a fixed header and closes
//! with a field count of -1. Fields must follow the column list of the `COPY` statement
//! and match its columns' types, which the server checks.

use chrono::{DateTime, Utc};

/// The signature, flags (no OIDs) and header-extension length that open every stream.
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01 00:00 UTC.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

pub(crate) struct CopyRows {
    buf: Vec<u8>,
}

impl CopyRows {
    pub fn with_capacity(bytes: usize) -> Self {
        let mut buf = Vec::with_capacity(HEADER.len() + bytes + 2);
        buf.extend_from_slice(HEADER);
        Self { buf }
    }

    /// Starts a row of `fields` fields.
    pub fn row(&mut self, fields: i16) {
        self.buf.extend_from_slice(&fields.to_be_bytes());
    }

    fn field(&mut self, bytes: &[u8]) {
        // Our fields are a few dozen bytes; a length past i32 cannot occur.
        let len = i32::try_from(bytes.len()).unwrap_or(i32::MAX);
        self.buf.extend_from_slice(&len.to_be_bytes());
        self.buf.extend_from_slice(bytes);
    }

    pub fn null(&mut self) {
        self.buf.extend_from_slice(&(-1i32).to_be_bytes());
    }

    pub fn uuid(&mut self, value: uuid::Uuid) {
        self.field(value.as_bytes());
    }

    pub fn int8(&mut self, value: i64) {
        self.field(&value.to_be_bytes());
    }

    pub fn bool(&mut self, value: bool) {
        self.field(&[u8::from(value)]);
    }

    /// `text`: UTF-8, as the server's encoding is.
    pub fn text(&mut self, value: &str) {
        self.field(value.as_bytes());
    }

    pub fn bytea(&mut self, value: &[u8]) {
        self.field(value);
    }

    /// `timestamptz`: microseconds since 2000-01-01 UTC.
    pub fn timestamptz(&mut self, value: DateTime<Utc>) {
        self.int8(value.timestamp_micros() - PG_EPOCH_MICROS);
    }

    /// The stream, closed by its trailer.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.extend_from_slice(&(-1i16).to_be_bytes());
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_is_a_field_count_then_length_prefixed_fields() {
        let mut rows = CopyRows::with_capacity(64);
        rows.row(4);
        rows.int8(7);
        rows.text("ios");
        rows.null();
        rows.bool(true);
        let bytes = rows.finish();
        let mut expected = HEADER.to_vec();
        expected.extend_from_slice(&[0, 4]);
        expected.extend_from_slice(&[0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 7]);
        expected.extend_from_slice(&[0, 0, 0, 3, b'i', b'o', b's']);
        expected.extend_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        expected.extend_from_slice(&[0, 0, 0, 1, 1]);
        expected.extend_from_slice(&[0xff, 0xff]);
        assert_eq!(bytes, expected);
    }

    #[test]
    fn timestamps_count_from_the_postgres_epoch() {
        let mut rows = CopyRows::with_capacity(16);
        let pg_epoch = DateTime::parse_from_rfc3339("2000-01-01T00:00:00.000001Z")
            .unwrap()
            .with_timezone(&Utc);
        rows.timestamptz(pg_epoch);
        let bytes = rows.finish();
        assert_eq!(
            &bytes[HEADER.len()..HEADER.len() + 12],
            &[0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1]
        );
    }
}
