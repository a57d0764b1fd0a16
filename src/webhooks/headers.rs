//! Read-only access to a request's headers, for any HTTP library.

/// The headers of a webhook request, as the [`Verifier`](super::Verifier) reads them.
///
/// Implemented for `http` 1.x [`HeaderMap`](http::HeaderMap), for `http` 0.2 `HeaderMap` with
/// the `http02` feature, and for `(name, value)` pairs held in a slice, an array or a `Vec`
/// (names and values as `&str`, `String` or anything `AsRef`). Implement it for the header type
/// of any other framework in a few lines:
///
/// ```
/// use buzzin::webhooks::RequestHeaders;
///
/// struct MyHeaders(Vec<(String, Vec<u8>)>);
///
/// impl RequestHeaders for MyHeaders {
///     fn visit_values<'a>(&'a self, name: &str, visit: &mut dyn FnMut(&'a [u8])) {
///         for (n, v) in &self.0 {
///             if n.eq_ignore_ascii_case(name) {
///                 visit(v);
///             }
///         }
///     }
/// }
/// ```
pub trait RequestHeaders {
    /// Calls `visit` with the value of every header called `name`, compared ASCII
    /// case-insensitively, in the order they were received.
    ///
    /// `name` is always lowercase. Every value must be passed, not only the first: the verifier
    /// rejects a request that repeats one of its headers rather than guess which one counts.
    fn visit_values<'a>(&'a self, name: &str, visit: &mut dyn FnMut(&'a [u8]));
}

impl<T: RequestHeaders + ?Sized> RequestHeaders for &T {
    fn visit_values<'a>(&'a self, name: &str, visit: &mut dyn FnMut(&'a [u8])) {
        (**self).visit_values(name, visit)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> RequestHeaders for [(K, V)] {
    fn visit_values<'a>(&'a self, name: &str, visit: &mut dyn FnMut(&'a [u8])) {
        for (n, v) in self {
            if n.as_ref().eq_ignore_ascii_case(name) {
                visit(v.as_ref());
            }
        }
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>, const N: usize> RequestHeaders for [(K, V); N] {
    fn visit_values<'a>(&'a self, name: &str, visit: &mut dyn FnMut(&'a [u8])) {
        self.as_slice().visit_values(name, visit)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> RequestHeaders for Vec<(K, V)> {
    fn visit_values<'a>(&'a self, name: &str, visit: &mut dyn FnMut(&'a [u8])) {
        self.as_slice().visit_values(name, visit)
    }
}

impl RequestHeaders for http::HeaderMap {
    fn visit_values<'a>(&'a self, name: &str, visit: &mut dyn FnMut(&'a [u8])) {
        for value in self.get_all(name) {
            visit(value.as_bytes());
        }
    }
}

#[cfg(feature = "http02")]
#[cfg_attr(docsrs, doc(cfg(feature = "http02")))]
impl RequestHeaders for http02::HeaderMap {
    fn visit_values<'a>(&'a self, name: &str, visit: &mut dyn FnMut(&'a [u8])) {
        for value in self.get_all(name) {
            visit(value.as_bytes());
        }
    }
}

/// What a request holds for one header name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup<'a> {
    Absent,
    One(&'a [u8]),
    Repeated,
}

/// Looks `name` up, telling a single value apart from a repeated header.
pub(crate) fn lookup<'a, H: RequestHeaders + ?Sized>(headers: &'a H, name: &str) -> Lookup<'a> {
    let mut found = Lookup::Absent;
    headers.visit_values(name, &mut |value| {
        found = match found {
            Lookup::Absent => Lookup::One(value),
            _ => Lookup::Repeated,
        }
    });
    found
}
