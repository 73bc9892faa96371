//! Click fingerprints: how a click in a browser and a later install or open from an app on
//! the same device are recognised as one person, without storing their IP address.
//!
//! The fingerprint is a keyed hash (HMAC-SHA-256 with a deployment secret) over the app,
//! the network address and the OS family. IPv6 addresses are cut to their /64 prefix, as
//! privacy extensions rotate the rest. OS version and device model are kept beside the
//! hash and compared separately, because browsers report them less reliably than SDKs
//! (Chrome on Android freezes its version at 10, Safari on iOS 26 reports 18).

use std::net::IpAddr;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::client::OsFamily;
use crate::ids::AppId;

/// The deployment secret fingerprints are keyed with; link and API services must share
/// it. Its `Debug` never prints it.
///
/// Held as an HMAC already keyed with the secret: each fingerprint clones it instead of
/// hashing the key's padded blocks again, which halves the SHA-256 work per click.
#[derive(Clone)]
pub struct FingerprintKey(Hmac<Sha256>);

impl FingerprintKey {
    pub fn new(secret: &[u8]) -> Self {
        Self(
            <Hmac<Sha256> as Mac>::new_from_slice(secret)
                .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length")),
        )
    }
}

impl std::fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FingerprintKey(<redacted>)")
    }
}

pub type Fingerprint = [u8; 32];

pub fn fingerprint(key: &FingerprintKey, app: AppId, ip: IpAddr, os: OsFamily) -> Fingerprint {
    let mut mac = key.0.clone();
    mac.update(&app.get().to_be_bytes());
    match ip {
        IpAddr::V4(v4) => mac.update(&v4.octets()),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => mac.update(&v4.octets()),
            None => mac.update(&v6.octets()[..8]),
        },
    }
    mac.update(os.as_str().as_bytes());
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> FingerprintKey {
        FingerprintKey::new(b"test-secret")
    }

    fn app(id: i64) -> AppId {
        AppId::new(id).unwrap()
    }

    #[test]
    fn same_device_same_fingerprint() {
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let mapped: IpAddr = "::ffff:203.0.113.7".parse().unwrap();
        let a = fingerprint(&key(), app(1), ip, OsFamily::Ios);
        assert_eq!(a, fingerprint(&key(), app(1), ip, OsFamily::Ios));
        assert_eq!(a, fingerprint(&key(), app(1), mapped, OsFamily::Ios));
    }

    #[test]
    fn ipv6_privacy_addresses_share_a_prefix() {
        let a: IpAddr = "2001:db8:1:2:aaaa:bbbb:cccc:dddd".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:1111:2222:3333:4444".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        let fp = |ip| fingerprint(&key(), app(1), ip, OsFamily::Android);
        assert_eq!(fp(a), fp(b));
        assert_ne!(fp(a), fp(other));
    }

    #[test]
    fn app_os_ip_and_key_all_matter() {
        let ip: IpAddr = "198.51.100.1".parse().unwrap();
        let base = fingerprint(&key(), app(1), ip, OsFamily::Ios);
        assert_ne!(base, fingerprint(&key(), app(2), ip, OsFamily::Ios));
        assert_ne!(base, fingerprint(&key(), app(1), ip, OsFamily::Android));
        assert_ne!(
            base,
            fingerprint(
                &key(),
                app(1),
                "198.51.100.2".parse().unwrap(),
                OsFamily::Ios
            )
        );
        assert_ne!(
            base,
            fingerprint(&FingerprintKey::new(b"other"), app(1), ip, OsFamily::Ios)
        );
    }

    /// Stored fingerprints must keep matching across versions: the value is the plain
    /// HMAC of app id (big-endian), address bytes and OS name under the secret.
    #[test]
    fn value_is_the_plain_hmac_of_its_inputs() {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"test-secret").unwrap();
        mac.update(&7i64.to_be_bytes());
        mac.update(&[192, 0, 2, 9]);
        mac.update(b"ios");
        let expected: Fingerprint = mac.finalize().into_bytes().into();
        let ip: IpAddr = "192.0.2.9".parse().unwrap();
        let key = key();
        assert_eq!(fingerprint(&key, app(7), ip, OsFamily::Ios), expected);
        // The keyed state is cloned, never consumed: the next click starts from it too.
        assert_eq!(fingerprint(&key, app(7), ip, OsFamily::Ios), expected);
    }
}
