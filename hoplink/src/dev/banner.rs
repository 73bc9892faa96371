//! What `hoplink dev` prints once the stack is up: where things are and what to try.

use super::demo::DemoKeys;
use crate::output;

pub struct Banner<'a> {
    pub link_port: u16,
    pub api_port: u16,
    pub catalog_url: &'a str,
    pub demo: &'a DemoKeys,
}

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
const ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36";
const DESKTOP: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
const BOT: &str = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)";

pub fn print(b: &Banner<'_>) {
    let link = format!("http://localhost:{}", b.link_port);
    let api = format!("http://localhost:{}", b.api_port);
    let install = format!(
        r#"{{"branch_key":"{}","os":"iOS","os_version":"17.4","hardware_id":"demo-device-1","is_hardware_id_real":false}}"#,
        b.demo.sdk_key
    );
    let text = format!(
        "\n\
Hoplink dev stack is up.\n\
  link service   {link}   (health: {link}/healthz)\n\
  API service    {api}   (health: {api}/healthz)\n\
  catalog        {catalog}\n\
  demo app {app}: sdk key {sdk}\n\
                  secret key {secret}\n\
\n\
Click the demo link `welcome` as different devices:\n\
  iPhone   curl -si -A '{IPHONE}' {link}/welcome\n\
  Android  curl -si -A '{ANDROID}' {link}/welcome\n\
  desktop  curl -si -A '{DESKTOP}' {link}/welcome\n\
  bot      curl -si -A '{BOT}' {link}/welcome\n\
\n\
Then ask, as the app's SDK would after an install, which link led there:\n\
  curl -s -X POST {api}/v1/install -H 'content-type: application/json' -d '{install}'\n\
\n\
Press Ctrl-C to stop.\n",
        catalog = b.catalog_url,
        app = b.demo.app_id,
        sdk = b.demo.sdk_key,
        secret = b.demo.secret_key,
    );
    output::text(&text);
}
