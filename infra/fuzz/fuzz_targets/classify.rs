//! Any User-Agent is classified without a panic, and an iPad re-reading keeps it so.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let ua = String::from_utf8_lossy(bytes);
    let client = link_core::client::classify(&ua);
    if client.maybe_ipad() {
        let _ = client.as_ipad(&ua);
    }
});
