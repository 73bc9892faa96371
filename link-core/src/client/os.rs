//! Operating system, OS version and form factor from a User-Agent.
//!
//! One pass collects which OS markers occur (see [`MARKERS`]); [`detect`] then applies the
//! rules in a fixed order, most specific first, because User-Agents lie on purpose:
//! Windows Phone claims to be Android and iPhone, iPadOS Safari claims to be a Mac,
//! Chromebooks running Android apps claim to be Android. When no marker is known, woothee's
//! verdict is the fallback (it knows feature phones, consoles and Japanese carriers).
//!
//! # iPadOS presenting as a Mac
//! Since iPadOS 13, Safari on an iPad sends the desktop Mac User-Agent by default. From the
//! User-Agent alone such an iPad cannot be told apart from a Mac, and we classify it as
//! macOS; only client hints or JavaScript (touch points) could tell, which the link
//! service's device check asks (`ClientInfo::maybe_ipad`). What we can catch here:
//! WebViews and in-app browsers on iPad that keep the `Mobile/` token while claiming
//! `Macintosh`, and iPadOS's Firefox, Chrome and Edge, which keep `FxiOS/`, `CriOS/` or
//! `EdgiOS/`; no Mac browser sends those, so either combination is taken as an iPad.

use super::tokens::{Token, TokenSet, find_ci, version_after};
use super::{DeviceVendor, OsFamily};
use std::sync::LazyLock;

/// The device's shape, as far as the User-Agent tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Form {
    Phone,
    Tablet,
    Desktop,
    /// TVs, set-top boxes, watches, speakers, consoles, cars: not a place for an app store.
    Appliance,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Os {
    pub family: OsFamily,
    pub version: Option<(u16, u16)>,
    pub form: Form,
}

/// A marker an OS rule looks for. The discriminant is the bit in [`Marks`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    // Systems that borrow other systems' tokens.
    WindowsPhone,
    OtherMobileOs,
    BlackBerry,
    OtherDesktopOs,
    LikeAndroid,
    LinuxTvOs,
    ChromeOs,
    // Android and its derivatives.
    Android,
    AndroidDerivative,
    FireTv,
    // Apple.
    Ipad,
    Iphone,
    /// "iPh" + digit: Apple's model identifier ("iPh14,2"), as UC Browser for iOS sends it.
    IphoneModel,
    Ipod,
    IosWord,
    AppleWatch,
    AppleTv,
    AppleNetworkStack,
    MacDevice,
    /// "(x86_64)" and friends: the architecture macOS's network stack appends.
    MacArch,
    /// "Mac" + digit: a Mac model identifier ("Mac14,2").
    MacModel,
    /// Apps that exist only on iPhone and iPad and name no platform.
    IosOnlyApp,
    /// Browsers that exist only on iOS and iPadOS (Chrome's "CriOS", Firefox's "FxiOS"),
    /// which keep their token when an iPad asks for desktop sites.
    IosBrowser,
    /// "Darwin" without a version slash.
    BareDarwin,
    /// "Watch" + digit at the start.
    WatchModel,
    MobileBuild,
    /// J2ME and other feature phones ("Profile/MIDP-2.0", "UP.Browser", "MAUI").
    FeaturePhone,
    // Desktop systems.
    Windows,
    Linux,
    /// Microsoft's own software: on Windows unless the string names another system.
    MicrosoftApp,
    // Form factor hints.
    MobileWord,
    TabletWord,
    Tv,
    Console,
}

#[derive(Clone, Copy, Default)]
struct Marks(u64);

impl Marks {
    fn has(self, mark: Mark) -> bool {
        self.0 & (1 << mark as u64) != 0
    }
}

