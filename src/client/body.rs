//! Response bodies: read up to a cap, and decoded.

use bytes::Bytes;
use http::StatusCode;
use serde::de::DeserializeOwned;

use super::api_error::DecodeError;
use crate::Error;

/// A 2xx response, read to the end.
pub(crate) struct Success {
    pub(crate) status: StatusCode,
    pub(crate) body: Bytes,
}

/// How much of an error (non-2xx) body is read: enough for any Feathers error, and for the
/// snippet kept when it is not one. The rest is never read.
pub(crate) const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Reads at most `limit` bytes of a body, and whether that was all of it. When there is more,
/// the rest is never read (the connection is dropped with the response).
pub(crate) async fn read_body(
    response: &mut reqwest::Response,
    limit: usize,
) -> Result<(Bytes, bool), reqwest::Error> {
    // A body that arrives in one chunk (the common case) is kept as it came, without a copy;
    // the chunks of a longer one are joined.
    let mut first = Bytes::new();
    let mut joined: Option<bytes::BytesMut> = None;
    while let Some(chunk) = response.chunk().await? {
        let room = limit - joined.as_ref().map_or(first.len(), bytes::BytesMut::len);
        let fits = chunk.len() <= room;
        let chunk = if fits { chunk } else { chunk.slice(..room) };
        match &mut joined {
            None if first.is_empty() => first = chunk,
            None => {
                let mut body = bytes::BytesMut::with_capacity(first.len() + chunk.len());
                body.extend_from_slice(&first);
                body.extend_from_slice(&chunk);
                joined = Some(body);
            }
            Some(body) => body.extend_from_slice(&chunk),
        }
        if !fits {
            return Ok((joined.map_or(first, bytes::BytesMut::freeze), false));
        }
    }
    Ok((joined.map_or(first, bytes::BytesMut::freeze), true))
}

/// Decodes a 2xx body; an empty body reads as `null`, or as `{}` for a record type.
pub(crate) fn decode<T: DeserializeOwned>(
    ok: &Success,
    describe: impl FnOnce() -> (String, String),
) -> Result<T, Error> {
    let body = &ok.body[..];
    if body.iter().all(u8::is_ascii_whitespace) {
        if let Ok(value) = serde_json::from_slice::<T>(b"null") {
            return Ok(value);
        }
        if let Ok(value) = serde_json::from_slice::<T>(b"{}") {
            return Ok(value);
        }
    }
    // Checking UTF-8 once for the whole body (SIMD where the CPU has it), then parsing text, is
    // cheaper than checking each string as it is read; a body that is not UTF-8 is parsed as
    // bytes, for serde_json's error (the same either way for text).
    let parsed = match simdutf8::basic::from_utf8(body) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(body),
    };
    parsed.map_err(|e| {
        let (call, request) = describe();
        Error::Decode(Box::new(DecodeError::new(
            call, request, ok.status, &e, body,
        )))
    })
}
