//! Which methods each documented path answers, read from the OpenAPI document, so a
//! request with the wrong method gets 405 and an `Allow` header instead of 404.

use std::sync::{Arc, OnceLock};

use utoipa::openapi::OpenApi;

/// One path template (`/api/v1/links/{code}`) split into segments, with its methods.
struct Route {
    segments: Vec<Option<String>>,
    methods: Vec<&'static str>,
}

/// Filled once, by the first worker that builds its app (every worker's document is the
/// same); read by the fallback service.
#[derive(Clone, Default)]
pub struct MethodTable(Arc<OnceLock<Vec<Route>>>);

impl MethodTable {
    pub fn fill(&self, document: &OpenApi) {
        self.0.get_or_init(|| {
            document
                .paths
                .paths
                .iter()
                .map(|(path, item)| Route {
                    segments: split(path)
                        .map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then(|| s.to_owned()))
                        .collect(),
                    methods: methods(item),
                })
                .collect()
        });
    }

    /// The methods `path` answers (`"GET, PATCH"`), or `None` when no documented path
    /// matches it.
    pub fn allowed(&self, path: &str) -> Option<String> {
        let routes = self.0.get()?;
        let wanted: Vec<&str> = split(path).collect();
        let mut allowed: Vec<&str> = routes
            .iter()
            .filter(|r| {
                r.segments.len() == wanted.len()
                    && r.segments
                        .iter()
                        .zip(&wanted)
                        .all(|(s, w)| s.as_deref().is_none_or(|lit| lit == *w))
            })
            .flat_map(|r| r.methods.iter().copied())
            .collect();
        if allowed.is_empty() {
            return None;
        }
        allowed.sort_unstable();
        allowed.dedup();
        Some(allowed.join(", "))
    }
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

fn methods(item: &utoipa::openapi::PathItem) -> Vec<&'static str> {
    let mut out = Vec::new();
    for (op, name) in [
        (&item.get, "GET"),
        (&item.post, "POST"),
        (&item.put, "PUT"),
        (&item.patch, "PATCH"),
        (&item.delete, "DELETE"),
    ] {
        if op.is_some() {
            out.push(name);
        }
    }
    if item.get.is_some() {
        out.push("HEAD");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::openapi::OpenApiBuilder;
    use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem, PathsBuilder};

    fn table() -> MethodTable {
        let doc = OpenApiBuilder::new()
            .paths(
                PathsBuilder::new()
                    .path(
                        "/api/v1/links/{code}",
                        PathItem::new(HttpMethod::Get, OperationBuilder::new().build()),
                    )
                    .path(
                        "/api/v1/links",
                        PathItem::new(HttpMethod::Post, OperationBuilder::new().build()),
                    ),
            )
            .build();
        let table = MethodTable::default();
        table.fill(&doc);
        table
    }

    #[test]
    fn templated_and_literal_paths_report_their_methods() {
        let table = table();
        assert_eq!(
            table.allowed("/api/v1/links/abc").as_deref(),
            Some("GET, HEAD")
        );
        assert_eq!(table.allowed("/api/v1/links").as_deref(), Some("POST"));
        assert_eq!(table.allowed("/api/v1/links/abc/more"), None);
        assert_eq!(table.allowed("/nothing"), None);
    }
}
