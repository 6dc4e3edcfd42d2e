use super::*;
use serde_json::{json, Value as J};

const OWN: &str = "https://app.example";
const STATE: &str = "p.abc";

fn url(state: &str) -> String {
    crate::concat(&["https://app.example/cb?code=c1&state=", state])
}

fn event(data: &J) -> PopupEvent<'_, J> {
    PopupEvent { from_popup: true, origin: OWN, own_origin: OWN, data }
}

#[test]
fn popup_states_are_marked_and_random() {
    let a = popup_state(&[1; RANDOM_BYTES]);
    let b = popup_state(&[2; RANDOM_BYTES]);
    assert!(a.as_str().starts_with(POPUP_STATE_PREFIX) && a.as_str().len() == 45, "{}", a.as_str());
    assert_ne!(a.as_str(), b.as_str());
    // A plain state never carries the prefix: '.' is not base64url.
    assert!(!State::from_random(&[0x3e; RANDOM_BYTES]).as_str().contains('.'));
}

#[test]
fn the_redirect_page_knows_a_popup_callback() {
    assert_eq!(popup_page(&url("p.x"), true), PopupPage::Forward);
    assert_eq!(popup_page(&url("p.x"), false), PopupPage::OpenerLost);
    assert_eq!(popup_page("https://app.example/cb?error=access_denied&state=p.x", true), PopupPage::Forward);
    assert_eq!(popup_page(&url("plain"), true), PopupPage::NotPopup, "a redirect sign-in");
    assert_eq!(popup_page("https://app.example/cb?state=p.x", true), PopupPage::NotPopup, "not a callback");
    assert_eq!(popup_page("https://app.example/cb?code=a&code=b&state=p.x", true), PopupPage::NotPopup);
    assert_eq!(opener_lost().code, ErrorCode::PopupOpenerLost);
    assert!(opener_lost().description.contains("new tab"));
}

#[test]
fn only_our_popups_callback_is_accepted() {
    let good = json!({"type": POPUP_MESSAGE_TYPE, "url": url(STATE)});
    assert_eq!(accept_popup_message(&event(&good), STATE).as_deref(), Some(url(STATE).as_str()));
    let error = json!({"type": POPUP_MESSAGE_TYPE, "url": "https://app.example/cb?error=access_denied&state=p.abc"});
    assert!(accept_popup_message(&event(&error), STATE).is_some(), "Canvas's error goes to check_callback");

    let other_window = PopupEvent { from_popup: false, ..event(&good) };
    assert_eq!(accept_popup_message(&other_window, STATE), None);
    for origin in
        ["https://evil.example", "https://app.example:443", "https://APP.example", "http://app.example", "null", ""]
    {
        assert_eq!(accept_popup_message(&PopupEvent { origin, ..event(&good) }, STATE), None, "{origin}");
    }
    let opaque = PopupEvent { origin: "null", own_origin: "null", ..event(&good) };
    assert_eq!(accept_popup_message(&opaque, STATE), None, "an opaque origin is nobody's");
    for bad in [
        json!({"type": "canvas-oauth:callbacks", "url": url(STATE)}),
        json!({"url": url(STATE)}),
        json!({"type": POPUP_MESSAGE_TYPE}),
        json!({"type": POPUP_MESSAGE_TYPE, "url": 5}),
        json!({"type": POPUP_MESSAGE_TYPE, "url": "https://app.example/cb"}),
        json!({"type": POPUP_MESSAGE_TYPE, "url": "https://app.example/cb?code=a&code=b&state=p.abc"}),
        json!({"type": POPUP_MESSAGE_TYPE, "url": "https://app.example/cb?access_token=t&state=p.abc"}),
        json!({"type": POPUP_MESSAGE_TYPE, "url": url("p.abd")}),
        json!({"type": POPUP_MESSAGE_TYPE, "url": url("p.ab")}),
        json!(url(STATE)),
        json!(null),
        json!([POPUP_MESSAGE_TYPE, url(STATE)]),
    ] {
        assert_eq!(accept_popup_message(&event(&bad), STATE), None, "{bad}");
    }
}

#[test]
fn cookie_check_answers() {
    assert_eq!(decode_cookie_check(&json!({"received": true})), Some(true));
    assert_eq!(decode_cookie_check(&json!({"received": false})), Some(false));
    for other in [json!({}), json!({"received": "false"}), json!({"received": 0}), json!(null), json!([true])] {
        assert_eq!(decode_cookie_check(&other), None, "{other}");
    }
}

#[test]
fn waiting_ends_in_a_typed_error() {
    assert!(popup_poll(0, 1.0, 10.0).is_none());
    assert!(popup_poll(1, 1.0, 10.0).is_none(), "the message may still be on its way");
    assert_eq!(popup_poll(2, 1.0, 10.0).unwrap().code, ErrorCode::PopupClosed);
    assert_eq!(popup_poll(0, 10.0, 10.0).unwrap().code, ErrorCode::PopupTimeout);
    assert_eq!(popup_poll(5, 11.0, 10.0).unwrap().code, ErrorCode::PopupTimeout);
}
