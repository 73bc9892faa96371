use link_core::{AppId, KeyKind};
use serde_json::json;
use shard_router::catalog::keys;

use crate::cli::{KeySelection, KeysCommand};
use crate::output;

pub async fn run(cmd: KeysCommand) -> anyhow::Result<()> {
    match cmd {
        KeysCommand::Rotate {
            app_id,
            kind,
            catalog,
        } => {
            let app_id: AppId = app_id
                .parse()
                .map_err(|e: link_core::Invalid| e.at("APP_ID"))?;
            let kinds: &[KeyKind] = match kind {
                KeySelection::Sdk => &[KeyKind::Sdk],
                KeySelection::Secret => &[KeyKind::Secret],
                KeySelection::Both => &[KeyKind::Sdk, KeyKind::Secret],
            };
            let router = super::router(&catalog).await?;
            let issued = keys::rotate(router.catalog(), app_id, kinds).await?;
            let mut out = json!({ "app_id": app_id });
            for key in &issued {
                let field = match key.info.kind {
                    KeyKind::Sdk => "sdk_key",
                    KeyKind::Secret => "secret_key",
                };
                out[field] = json!(key.key.expose());
            }
            output::json(&out);
        }
    }
    Ok(())
}
