//! The optional plain-HTTP port, which only sends browsers on to HTTPS.
//!
//! A citizen who types the site's name without `https://` reaches port 80 first. `GET`
//! and `HEAD` get a permanent redirect to the same path and query on the configured
//! HTTPS address; every other method gets 400 without its body being read, so that no
//! form data is ever taken in plaintext (and no browser is told to send it again). It
//! serves no page, and logs neither paths nor queries.

use axum::Router;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

/// The router of the plain port, redirecting to `to` (`https://host[:port]`, no path).
pub fn router(to: String) -> Router {
    Router::new().fallback(move |method: Method, uri: Uri| {
        let to = to.clone();
        async move { answer(&to, &method, &uri) }
    })
}

fn answer(to: &str, method: &Method, uri: &Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (
            StatusCode::BAD_REQUEST,
            [(header::CONNECTION, HeaderValue::from_static("close"))],
            "This address takes nothing over plain HTTP. Use https://.\n",
        )
            .into_response();
    }
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let path = if path.starts_with('/') { path } else { "/" };
    match HeaderValue::try_from(format!("{to}{path}")) {
        Ok(location) => (
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, location)],
            "Moved to https.\n",
        )
            .into_response(),
        Err(_) => (StatusCode::BAD_REQUEST, "Use https://.\n").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gets_go_to_the_same_path_on_https_and_posts_are_refused() {
        let to = "https://skjema.example.no";
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        let location = |r: &Response| r.headers()[header::LOCATION].to_str().unwrap().to_string();

        let r = answer(to, &Method::GET, &uri("/skjema/kontakt?lang=en"));
        assert_eq!(r.status(), StatusCode::MOVED_PERMANENTLY);
        assert_eq!(
            location(&r),
            "https://skjema.example.no/skjema/kontakt?lang=en"
        );
        // A request target in absolute form keeps our host, not the one it names.
        let r = answer(to, &Method::HEAD, &uri("http://evil.example/x"));
        assert_eq!(location(&r), "https://skjema.example.no/x");
        let r = answer(to, &Method::GET, &uri("*"));
        assert_eq!(location(&r), "https://skjema.example.no/");

        for method in [Method::POST, Method::PUT, Method::DELETE, Method::OPTIONS] {
            let r = answer(to, &method, &uri("/skjema/kontakt"));
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{method}");
            assert!(r.headers().get(header::LOCATION).is_none());
        }
    }
}
