//! Access tokens, indexed by access-token and refresh-token value (Canvas looks both up by
//! hash; a linear scan here capped the benchmarks' refresh throughput).

use std::collections::HashMap;

/// Index of a token in the [`TokenStore`].
pub type TokenId = usize;

#[derive(Clone, Debug)]
pub struct AccessToken {
    pub key_id: u64,
    pub user_id: u64,
    /// The admin who was masquerading as `user_id` when the grant was made (§3.3 `real_user`).
    pub real_user_id: Option<u64>,
    /// NEXT: the RFC 8707 `resource` of the grant.
    pub resource: Option<String>,
    /// `None` for userinfo-only tokens (plaintext cleared). Changed only through the store.
    token: Option<String>,
    refresh: Option<String>,
    pub scopes: Vec<String>,
    pub purpose: String,
    pub remember_access: bool,
    pub expires_at_ms: Option<u64>,
    pub permanent_expires_at_ms: Option<u64>,
    pub deleted: bool,
}

/// What a new token is made of (the secrets go in separately, so the indexes stay right).
pub struct NewToken {
    pub key_id: u64,
    pub user_id: u64,
    pub real_user_id: Option<u64>,
    pub resource: Option<String>,
    pub scopes: Vec<String>,
    pub purpose: String,
    pub remember_access: bool,
    pub expires_at_ms: Option<u64>,
    pub permanent_expires_at_ms: Option<u64>,
}

impl AccessToken {
    pub fn access(&self) -> Option<&str> {
        self.token.as_deref()
    }
}

#[derive(Default)]
pub struct TokenStore {
    tokens: Vec<AccessToken>,
    by_access: HashMap<String, TokenId>,
    by_refresh: HashMap<String, TokenId>,
}

impl TokenStore {
    pub fn insert(&mut self, new: NewToken, access: Option<String>, refresh: Option<String>) -> TokenId {
        let id = self.tokens.len();
        self.tokens.push(AccessToken {
            key_id: new.key_id,
            user_id: new.user_id,
            real_user_id: new.real_user_id,
            resource: new.resource,
            token: None,
            refresh: None,
            scopes: new.scopes,
            purpose: new.purpose,
            remember_access: new.remember_access,
            expires_at_ms: new.expires_at_ms,
            permanent_expires_at_ms: new.permanent_expires_at_ms,
            deleted: false,
        });
        self.set_access(id, access);
        self.set_refresh(id, refresh);
        id
    }

    pub fn get(&self, id: TokenId) -> &AccessToken {
        &self.tokens[id]
    }

    /// Mutable access to everything but the secrets.
    pub fn get_mut(&mut self, id: TokenId) -> &mut AccessToken {
        &mut self.tokens[id]
    }

    pub fn by_access(&self, token: &str) -> Option<TokenId> {
        self.by_access.get(token).copied()
    }

    pub fn by_refresh(&self, refresh: &str) -> Option<TokenId> {
        self.by_refresh.get(refresh).copied()
    }

    /// Regenerates (or clears) the access token: the old value stops working at once.
    pub fn set_access(&mut self, id: TokenId, value: Option<String>) {
        if let Some(old) = self.tokens[id].token.take() {
            self.by_access.remove(&old);
        }
        if let Some(v) = &value {
            self.by_access.insert(v.clone(), id);
        }
        self.tokens[id].token = value;
    }

    /// Rotates the refresh token: the old value stops working at once.
    pub fn set_refresh(&mut self, id: TokenId, value: Option<String>) {
        if let Some(old) = self.tokens[id].refresh.take() {
            self.by_refresh.remove(&old);
        }
        if let Some(v) = &value {
            self.by_refresh.insert(v.clone(), id);
        }
        self.tokens[id].refresh = value;
    }

    /// The first token (in issue order) matching `pred`.
    pub fn position(&self, pred: impl Fn(&AccessToken) -> bool) -> Option<TokenId> {
        self.tokens.iter().position(pred)
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut AccessToken> {
        self.tokens.iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new() -> NewToken {
        NewToken {
            key_id: 1,
            user_id: 2,
            real_user_id: None,
            resource: None,
            scopes: vec![],
            purpose: "p".into(),
            remember_access: false,
            expires_at_ms: None,
            permanent_expires_at_ms: None,
        }
    }

    #[test]
    fn indexes_follow_regeneration_and_rotation() {
        let mut s = TokenStore::default();
        let a = s.insert(new(), Some("at1".into()), Some("rt1".into()));
        let b = s.insert(new(), None, Some("rt2".into()));
        assert_eq!((s.by_access("at1"), s.by_refresh("rt1"), s.by_refresh("rt2")), (Some(a), Some(a), Some(b)));
        s.set_access(a, Some("at2".into()));
        s.set_refresh(a, Some("rt3".into()));
        assert_eq!((s.by_access("at1"), s.by_access("at2")), (None, Some(a)));
        assert_eq!((s.by_refresh("rt1"), s.by_refresh("rt3")), (None, Some(a)));
        assert_eq!(s.get(a).access(), Some("at2"));
        assert_eq!(s.get(b).access(), None);
    }
}