/// OS markers. Order does not matter here: every marker found is collected.
static MARKERS: &[Token<Mark>] = &[
    // Windows Phone 8.1 says "Android 4.0" and "like iPhone OS"; Windows 10 Mobile says
    // "Android 6.0.1": their own token must win.
    Token::any("Windows Phone", Mark::WindowsPhone),
    Token::any("Windows Mobile", Mark::WindowsPhone),
    Token::any("IEMobile", Mark::WindowsPhone),
    Token::any("Windows CE", Mark::WindowsPhone),
    Token::word("KAIOS", Mark::OtherMobileOs),
    Token::word("Tizen", Mark::OtherMobileOs),
    Token::word("Web0S", Mark::OtherMobileOs),
    Token::word("webOS", Mark::OtherMobileOs),
    // BlackBerry's own systems; its later phones run Android and say so first.
    // `BlackBerry9700/5.0.0.862 ...`: the model follows the name.
    Token::word_start("BlackBerry", Mark::BlackBerry),
    Token::word("BB10", Mark::BlackBerry),
    Token::word("PlayBook", Mark::BlackBerry),
    Token::word("Symbian", Mark::OtherMobileOs),
    Token::any("SymbianOS", Mark::OtherMobileOs),
    Token::word("Series60", Mark::OtherMobileOs),
    Token::word("Series40", Mark::OtherMobileOs),
    Token::word("OpenHarmony", Mark::OtherMobileOs),
    Token::word("Firefox OS", Mark::OtherMobileOs),
    Token::word("FreeBSD", Mark::OtherDesktopOs),
    Token::word("OpenBSD", Mark::OtherDesktopOs),
    Token::word("NetBSD", Mark::OtherDesktopOs),
    Token::word("DragonFly", Mark::OtherDesktopOs),
    Token::word("SunOS", Mark::OtherDesktopOs),
    Token::word("IRIX", Mark::OtherDesktopOs),
    Token::word("OSF1", Mark::OtherDesktopOs),
    Token::word("AIX", Mark::OtherDesktopOs),
    Token::word("OS/2", Mark::OtherDesktopOs),
    Token::word("AmigaOS", Mark::OtherDesktopOs),
    Token::word("Haiku", Mark::OtherDesktopOs),
    Token::word("BeOS", Mark::OtherDesktopOs),
    Token::word("RISC OS", Mark::OtherDesktopOs),
    // Linux devices that claim Android: Plasma Mobile, PocketBook and Kobo e-readers,
    // Sailfish phones.
    Token::word("like Android", Mark::LikeAndroid),
    Token::word("Kobo", Mark::LikeAndroid),
    Token::exact_word("Sailfish", Mark::LikeAndroid),
    // Linux-based TV systems that do not say "Linux".
    Token::word("Roku", Mark::LinuxTvOs),
    Token::word_start("RokuOS", Mark::LinuxTvOs),
    Token::word_start("RokuBrowser", Mark::LinuxTvOs),
    Token::word_start("ViziOS", Mark::LinuxTvOs),
    Token::word_start("KreaTV", Mark::LinuxTvOs),
    Token::word_start("CrKey", Mark::LinuxTvOs),
    Token::word("Google Fiber", Mark::LinuxTvOs),
    Token::word("CrOS", Mark::ChromeOs),
    Token::word("Chromebook", Mark::ChromeOs),
    Token::word("Android", Mark::Android),
    Token::word("AndroidTV", Mark::Android),
    // UC Browser's "Adr 9", Opera TV's "Andr0id 10", Facebook's "FB4A" (for Android),
    // the Dalvik VM, Amazon's Silk (Fire tablets), Meta Quest and Pico headsets,
    // Android forks that drop the word.
    Token::exact_word("Adr", Mark::AndroidDerivative),
    Token::word("Andr0id", Mark::AndroidDerivative),
    Token::word("FB4A", Mark::AndroidDerivative),
    Token::word_start("Dalvik/", Mark::AndroidDerivative),
    Token::word_start("Silk/", Mark::AndroidDerivative),
    Token::word_start("OculusBrowser", Mark::AndroidDerivative),
    Token::word_start("PicoBrowser", Mark::AndroidDerivative),
    Token::word("YunOS", Mark::AndroidDerivative),
    Token::word("RemixOS", Mark::AndroidDerivative),
    Token::word("HarmonyOS", Mark::AndroidDerivative),
    // Amazon Fire TV models are all "AFT" + capitals ("AFTMM", "AFTKA").
    Token::exact("AFT", Mark::FireTv),
    Token::exact("iPad", Mark::Ipad),
    Token::exact("iPhone", Mark::Iphone),
    Token::exact("iPh OS", Mark::Iphone),
    Token::exact("iPod", Mark::Ipod),
    Token::exact("iPh", Mark::IphoneModel),
    Token::word("iOS", Mark::IosWord),
    Token::word("iPadOS", Mark::Ipad),
    Token::exact("like Mac OS X", Mark::IosWord),
    Token::word_start("watchOS", Mark::AppleWatch),
    Token::any("Watch OS", Mark::AppleWatch),
    Token::any("Apple Watch", Mark::AppleWatch),
    // "Watch1,2/4.3.2": a watch model identifier.
    Token::start("Watch", Mark::WatchModel),
    Token::word("tvOS", Mark::AppleTv),
    Token::word_start("AppleTV", Mark::AppleTv),
    Token::word("Apple TV", Mark::AppleTv),
    Token::word("HomePod", Mark::AppleTv),
    Token::word_start("CFNetwork/", Mark::AppleNetworkStack),
    Token::word_start("Darwin/", Mark::AppleNetworkStack),
    // A bare "Darwin" (no version slash) is uname talking: a Mac, not an iOS app.
    Token::exact_word("Darwin", Mark::BareDarwin),
    Token::any("-apple-darwin", Mark::MacDevice),
    Token::any("os=Mac", Mark::MacDevice),
    Token::exact("Mac", Mark::MacModel),
    Token::word("Macintosh", Mark::MacDevice),
    Token::any("Mac OS", Mark::MacDevice),
    Token::word("macOS", Mark::MacDevice),
    Token::word_start("Mac_PowerPC", Mark::MacDevice),
    Token::word_start("MacBook", Mark::MacDevice),
    Token::word_start("iMac", Mark::MacDevice),
    Token::word_start("Macmini", Mark::MacDevice),
    Token::word_start("MacPro", Mark::MacDevice),
    Token::any("(x86_64)", Mark::MacArch),
    Token::any("(i386)", Mark::MacArch),
    Token::any("(arm64)", Mark::MacArch),
    Token::any("(Power Macintosh)", Mark::MacArch),
    Token::word("Castro", Mark::IosOnlyApp),
    Token::word_start("iCatcher", Mark::IosOnlyApp),
    Token::word("Overcast", Mark::IosOnlyApp),
    Token::word("Downcast", Mark::IosOnlyApp),
    Token::word("Instacast", Mark::IosOnlyApp),
    Token::word_start("CriOS/", Mark::IosBrowser),
    Token::word_start("FxiOS/", Mark::IosBrowser),
    Token::word_start("EdgiOS/", Mark::IosBrowser),
    Token::word_start("OPiOS/", Mark::IosBrowser),
    Token::exact_word_start("Mobile/", Mark::MobileBuild),
    Token::word_start("MIDP", Mark::FeaturePhone),
    Token::word_start("CLDC", Mark::FeaturePhone),
    Token::word_start("UP.Browser", Mark::FeaturePhone),
    Token::word_start("J2ME", Mark::FeaturePhone),
    Token::word_start("MAUI", Mark::FeaturePhone),
    Token::word("WAP", Mark::FeaturePhone),
    Token::word_start("Obigo", Mark::FeaturePhone),
    Token::word("BREW", Mark::FeaturePhone),
    Token::word_start("Nokia", Mark::FeaturePhone),
    Token::word_start("SonyEricsson", Mark::FeaturePhone),
    Token::word_start("Teleca", Mark::FeaturePhone),
    Token::word_start("PalmOS", Mark::FeaturePhone),
    Token::word_start("Palm-", Mark::FeaturePhone),
    Token::word_start("Screen-", Mark::FeaturePhone),
    Token::word_start("UP/", Mark::FeaturePhone),
    Token::word("Windows", Mark::Windows),
    Token::word_start("Win64", Mark::Windows),
    Token::word_start("Win32", Mark::Windows),
    Token::word_start("WinNT", Mark::Windows),
    Token::word_start("Win98", Mark::Windows),
    Token::word_start("Win95", Mark::Windows),
    Token::word("Win 9x", Mark::Windows),
    Token::word_start("win10", Mark::Windows),
    Token::word_start("win7", Mark::Windows),
    Token::word_start("CYGWIN", Mark::Windows),
    Token::exact_word("Win", Mark::Windows),
    Token::word_start("winhttp", Mark::Windows),
    Token::word_start("Microsoft", Mark::MicrosoftApp),
    Token::word_start("MSOffice", Mark::MicrosoftApp),
    Token::word("Linux", Mark::Linux),
    Token::word("X11", Mark::Linux),
    Token::word("Ubuntu", Mark::Linux),
    Token::word("Fedora", Mark::Linux),
    Token::word("Debian", Mark::Linux),
    Token::word("SUSE", Mark::Linux),
    Token::word("Red Hat", Mark::Linux),
    Token::word_start("linux-gnu", Mark::Linux),
    Token::word("Mobile", Mark::MobileWord),
    Token::word("Tablet", Mark::TabletWord),
    Token::exact_word("TV", Mark::Tv),
    Token::any("SmartTV", Mark::Tv),
    Token::any("Smart-TV", Mark::Tv),
    Token::any("HbbTV", Mark::Tv),
    Token::any("GoogleTV", Mark::Tv),
    Token::word("G00gle TV", Mark::Tv),
    Token::word("BRAVIA", Mark::Tv),
    Token::word_start("MIBOX", Mark::Tv),
    Token::word_start("MiTV", Mark::Tv),
    Token::word_start("OMI/", Mark::Tv),
    Token::word_start("NetCast", Mark::Tv),
    Token::word_start("DTV", Mark::Tv),
    Token::word("STB", Mark::Tv),
    Token::word_start("Chromecast", Mark::Tv),
    Token::word_start("CE-HTML", Mark::Tv),
    Token::word_start("NETTV", Mark::Tv),
    Token::word_start("DLNADOC", Mark::Tv),
    Token::word_start("Sonos", Mark::Tv),
    Token::exact_word("Echo", Mark::Tv),
    Token::word_start("tpapi", Mark::Tv),
    Token::word("Garmin", Mark::Console),
    Token::word("PlayStation", Mark::Console),
    Token::word("Nintendo", Mark::Console),
    Token::word("Xbox", Mark::Console),
];

