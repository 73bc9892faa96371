//! One spool file: events that could not be written to their shard, as JSON lines.
//!
//! A file (`hoplink-spool/1`) is a header line, `{"format":"hoplink-spool/1","kind":
//! "click","events":N,"shard":"s1"}`, then N lines `{"maybe_stored":false,"event":{...}}`.
//! `shard` names the shard the events were bound for when they were spooled, so a file
//! waits only for that shard; it is absent when they were not routed to one (and in files
//! of versions before it, which ignore it when reading). The writer
//! syncs it under a temporary name and renames it, so a reader only meets whole files; the
//! header's kind and count catch a file put in the wrong place or cut short anyway. JSON,
//! because a file that will not load should be readable by whoever has to look at it.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use link_core::ShardId;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub(crate) const FORMAT: &str = "hoplink-spool/1";

/// An event on its way to or from the spool, with what the batcher knew about it.
#[derive(Debug, PartialEq)]
pub(crate) struct Spooled<E> {
    /// A write holding it may have committed: it is written with the statement that skips
    /// stored rows.
    pub maybe_stored: bool,
    pub event: E,
}

#[derive(Serialize, Deserialize)]
struct Header<'a> {
    #[serde(borrow)]
    format: Cow<'a, str>,
    #[serde(borrow)]
    kind: Cow<'a, str>,
    events: usize,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    shard: Option<Cow<'a, str>>,
}

/// What a file's header line says about it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Announced {
    pub events: usize,
    pub shard: Option<ShardId>,
}

#[derive(Serialize)]
struct LineOut<'a, E> {
    maybe_stored: bool,
    event: &'a E,
}

#[derive(Deserialize)]
struct LineIn<E> {
    maybe_stored: bool,
    event: E,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum SegmentError {
    #[error("the header line is missing or unreadable")]
    Header,
    #[error("written as {found:?}, which this version does not read")]
    Format { found: String },
    #[error("holds {found:?} events, not {expected:?}")]
    Kind { expected: String, found: String },
    #[error("line {line}: {source}")]
    Line {
        line: usize,
        #[source]
        source: serde_json::Error,
    },
    #[error("the header announces {expected} events, the file holds {found}")]
    Count { expected: usize, found: usize },
}

/// The file's bytes for `events` of `kind`, bound for `shard`.
pub(crate) fn encode<E: Serialize>(
    kind: &str,
    shard: Option<&ShardId>,
    events: &[Spooled<E>],
) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(64 + events.len() * 256);
    serde_json::to_writer(
        &mut out,
        &Header {
            format: FORMAT.into(),
            kind: kind.into(),
            events: events.len(),
            shard: shard.map(|s| s.as_str().into()),
        },
    )?;
    out.push(b'\n');
    for spooled in events {
        serde_json::to_writer(
            &mut out,
            &LineOut {
                maybe_stored: spooled.maybe_stored,
                event: &spooled.event,
            },
        )?;
        out.push(b'\n');
    }
    Ok(out)
}

/// The events of a file written by [`encode`] for `kind`; all of them or an error.
pub(crate) fn decode<E: DeserializeOwned>(
    kind: &str,
    bytes: &[u8],
) -> Result<Vec<Spooled<E>>, SegmentError> {
    let mut lines = bytes.split(|&b| b == b'\n').filter(|line| !line.is_empty());
    let header: Header<'_> = lines
        .next()
        .and_then(|line| serde_json::from_slice(line).ok())
        .ok_or(SegmentError::Header)?;
    if header.format != FORMAT {
        return Err(SegmentError::Format {
            found: header.format.into_owned(),
        });
    }
    if header.kind != kind {
        return Err(SegmentError::Kind {
            expected: kind.to_owned(),
            found: header.kind.into_owned(),
        });
    }
    // The count comes from the file: do not trust it for an allocation.
    let mut events = Vec::with_capacity(header.events.min(10_000));
    for (i, line) in lines.enumerate() {
        let parsed: LineIn<E> =
            serde_json::from_slice(line).map_err(|source| SegmentError::Line {
                line: i + 2,
                source,
            })?;
        events.push(Spooled {
            maybe_stored: parsed.maybe_stored,
            event: parsed.event,
        });
    }
    if events.len() != header.events {
        return Err(SegmentError::Count {
            expected: header.events,
            found: events.len(),
        });
    }
    Ok(events)
}

