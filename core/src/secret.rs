//! Newtypes for secret values: `Debug` prints `[redacted]`, no `Clone`, no `Display`, and no
//! `PartialEq`: `==` on a secret would compare in variable time, so the only comparison is
//! [`AccessToken::ct_eq`] and its siblings (constant time, S19). Serde is transparent so they
//! travel in protocol bodies, but never in logs.

use alloc::string::String;
use core::fmt;
use serde::{Deserialize, Serialize};

macro_rules! secret_string {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a value received or about to be sent.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }
            /// The secret itself: use only to send it where it belongs.
            pub fn secret(&self) -> &str {
                &self.0
            }
            /// Unwraps it, for a caller that must own the string (a cookie, a request body).
            pub fn into_secret(self) -> String {
                self.0
            }
            /// Compares with `other` in time that depends only on the lengths.
            pub fn ct_eq(&self, other: &str) -> bool {
                crate::encoding::constant_time_eq(self.0.as_bytes(), other.as_bytes())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}

secret_string!(
    /// An OAuth access token (RFC 6749 §1.4); opaque, never stored outside memory (L11).
    AccessToken
);
secret_string!(
    /// A refresh token (RFC 6749 §1.5); only the relay ever holds one (R3).
    RefreshToken
);
secret_string!(
    /// An authorization code (RFC 6749 §4.1.2).
    AuthorizationCode
);
secret_string!(
    /// A developer key's secret (`api_key`); relay configuration only.
    ClientSecret
);
secret_string!(
    /// A Canvas web-session URL (`/login/session_token`); logs a browser in for 30 s.
    SessionUrl
);

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn debug_is_redacted() {
        let token = AccessToken::new("canary-1234");
        let shown = format!("{token:?} {:?}", RefreshToken::new("canary-5678"));
        assert!(!shown.contains("canary"), "{shown}");
        assert!(shown.contains("AccessToken([redacted])"));
        assert_eq!(token.secret(), "canary-1234");
    }

    #[test]
    fn comparison_is_constant_time_only() {
        let token = AccessToken::new("canary-1234");
        assert!(token.ct_eq("canary-1234"));
        assert!(!token.ct_eq("canary-1235"));
        assert!(!token.ct_eq("canary-123"));
        assert!(AuthorizationCode::new("").ct_eq(""));
    }

    /// S19: no secret type implements `PartialEq`, so `==` on one does not compile. The probe
    /// picks `NotComparable` only when the type has no `PartialEq` (the autoref trick: the
    /// inherent-looking method on `&Probe<T>` wins over the trait one when `T: PartialEq`).
    #[test]
    fn secrets_have_no_partial_eq() {
        struct Probe<T>(core::marker::PhantomData<T>);
        trait NotComparable {
            fn comparable(&self) -> bool {
                false
            }
        }
        impl<T> NotComparable for Probe<T> {}
        impl<T: PartialEq> Probe<T> {
            fn comparable(&self) -> bool {
                true
            }
        }
        macro_rules! comparable {
            ($t:ty) => {
                Probe::<$t>(core::marker::PhantomData).comparable()
            };
        }
        assert!(comparable!(String), "the probe sees PartialEq where there is one");
        assert!(!comparable!(AccessToken));
        assert!(!comparable!(RefreshToken));
        assert!(!comparable!(AuthorizationCode));
        assert!(!comparable!(ClientSecret));
        assert!(!comparable!(SessionUrl));
        assert!(!comparable!(crate::PkceVerifier));
    }
}