static MARKER_SET: LazyLock<TokenSet<Mark>> = LazyLock::new(|| TokenSet::new(MARKERS));

fn collect(ua: &str) -> Marks {
    let bytes = ua.as_bytes();
    let mut marks = Marks::default();
    MARKER_SET.for_each(ua, |mark, at| {
        let mark = match mark {
            // "AFT" counts only as the start of a Fire TV model name such as "AFTMM".
            Mark::FireTv if !bytes.get(at + 3).is_some_and(u8::is_ascii_uppercase) => return,
            Mark::IphoneModel if !bytes.get(at + 3).is_some_and(u8::is_ascii_digit) => return,
            Mark::IphoneModel => Mark::Iphone,
            Mark::MacModel if !bytes.get(at + 3).is_some_and(u8::is_ascii_digit) => return,
            Mark::MacModel => Mark::MacDevice,
            // A bare "Darwin" is uname talking (a Mac); "Darwin/22.5.0" is iOS's stack.
            Mark::BareDarwin if bytes.get(at + 6) == Some(&b'/') => return,
            Mark::BareDarwin => Mark::MacDevice,
            Mark::WatchModel if !bytes.get(at + 5).is_some_and(u8::is_ascii_digit) => return,
            Mark::WatchModel => Mark::AppleWatch,
            // iOS says "like Mac OS X": that is not a Mac.
            Mark::MacDevice if ua[..at].ends_with("like ") => return,
            mark => mark,
        };
        marks.0 |= 1 << mark as u64;
    });
    marks
}

