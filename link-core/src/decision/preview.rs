//! The Open Graph data link-preview bots and crawlers get instead of a redirect.

use super::controls::{Controls, keys};
use super::deeplink::{self, DeepPath};
use super::query::Carry;
use super::social;
use super::{Action, AppLinks, Preview, TwitterPreview};
use crate::app::PreviewDefaults;
use crate::url::WebUrl;

use super::Click;

/// A preview page, or a redirect to the link's `$og_redirect` (a page of the developer's
/// that carries the tags itself). The query is not carried: the bot only reads tags there.
pub fn answer(click: &Click<'_>) -> Action {
    match Controls::new(&click.link.data).url(keys::OG_REDIRECT) {
        Some(url) => Action::Redirect {
            location: url.into(),
        },
        None => Action::Preview(Box::new(build(click))),
    }
}

/// The link's `$og_*` and `$twitter_*` values, falling back to the app's preview defaults.
pub fn build(click: &Click<'_>) -> Preview {
    let data = &click.link.data;
    let controls = Controls::new(data);
    let defaults = &click.app.preview;
    let video_url = controls.url(keys::OG_VIDEO);
    let player_url = controls
        .url(keys::TWITTER_PLAYER)
        .or_else(|| video_url.clone())
        .and_then(social::player_url);
    let card = controls
        .text(keys::TWITTER_CARD)
        .and_then(social::TwitterCard::parse)
        .filter(|card| *card != social::TwitterCard::Player || player_url.is_some());
    let player = card == Some(social::TwitterCard::Player);
    Preview {
        title: title(click),
        description: controls
            .text(keys::OG_DESCRIPTION)
            .or(defaults.description.as_deref())
            .map(|d| cut(d, PreviewDefaults::MAX_DESCRIPTION)),
        image_url: controls
            .url(keys::OG_IMAGE_URL)
            .or_else(|| defaults.image_url.clone()),
        url: controls
            .url(keys::OG_URL)
            .or_else(|| WebUrl::parse(click.short_url).ok()),
        kind: controls
            .text(keys::OG_TYPE)
            .and_then(social::og_type)
            .map(str::to_owned),
        image_width: social::image_side_of(data, keys::OG_IMAGE_WIDTH),
        image_height: social::image_side_of(data, keys::OG_IMAGE_HEIGHT),
        facebook_app_id: social::facebook_app_id_of(data, keys::OG_APP_ID).map(str::to_owned),
        video_url,
        twitter: TwitterPreview {
            card,
            title: controls
                .text(keys::TWITTER_TITLE)
                .map(|t| cut(t, PreviewDefaults::MAX_TITLE)),
            description: controls
                .text(keys::TWITTER_DESCRIPTION)
                .map(|d| cut(d, PreviewDefaults::MAX_DESCRIPTION)),
            image_url: controls.url(keys::TWITTER_IMAGE_URL),
            site: controls
                .text(keys::TWITTER_SITE)
                .and_then(social::twitter_handle)
                .map(str::to_owned),
            player_url: player_url.filter(|_| player),
            player_width: social::image_side_of(data, keys::TWITTER_PLAYER_WIDTH)
                .filter(|_| player),
            player_height: social::image_side_of(data, keys::TWITTER_PLAYER_HEIGHT)
                .filter(|_| player),
        },
        app_links: app_links(click, &controls),
        custom_tags: social::custom_tags_of(data, keys::CUSTOM_META_TAGS),
    }
}

/// App Links tags from the app's schemes, store id and package, unless the link keeps
/// phones on the web.
fn app_links(click: &Click<'_>, controls: &Controls<'_>) -> AppLinks {
    if controls.mobile_web_only() {
        return AppLinks::default();
    }
    let app = click.app;
    let carry = Carry::new(click.query);
    let url = |scheme, key| {
        let path = DeepPath::or_default(controls.deeplink_path(key), scheme);
        deeplink::scheme_link(scheme, path, &carry, None)
    };
    AppLinks {
        ios_url: app
            .ios
            .uri_scheme
            .as_ref()
            .map(|s| url(s, keys::IOS_DEEPLINK_PATH)),
        ios_app_store_id: app
            .ios
            .app_store_id
            .as_ref()
            .map(|id| id.as_str().to_owned()),
        android_url: app
            .android
            .uri_scheme
            .as_ref()
            .map(|s| url(s, keys::ANDROID_DEEPLINK_PATH)),
        android_package: app.android.package.as_ref().map(|p| p.as_str().to_owned()),
    }
}

/// `$og_title`, else the app's preview title, cut to [`PreviewDefaults::MAX_TITLE`].
pub fn title(click: &Click<'_>) -> Option<String> {
    Controls::new(&click.link.data)
        .text(keys::OG_TITLE)
        .or(click.app.preview.title.as_deref())
        .map(|t| cut(t, PreviewDefaults::MAX_TITLE))
}

/// Trims and keeps at most `max` characters (not bytes: never splits a character).
fn cut(text: &str, max: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(max) {
        Some((end, _)) => text[..end].trim_end().to_owned(),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::cut;

    #[test]
    fn cuts_by_characters() {
        assert_eq!(cut("  héllo  ", 3), "hél");
        assert_eq!(cut("ab", 5), "ab");
        assert_eq!(cut("a b", 2), "a");
        assert_eq!(cut(&"é".repeat(400), 300).chars().count(), 300);
    }
}
