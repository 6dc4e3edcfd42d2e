use super::*;
use alloc::collections::BTreeMap;
use alloc::format;

const CB: &str = "https://app.example.edu/callback";
const ORIGIN: &str = "https://canvas.example.edu";
const STATE: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const NOW: f64 = 1_000_000_000.0;

/// An in-memory store that records every lookup.
#[derive(Default)]
struct Store {
    flows: BTreeMap<String, PendingFlow>,
    looked_up: usize,
}

impl FlowStore for Store {
    fn take(&mut self, state: &str) -> Option<PendingFlow> {
        self.looked_up += 1;
        self.flows.remove(state)
    }
}

fn flow(created_ms: f64) -> PendingFlow {
    PendingFlow {
        state: STATE.into(),
        verifier: PkceVerifier::from_random(&[3; 32]),
        redirect_uri: CB.into(),
        canvas_origin: ORIGIN.into(),
        created_ms,
        return_to: "/courses".into(),
        scopes: alloc::vec!["a".into()],
    }
}

fn store_with(flow: PendingFlow) -> Store {
    let mut store = Store::default();
    store.flows.insert(flow.state.clone(), flow);
    store
}

fn target() -> CallbackTarget<'static> {
    CallbackTarget { canvas_origin: ORIGIN, redirect_uri: CB }
}

fn check(url: &str, store: &mut Store) -> Result<CodeExchange, Error> {
    check_callback(url, store, &target(), NOW)
}

#[test]
fn a_good_callback_gives_the_exchange_and_uses_the_flow_up() {
    let mut store = store_with(flow(NOW - 1000.0));
    let exchange = check(&format!("{CB}?code=c0de&state={STATE}"), &mut store).unwrap();
    assert!(exchange.request.code.ct_eq("c0de"));
    assert_eq!(exchange.request.code_verifier.secret(), PkceVerifier::from_random(&[3; 32]).secret());
    assert_eq!((exchange.return_to.as_str(), exchange.scopes.len()), ("/courses", 1));
    assert_eq!(
        check(&format!("{CB}?code=c0de&state={STATE}"), &mut store).err().unwrap().code,
        ErrorCode::StateUnknown
    );
}

#[test]
fn malformed_callbacks_never_reach_the_store() {
    let mut store = store_with(flow(NOW));
    for url in
        [format!("{CB}?code=a&code=b&state={STATE}"), format!("{CB}#code=a&state={STATE}"), format!("{CB}?code=a")]
    {
        assert!(check(&url, &mut store).is_err(), "{url}");
    }
    assert_eq!(store.looked_up, 0);
    assert!(store.flows.contains_key(STATE));
}

#[test]
fn errors_are_surfaced_only_after_the_state_check() {
    let url = format!("{CB}?error=access_denied&state={STATE}");
    assert_eq!(check(&url, &mut Store::default()).err().unwrap().code, ErrorCode::StateUnknown);
    let err = check(&url, &mut store_with(flow(NOW))).err().unwrap();
    assert_eq!((err.code, err.description.as_str()), (ErrorCode::AccessDenied, "Canvas answered access_denied"));
    // An expired flow says so, not Canvas's error.
    assert_eq!(check(&url, &mut store_with(flow(NOW - 601_000.0))).err().unwrap().code, ErrorCode::StateExpired);
}

#[test]
fn the_flow_must_be_this_clients() {
    let mut other = flow(NOW);
    other.canvas_origin = "https://other.example.edu".into();
    let url = format!("{CB}?code=c&state={STATE}");
    assert_eq!(check(&url, &mut store_with(other)).err().unwrap().code, ErrorCode::StateUnknown);
    let mut other = flow(NOW);
    other.redirect_uri = "https://app.example.edu/other".into();
    assert_eq!(check(&url, &mut store_with(other)).err().unwrap().code, ErrorCode::StateUnknown);
    // A store that hands back a flow under another state (a lookup bug, a hand-written entry).
    let mut store = Store::default();
    store.flows.insert("other".into(), flow(NOW));
    let err = check(&format!("{CB}?code=c&state=other"), &mut store).err().unwrap();
    assert_eq!(err.code, ErrorCode::StateUnknown);
}

