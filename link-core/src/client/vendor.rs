//! Android device makers that ship their own app store, for Branch's `$samsung_url`
//! (Galaxy Store), `$huawei_url` (AppGallery: Huawei phones since 2019 have no Google Play)
//! and `$fire_url` (Amazon's Appstore on Fire tablets). Windows Phone and BlackBerry OS,
//! for `$windows_phone_url` and `$blackberry_url`, are named by `os`, which finds them.
//!
//! Makers rarely name themselves; their models and browsers do: Samsung's `SM-` model
//! numbers and Samsung Internet, Huawei's browser, HMS Core and HarmonyOS, Amazon's Silk
//! browser and `KF...` tablet models. A phone that says none of these is left unnamed and
//! gets the Play Store, as before.

use std::sync::LazyLock;

use super::DeviceVendor;
use super::tokens::{Token, TokenSet};

static VENDORS: &[Token<DeviceVendor>] = &[
    Token::word_start("SamsungBrowser", DeviceVendor::Samsung),
    Token::exact_word_start("SM-", DeviceVendor::Samsung),
    Token::word("SAMSUNG", DeviceVendor::Samsung),
    Token::word_start("HuaweiBrowser", DeviceVendor::Huawei),
    Token::word_start("HMSCore", DeviceVendor::Huawei),
    Token::word_start("HarmonyOS", DeviceVendor::Huawei),
    Token::word_start("HUAWEI", DeviceVendor::Huawei),
    Token::word_start("Silk/", DeviceVendor::Amazon),
];

static VENDOR_SET: LazyLock<TokenSet<DeviceVendor>> = LazyLock::new(|| TokenSet::new(VENDORS));

/// The maker an Android User-Agent names, if any.
pub(super) fn detect(ua: &str) -> Option<DeviceVendor> {
    VENDOR_SET
        .first(ua)
        .or_else(|| fire_tablet_model(ua).then_some(DeviceVendor::Amazon))
}

/// Fire tablets' model names: `KF` and two to five capitals as a word of their own
/// (`KFTT`, `KFMAWI`, `KFRAPWI`). Other makers' `KF6p`-style models are not Amazon's.
fn fire_tablet_model(ua: &str) -> bool {
    let bytes = ua.as_bytes();
    ua.match_indices("KF").any(|(at, _)| {
        let starts_word = at == 0 || !bytes[at - 1].is_ascii_alphanumeric();
        let rest = &bytes[at + 2..];
        let capitals = rest.iter().take_while(|b| b.is_ascii_uppercase()).count();
        let ends_word = rest
            .get(capitals)
            .is_none_or(|b| !b.is_ascii_alphanumeric());
        starts_word && (2..=5).contains(&capitals) && ends_word
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makers_from_models_and_browsers() {
        for (ua, want) in [
            (
                "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/124.0.0.0 Mobile Safari/537.36",
                Some(DeviceVendor::Samsung),
            ),
            (
                "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-A536B) AppleWebKit/537.36 (KHTML, like \
                 Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
                Some(DeviceVendor::Samsung),
            ),
            (
                "Mozilla/5.0 (Linux; Android 10; HarmonyOS; ELS-AN00; HMSCore 6.11.0.302) \
                 AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.4844.88 HuaweiBrowser/14.0.1.300 \
                 Mobile Safari/537.36",
                Some(DeviceVendor::Huawei),
            ),
            (
                "Mozilla/5.0 (Linux; Android 9; HUAWEI P30 Build/HUAWEIELE-L29) AppleWebKit/537.36",
                Some(DeviceVendor::Huawei),
            ),
            (
                "Mozilla/5.0 (Linux; Android 9; KFMAWI) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Silk/120.3.1 like Chrome/120.0.6099.230 Safari/537.36",
                Some(DeviceVendor::Amazon),
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/124.0.0.0 Mobile Safari/537.36",
                None,
            ),
            // Look-alikes inside other words do not count.
            (
                "Mozilla/5.0 (Linux; Android 12; ASM-X1; Kfoo) Chrome/100",
                None,
            ),
        ] {
            assert_eq!(detect(ua), want, "{ua}");
        }
    }
}
