//! [`ExportMessage`]: what is published, and how written events become messages: one
//! record each, or up to `events_per_message` records of one kind and app, one per line.

use bytes::Bytes;
use foldhash::HashMap;

use super::config::MESSAGE_BYTES_SOFT_LIMIT;
use super::record::ExportedLink;
use crate::events::ShardEvent;

/// One message for the stream.
pub(crate) struct ExportMessage {
    /// The pipeline kind (`click`, `install`, ...), for the metrics.
    pub kind: &'static str,
    pub subject: String,
    /// The stream's de-duplication key: the event id of a one-record message; for more,
    /// the first event's id and the count.
    pub id: String,
    /// Records in the payload.
    pub events: u64,
    pub payload: Bytes,
}

/// A message being filled.
struct Open {
    app: i64,
    first: uuid::Uuid,
    events: u64,
    payload: Vec<u8>,
}

/// Encodes `written` (events of kind `E`, in write order) into messages under `prefix`,
/// with their links' labels from `links`. Returns the messages and how many events could
/// not be encoded.
pub(crate) fn build<'a, E: ShardEvent>(
    prefix: &str,
    per_message: usize,
    written: impl Iterator<Item = &'a E>,
    links: &HashMap<i64, ExportedLink>,
) -> (Vec<ExportMessage>, u64) {
    let mut done = Vec::new();
    // One message being filled per app, so an app's records stay in order.
    let mut open: Vec<Open> = Vec::new();
    let mut unencodable = 0;
    for event in written {
        let link = event.link_id().and_then(|id| links.get(&id));
        let record = match event.export_record(link) {
            Ok(record) => record,
            Err(error) => {
                unencodable += 1;
                tracing::error!(%error, kind = E::KIND, "event export: could not encode an event");
                continue;
            }
        };
        let app = event.app_id().get();
        let slot = match open.iter().position(|o| o.app == app) {
            Some(i) if fits(&open[i], per_message, record.len()) => i,
            Some(i) => {
                done.push(finish::<E>(prefix, open.swap_remove(i)));
                open.push(new_open(app, event.event_id(), per_message));
                open.len() - 1
            }
            None => {
                open.push(new_open(app, event.event_id(), per_message));
                open.len() - 1
            }
        };
        let filling = &mut open[slot];
        filling.payload.extend_from_slice(&record);
        filling.payload.push(b'\n');
        filling.events += 1;
    }
    done.extend(open.into_iter().map(|o| finish::<E>(prefix, o)));
    (done, unencodable)
}

fn new_open(app: i64, first: uuid::Uuid, per_message: usize) -> Open {
    Open {
        app,
        first,
        events: 0,
        // Records are a few hundred bytes.
        payload: Vec::with_capacity(per_message.min(64) * 384),
    }
}

fn fits(open: &Open, per_message: usize, record_len: usize) -> bool {
    (open.events as usize) < per_message
        && open.payload.len() + record_len < MESSAGE_BYTES_SOFT_LIMIT
}

/// Every record ends with a newline, so a message is always NDJSON, and a one-record
/// message is also plain JSON (trailing whitespace is allowed).
fn finish<E: ShardEvent>(prefix: &str, open: Open) -> ExportMessage {
    let id = if open.events == 1 {
        open.first.to_string()
    } else {
        format!("{}+{}", open.first, open.events)
    };
    ExportMessage {
        kind: E::KIND,
        subject: format!("{prefix}.{}.{}", E::KIND, open.app),
        id,
        events: open.events,
        payload: Bytes::from(open.payload),
    }
}