/// The phone system with a store of its own that a User-Agent of no other OS names:
/// Windows Phone (Microsoft's) or BlackBerry OS, for `$windows_phone_url` and
/// `$blackberry_url`.
pub(super) fn legacy_phone(ua: &str) -> Option<DeviceVendor> {
    let m = collect(ua);
    if m.has(Mark::WindowsPhone) {
        Some(DeviceVendor::Microsoft)
    } else if m.has(Mark::BlackBerry) {
        Some(DeviceVendor::BlackBerry)
    } else {
        None
    }
}

/// The operating system and form factor, or `None` when no rule applies.
pub(super) fn detect(ua: &str) -> Option<Os> {
    let m = collect(ua);
    let os = |family, version, form| {
        Some(Os {
            family,
            version,
            form,
        })
    };

    if m.has(Mark::WindowsPhone) {
        return os(
            OsFamily::Other,
            version_after(ua, "Windows Phone "),
            Form::Phone,
        );
    }
    if m.has(Mark::OtherMobileOs) {
        let form = if m.has(Mark::Tv) {
            Form::Appliance
        } else {
            Form::Phone
        };
        return os(OsFamily::Other, None, form);
    }
    if m.has(Mark::ChromeOs) {
        return os(OsFamily::ChromeOs, chrome_os_version(ua), Form::Desktop);
    }
    if m.has(Mark::LikeAndroid) {
        return os(OsFamily::Linux, None, mobile_or_tablet(m));
    }
    if m.has(Mark::Android) || m.has(Mark::AndroidDerivative) || m.has(Mark::FireTv) {
        return os(OsFamily::Android, android_version(ua), android_form(m));
    }
    if m.has(Mark::BlackBerry) {
        return os(OsFamily::Other, None, Form::Phone);
    }
    if m.has(Mark::MacDevice)
        && (m.has(Mark::MobileBuild) || m.has(Mark::IosBrowser))
        && !m.has(Mark::Iphone)
    {
        // iPadOS in-app browsers and WebViews: desktop "Macintosh" plus "Mobile/15E148";
        // iPadOS's other browsers: "Macintosh" plus their iOS token.
        return os(OsFamily::Ios, ios_version(ua), Form::Tablet);
    }
    if let Some(found) = apple_mobile(ua, m) {
        return Some(found);
    }
    if m.has(Mark::MacDevice) || (m.has(Mark::MacArch) && m.has(Mark::AppleNetworkStack)) {
        return os(OsFamily::Macos, macos_version(ua), Form::Desktop);
    }
    if m.has(Mark::Windows) {
        let form = if m.has(Mark::Console) {
            Form::Appliance
        } else {
            Form::Desktop
        };
        return os(OsFamily::Windows, version_after(ua, "Windows NT "), form);
    }
    if m.has(Mark::FeaturePhone) {
        return os(OsFamily::Other, None, Form::Phone);
    }
    if m.has(Mark::OtherDesktopOs) {
        return os(OsFamily::Other, None, Form::Desktop);
    }
    if m.has(Mark::LinuxTvOs) {
        return os(OsFamily::Linux, None, Form::Appliance);
    }
    if m.has(Mark::Linux) {
        let form = if m.has(Mark::Tv) {
            Form::Appliance
        } else {
            Form::Desktop
        };
        return os(OsFamily::Linux, None, form);
    }
    if m.has(Mark::MicrosoftApp) {
        return os(OsFamily::Windows, None, Form::Desktop);
    }
    if m.has(Mark::Tv) || m.has(Mark::Console) {
        // TVs, speakers, consoles and watches with systems of their own.
        return os(OsFamily::Other, None, Form::Appliance);
    }
    None
}