/// What the file at `path` announces in its first line; `None` when it cannot be read.
pub(crate) fn read_announced(path: &Path) -> Option<Announced> {
    let mut line = Vec::new();
    BufReader::new(File::open(path).ok()?)
        .read_until(b'\n', &mut line)
        .ok()?;
    announced(&line)
}

/// What a file's first line announces, if it is a header of this format. A shard name
/// that is not a valid id counts as none: the file then waits for every shard.
pub(crate) fn announced(header: &[u8]) -> Option<Announced> {
    let header: Header<'_> = serde_json::from_slice(header.trim_ascii_end()).ok()?;
    (header.format == FORMAT).then(|| Announced {
        events: header.events,
        shard: header.shard.and_then(|s| ShardId::parse(&s).ok()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Ev {
        id: u32,
        text: String,
    }

    fn events() -> Vec<Spooled<Ev>> {
        vec![
            Spooled {
                maybe_stored: false,
                event: Ev {
                    id: 1,
                    text: "line\nbreak and \"quotes\"".into(),
                },
            },
            Spooled {
                maybe_stored: true,
                event: Ev {
                    id: 2,
                    text: "é ✓".into(),
                },
            },
        ]
    }

    fn header(bytes: &[u8]) -> &[u8] {
        &bytes[..=bytes.iter().position(|&b| b == b'\n').unwrap()]
    }

    #[test]
    fn a_file_reads_back_as_written() {
        let bytes = encode("click", None, &events()).unwrap();
        assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count(), 3);
        assert!(bytes.starts_with(br#"{"format":"hoplink-spool/1","kind":"click","events":2}"#));
        assert_eq!(decode::<Ev>("click", &bytes).unwrap(), events());
        assert_eq!(
            announced(header(&bytes)),
            Some(Announced {
                events: 2,
                shard: None
            })
        );
        assert_eq!(
            announced(b"{\"format\":\"hoplink-spool/9\",\"kind\":\"click\",\"events\":2}"),
            None
        );
        assert_eq!(announced(b"not json"), None);
        let empty = encode::<Ev>("click", None, &[]).unwrap();
        assert_eq!(decode::<Ev>("click", &empty).unwrap(), []);
    }

    #[test]
    fn a_file_names_the_shard_its_events_were_bound_for() {
        let shard = ShardId::parse("eu-2").unwrap();
        let bytes = encode("click", Some(&shard), &events()).unwrap();
        assert!(bytes.starts_with(
            br#"{"format":"hoplink-spool/1","kind":"click","events":2,"shard":"eu-2"}"#
        ));
        assert_eq!(decode::<Ev>("click", &bytes).unwrap(), events());
        assert_eq!(
            announced(header(&bytes)),
            Some(Announced {
                events: 2,
                shard: Some(shard)
            })
        );
        // A name no shard can have: the file waits for all of them, as one without a name.
        let odd = br#"{"format":"hoplink-spool/1","kind":"click","events":2,"shard":"no such/id"}"#;
        assert_eq!(
            announced(odd),
            Some(Announced {
                events: 2,
                shard: None
            })
        );
    }

    #[test]
    fn a_damaged_or_foreign_file_is_refused_whole() {
        let bytes = encode("click", None, &events()).unwrap();
        let cut = &bytes[..bytes.len() - 20];
        assert!(matches!(
            decode::<Ev>("click", cut),
            Err(SegmentError::Line { line: 3, .. })
        ));
        let last = bytes[..bytes.len() - 1]
            .iter()
            .rposition(|&b| b == b'\n')
            .unwrap();
        assert!(matches!(
            decode::<Ev>("click", &bytes[..=last]),
            Err(SegmentError::Count {
                expected: 2,
                found: 1
            })
        ));
        assert!(matches!(
            decode::<Ev>("open", &bytes),
            Err(SegmentError::Kind { .. })
        ));
        let future = String::from_utf8(bytes.clone())
            .unwrap()
            .replace("hoplink-spool/1", "hoplink-spool/9");
        assert!(matches!(
            decode::<Ev>("click", future.as_bytes()),
            Err(SegmentError::Format { .. })
        ));
        assert!(matches!(
            decode::<Ev>("click", b""),
            Err(SegmentError::Header)
        ));
        assert!(matches!(
            decode::<Ev>("click", b"not json\n"),
            Err(SegmentError::Header)
        ));
    }
}
