//! Randomness from `crypto.getRandomValues`; there is no fallback (L1).

use crate::error::{err, Failure};
use canvas_oauth_core::{ErrorCode, RANDOM_BYTES};

fn fill_random(bytes: &mut [u8]) -> Result<(), Failure> {
    getrandom::fill(bytes).map_err(|_| err(ErrorCode::InvalidArgument, "crypto.getRandomValues is not available"))
}

/// Two independent random values from one `crypto.getRandomValues` call (state and verifier).
pub(crate) fn random_pair() -> Result<([u8; RANDOM_BYTES], [u8; RANDOM_BYTES]), Failure> {
    let mut bytes = [0u8; 2 * RANDOM_BYTES];
    fill_random(&mut bytes)?;
    let (a, b) = bytes.split_at(RANDOM_BYTES);
    Ok((a.try_into().unwrap_or_default(), b.try_into().unwrap_or_default()))
}

pub(crate) fn random_bytes() -> Result<[u8; RANDOM_BYTES], Failure> {
    let mut bytes = [0u8; RANDOM_BYTES];
    fill_random(&mut bytes)?;
    Ok(bytes)
}