/// iPhone, iPad, iPod, Apple Watch, Apple TV, and apps that only show Apple's network stack.
fn apple_mobile(ua: &str, m: Marks) -> Option<Os> {
    let form = if m.has(Mark::AppleWatch) || m.has(Mark::AppleTv) {
        Form::Appliance
    } else if m.has(Mark::Ipad) {
        Form::Tablet
    } else if m.has(Mark::Iphone) || m.has(Mark::Ipod) {
        Form::Phone
    } else if m.has(Mark::IosWord) {
        Form::Unknown
    } else if m.has(Mark::AppleNetworkStack) && !m.has(Mark::MacDevice) && !m.has(Mark::MacArch) {
        // "App/1 CFNetwork/1408 Darwin/22.5.0": iOS apps; macOS adds "(x86_64)" or a model.
        Form::Unknown
    } else if m.has(Mark::IosOnlyApp) && !m.has(Mark::MacDevice) {
        Form::Unknown
    } else {
        return None;
    };
    Some(Os {
        family: OsFamily::Ios,
        version: ios_version(ua),
        form,
    })
}

fn android_form(m: Marks) -> Form {
    if m.has(Mark::Tv) || m.has(Mark::FireTv) {
        Form::Appliance
    } else {
        mobile_or_tablet(m)
    }
}

