//! The callback parser must never panic, and what it accepts must obey L4–L6.
#![no_main]
use canvas_oauth_core::{parse_callback, Callback, MAX_PARAM_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(url) = std::str::from_utf8(data) else { return };
    if let Ok(callback) = parse_callback(url) {
        let state = callback.state();
        assert!(!state.is_empty() && state.len() <= MAX_PARAM_LEN);
        assert!(state.bytes().all(|b| (0x20..=0x7e).contains(&b)));
        if let Callback::Code { code, .. } = &callback {
            assert!(!code.secret().is_empty() && code.secret().len() <= MAX_PARAM_LEN);
        }
        let fragment = url.split_once('#').map_or("", |(_, f)| f);
        assert!(!fragment.split('&').any(|p| p.split('=').next() == Some("state")), "fragment state accepted");
    }
});