#[test]
fn the_callback_must_arrive_at_the_redirect_uri() {
    for elsewhere in
        ["https://app.example.edu/elsewhere", "https://app.example.edu/Callback", "https://evil.example/callback"]
    {
        let err = check(&format!("{elsewhere}?code=c&state={STATE}"), &mut store_with(flow(NOW))).err().unwrap();
        assert_eq!(err.code, ErrorCode::CallbackMalformed, "{elsewhere}");
    }
    assert!(check(
        &format!("HTTPS://App.Example.EDU:443/callback?x=1&code=c&state={STATE}"),
        &mut store_with(flow(NOW))
    )
    .is_ok());
}

#[test]
fn endpoints_compare_scheme_and_host_loosely_and_the_path_exactly() {
    assert!(same_endpoint("https://a.example/cb?code=1#x", "https://a.example/cb"));
    assert!(same_endpoint("HTTPS://A.EXAMPLE:443/cb", "https://a.example/cb"));
    assert!(same_endpoint("https://a.example", "https://a.example/"));
    // The path is case-sensitive: today's bug lowercased it.
    assert!(!same_endpoint("https://a.example/CB", "https://a.example/cb"));
    assert!(!same_endpoint("https://a.example/cb/", "https://a.example/cb"));
    assert!(!same_endpoint("http://a.example/cb", "https://a.example/cb"));
    assert!(!same_endpoint("https://a.example:8443/cb", "https://a.example/cb"));
    assert!(!same_endpoint("https://b.example/cb", "https://a.example/cb"));
    assert!(!same_endpoint("not a url", "https://a.example/cb"));
}

#[test]
fn stored_flows_round_trip_and_are_revalidated() {
    let text = flow(NOW).to_json();
    let decoded = decode_stored_flow(&serde_json::from_str::<serde_json::Value>(&text).unwrap()).unwrap();
    assert_eq!((decoded.state.as_str(), decoded.created_ms, decoded.return_to.as_str()), (STATE, NOW, "/courses"));
    let entry = |change: serde_json::Value| {
        let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
        value.as_object_mut().unwrap().extend(change.as_object().unwrap().clone());
        decode_stored_flow(&value)
    };
    // S11: a return path edited in storage is made safe, like one given to signIn.
    assert_eq!(entry(serde_json::json!({"p": "//evil.example"})).unwrap().return_to, "/");
    for bad in [
        serde_json::json!({"v": "short"}),
        serde_json::json!({"v": null}),
        serde_json::json!({"t": "now"}),
        serde_json::json!({"t": null}),
        serde_json::json!({"s": "a"}),
        serde_json::json!({"s": ["a b"]}),
        serde_json::json!({"k": 1}),
        serde_json::json!({"o": null}),
    ] {
        assert!(entry(bad.clone()).is_err(), "{bad}");
    }
}

/// L17: a popup sign-in's flow held in memory is taken once, and only by its own state.
#[test]
fn a_flow_in_memory_is_taken_once() {
    let url = format!("{CB}?code=c&state={STATE}");
    let mut held = Some(flow(NOW));
    assert!(check_callback(&url, &mut held, &target(), NOW).is_ok());
    assert!(held.is_none());
    assert_eq!(check_callback(&url, &mut held, &target(), NOW).err().unwrap().code, ErrorCode::StateUnknown, "twice");
    let mut held = Some(flow(NOW));
    let other = format!("{CB}?code=c&state=other");
    assert_eq!(check_callback(&other, &mut held, &target(), NOW).err().unwrap().code, ErrorCode::StateUnknown);
    let elsewhere = format!("https://app.example.edu/other?code=c&state={STATE}");
    let mut held = Some(flow(NOW));
    assert_eq!(check_callback(&elsewhere, &mut held, &target(), NOW).err().unwrap().code, ErrorCode::CallbackMalformed);
}