/// Android and Linux phones say "Mobile"; their tablets leave it out.
fn mobile_or_tablet(m: Marks) -> Form {
    if m.has(Mark::TabletWord) {
        Form::Tablet
    } else if m.has(Mark::MobileWord) {
        Form::Phone
    } else {
        Form::Tablet
    }
}

fn ios_version(ua: &str) -> Option<(u16, u16)> {
    [
        "iPhone OS ",
        "CPU OS ",
        "iPh OS ",
        "iOS ",
        "iOS/",
        "watchOS/",
        "watchOS ",
    ]
    .iter()
    .find_map(|marker| version_after(ua, marker))
}

fn android_version(ua: &str) -> Option<(u16, u16)> {
    ["Android ", "Android/", "Android-", "Adr ", "Andr0id "]
        .iter()
        .find_map(|marker| version_after(ua, marker))
}

fn macos_version(ua: &str) -> Option<(u16, u16)> {
    ["Mac OS X ", "Mac OS/", "macOS "]
        .iter()
        .find_map(|marker| version_after(ua, marker))
}

/// "CrOS x86_64 14541.0.0": the platform version follows the architecture.
fn chrome_os_version(ua: &str) -> Option<(u16, u16)> {
    let at = find_ci(ua, "CrOS ")? + "CrOS ".len();
    let rest = &ua[at..];
    let arch_end = rest.find(' ')?;
    super::tokens::parse_version(&rest[arch_end + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn family(ua: &str) -> Option<OsFamily> {
        detect(ua).map(|os| os.family)
    }

    #[test]
    fn marker_table_compiles() {
        let _ = collect("x");
    }

    #[test]
    fn iphone_and_ipad() {
        let ua = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 \
                  (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
        assert_eq!(
            detect(ua),
            Some(Os {
                family: OsFamily::Ios,
                version: Some((17, 4)),
                form: Form::Phone
            })
        );
        let ua = "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 \
                  (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1";
        assert_eq!(
            detect(ua),
            Some(Os {
                family: OsFamily::Ios,
                version: Some((16, 6)),
                form: Form::Tablet
            })
        );
    }

    #[test]
    fn ipad_presenting_as_mac_with_mobile_token() {
        let ua = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 \
                  (KHTML, like Gecko) Mobile/15E148";
        let os = detect(ua).expect("detected");
        assert_eq!((os.family, os.form), (OsFamily::Ios, Form::Tablet));
        // Plain desktop Safari stays a Mac: the User-Agent cannot say more.
        let ua = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 \
                  (KHTML, like Gecko) Version/17.4 Safari/605.1.15";
        assert_eq!(
            detect(ua),
            Some(Os {
                family: OsFamily::Macos,
                version: Some((10, 15)),
                form: Form::Desktop
            })
        );
    }

    #[test]
    fn android_versions_and_forms() {
        let ua = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) \
                  Chrome/124.0.0.0 Mobile Safari/537.36";
        assert_eq!(
            detect(ua),
            Some(Os {
                family: OsFamily::Android,
                version: Some((14, 0)),
                form: Form::Phone
            })
        );
        let ua = "Mozilla/5.0 (Linux; Android 8.1.0; SM-T580) AppleWebKit/537.36 (KHTML, like Gecko) \
                  Chrome/120.0.0.0 Safari/537.36";
        assert_eq!(
            detect(ua),
            Some(Os {
                family: OsFamily::Android,
                version: Some((8, 1)),
                form: Form::Tablet
            })
        );
        let ua =
            "UCWEB/2.0 (MIDP-2.0; U; Adr 9; ru; Redmi_Note_8_Pro) U2/1.0.0 UCBrowser/11.0 Mobile";
        assert_eq!(family(ua), Some(OsFamily::Android));
        let ua =
            "Mozilla/5.0 (Linux; Android 9; AFTKA) AppleWebKit/537.36 Chrome/116 Safari/537.36";
        assert_eq!(detect(ua).map(|os| os.form), Some(Form::Appliance));
    }

    #[test]
    fn impostors_keep_their_own_family() {
        let wp = "Mozilla/5.0 (Mobile; Windows Phone 8.1; Android 4.0; ARM; Trident/7.0; Touch; \
                  rv:11.0; IEMobile/11.0; NOKIA; Lumia 635) like iPhone OS 7_0_3 Mac OS X \
                  AppleWebKit/537 (KHTML, like Gecko) Mobile Safari/537";
        assert_eq!(family(wp), Some(OsFamily::Other));
        let cb = "Mozilla/5.0 (Linux; Android 9; HP Chromebook 13 G1) AppleWebKit/537.36 \
                  (KHTML, like Gecko) Chrome/80.0.3987.162 Safari/537.36";
        assert_eq!(family(cb), Some(OsFamily::ChromeOs));
        let cros = "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) \
                    Chrome/120.0.0.0 Safari/537.36";
        assert_eq!(detect(cros).and_then(|os| os.version), Some((14541, 0)));
    }

    #[test]
    fn apple_network_stack() {
        assert_eq!(
            family("Overcast/3.0 CFNetwork/1408.0.4 Darwin/22.5.0"),
            Some(OsFamily::Ios)
        );
        assert_eq!(
            family("Reeder/1010.79.00 CFNetwork/520.4.3 Darwin/11.4.0 (x86_64) (MacBookPro4%2C1)"),
            Some(OsFamily::Macos)
        );
    }

    #[test]
    fn desktops() {
        let win = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
                   Chrome/124.0.0.0 Safari/537.36";
        assert_eq!(
            detect(win),
            Some(Os {
                family: OsFamily::Windows,
                version: Some((10, 0)),
                form: Form::Desktop
            })
        );
        let linux =
            "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";
        assert_eq!(family(linux), Some(OsFamily::Linux));
        assert_eq!(
            family("Mozilla/5.0 (X11; U; NetBSD amd64; rv:1.8) Gecko Firefox/1.5"),
            Some(OsFamily::Other)
        );
        assert_eq!(family("nothing to see"), None);
    }
}
