//! The Content-Security-Policy of each page kind, built once from the hashes of the
//! inline blocks in `assets`.
//!
//! `default-src 'none'` denies everything; a page may then run only the exact script and
//! style text whose SHA-256 the policy names. Images are allowed from https (Open Graph
//! images) and `data:`. No base URL changes, no form submissions, no framing.

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use super::assets::{DEVICE_SCRIPT, SCRIPT, STYLE};

/// `'sha256-<base64>'`: a CSP source matching exactly `text` as an inline block.
pub fn hash_source(text: &str) -> String {
    format!(
        "'sha256-{}'",
        STANDARD.encode(Sha256::digest(text.as_bytes()))
    )
}

const TAIL: &str = "img-src https: data:; base-uri 'none'; form-action 'none'; \
                    frame-ancestors 'none'";

static WITH_SCRIPT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "default-src 'none'; script-src {}; style-src {}; {TAIL}",
        hash_source(SCRIPT),
        hash_source(STYLE)
    )
});

static DEVICE_CHECK: LazyLock<String> = LazyLock::new(|| {
    format!(
        "default-src 'none'; script-src {}; style-src {}; {TAIL}",
        hash_source(DEVICE_SCRIPT),
        hash_source(STYLE)
    )
});

static STYLE_ONLY: LazyLock<String> = LazyLock::new(|| {
    format!(
        "default-src 'none'; style-src {}; {TAIL}",
        hash_source(STYLE)
    )
});

/// For the interstitial: its script and the shared style.
pub fn with_script() -> &'static str {
    &WITH_SCRIPT
}

/// For the device check: its script and the shared style.
pub fn device_check() -> &'static str {
    &DEVICE_CHECK
}

/// For error pages: the shared style, no script.
pub fn style_only() -> &'static str {
    &STYLE_ONLY
}

/// For the preview page, which has neither script nor style.
pub const NOTHING_INLINE: &str = "default-src 'none'; img-src https: data:; base-uri 'none'; \
                                  form-action 'none'; frame-ancestors 'none'";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_hash() {
        // printf 'a' | openssl dgst -sha256 -binary | base64
        assert_eq!(
            hash_source("a"),
            "'sha256-ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs='"
        );
    }

    #[test]
    fn policies_are_strict() {
        for csp in [with_script(), device_check(), style_only(), NOTHING_INLINE] {
            assert!(csp.starts_with("default-src 'none';"), "{csp}");
            for directive in [
                "img-src https: data:",
                "base-uri 'none'",
                "form-action 'none'",
                "frame-ancestors 'none'",
            ] {
                assert!(csp.contains(directive), "{csp} lacks {directive}");
            }
            assert!(!csp.contains("unsafe"), "{csp}");
        }
        assert!(!style_only().contains("script-src"));
    }
}
