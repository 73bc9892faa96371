//! What `hoplink dev` prints once the stack is up: where things are and what to try.

use super::demo::DemoKeys;
use crate::output;

pub struct Banner<'a> {
    pub link_port: u16,
    pub api_port: u16,
    pub catalog_url: &'a str,
    pub demo: &'a DemoKeys,
    /// The NATS server events are exported to, when export is on.
    pub export_nats_url: Option<&'a str>,
}

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
const ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36";
const DESKTOP: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
const BOT: &str = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)";
/// What Safari sends from a Mac and, by default, from an iPad.
const MAC_SAFARI: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15";

pub fn print(b: &Banner<'_>) {
    let link = format!("http://localhost:{}", b.link_port);
    let api = format!("http://localhost:{}", b.api_port);
    let install = format!(
        r#"{{"branch_key":"{}","os":"iOS","os_version":"17.4","hardware_id":"demo-device-1","is_hardware_id_real":false}}"#,
        b.demo.sdk_key
    );
    let create = format!(
        r#"{{"branch_key":"{}","channel":"email","data":{{"screen":"offer","$og_title":"Spring offer"}}}}"#,
        b.demo.sdk_key
    );
    let export = match b.export_nats_url {
        Some(url) => format!(
            "  events         exported to {url}, stream HOPLINK_EVENTS \
             (watch: hoplink events tail --nats-url {url})"
        ),
        None => {
            "  events         not exported (set HOPLINK_EXPORT_NATS_URL to publish them to NATS)"
                .to_owned()
        }
    };
    let lines = [
        String::new(),
        "Hoplink dev stack is up.".to_owned(),
        format!("  link service   {link}   (health: {link}/healthz)"),
        format!("  API service    {api}   (health: {api}/healthz)"),
        format!("  catalog        {}", b.catalog_url),
        export,
        format!("  demo app {}: sdk key {}", b.demo.app_id, b.demo.sdk_key),
        format!("               secret key {}", b.demo.secret_key),
        String::new(),
        "Click the demo link `welcome` as different devices:".to_owned(),
        format!("  iPhone   curl -si -A '{IPHONE}' {link}/welcome"),
        format!("  Android  curl -si -A '{ANDROID}' {link}/welcome"),
        format!("  desktop  curl -si -A '{DESKTOP}' {link}/welcome"),
        format!("  bot      curl -si -A '{BOT}' {link}/welcome"),
        "Safari sends the same User-Agent from a Mac and an iPad, so it first gets a page that"
            .to_owned(),
        "asks the touch screen and comes back with the answer, here given by hand:".to_owned(),
        format!("  iPad     curl -si -A '{MAC_SAFARI}' '{link}/welcome?hl_device=ipad'"),
        String::new(),
        "Then ask, as the app's SDK would after an install, which link led there (clicks are"
            .to_owned(),
        "written in batches every 200 ms, so the match needs the click to be that old):".to_owned(),
        format!(
            "  curl -s -X POST {api}/v1/install -H 'content-type: application/json' -d '{install}'"
        ),
        String::new(),
        "Create a link as the SDK does; list links and get one's QR code through the developer API:"
            .to_owned(),
        format!("  curl -s -X POST {api}/v1/url -H 'content-type: application/json' -d '{create}'"),
        format!(
            "  curl -s {api}/api/v1/links -H 'authorization: Bearer {}'",
            b.demo.secret_key
        ),
        format!(
            "  curl -s {api}/api/v1/links/welcome/qr -H 'authorization: Bearer {}' > welcome.svg",
            b.demo.secret_key
        ),
        format!("  API reference: {api}/api/v1/openapi.json"),
        String::new(),
        "Or write a long link out in full; a person's first click makes it a link:".to_owned(),
        format!(
            "  curl -si -A '{DESKTOP}' '{link}/a/{}?channel=sms&%24desktop_url=https%3A%2F%2Fexample.com%2Flong&utm_source=push'",
            b.demo.sdk_key
        ),
        "or append Branch's link-control keys to a link to override its own for one click:"
            .to_owned(),
        format!(
            "  curl -si -A '{DESKTOP}' '{link}/welcome?%24desktop_url=https%3A%2F%2Fexample.com%2Fspring&utm_source=push'"
        ),
        String::new(),
        "Press Ctrl-C to stop.".to_owned(),
    ];
    let text = lines.join("\n");
    output::text(&text);
}
