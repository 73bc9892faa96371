use link_core::ShardId;
use shard_router::catalog::shards;
use shard_router::{PoolSettings, ShardDsn};

use crate::cli::ShardsCommand;
use crate::output;

pub async fn run(cmd: ShardsCommand) -> anyhow::Result<()> {
    match cmd {
        ShardsCommand::Add {
            name,
            url,
            weight,
            catalog,
        } => {
            let id = ShardId::parse(&name).map_err(|e| e.at("NAME"))?;
            let dsn = ShardDsn::parse(&url).map_err(|e| e.at("POSTGRES_URL"))?;
            let router = super::router(&catalog).await?;
            let added = shards::add(&router, id, dsn, weight, &PoolSettings::default()).await?;
            output::json(&added);
        }
        ShardsCommand::List(catalog) => {
            let router = super::router(&catalog).await?;
            for shard in shards::list(&router).await? {
                output::json(&shard);
            }
        }
    }
    Ok(())
}
