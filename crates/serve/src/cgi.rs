//! The function interface: CGI (RFC 3875) over WASI preview 1, as WAGI does it. The request
//! becomes environment variables (and its body standard input); the guest's standard output is
//! parsed as a CGI response: header lines (`Status:` among them), a blank line, the body.

use bytes::Bytes;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use std::net::SocketAddr;

/// The variables the server sets for every request (besides `HTTP_*`, one per header).
pub const SERVER_VARIABLES: [&str; 14] = [
    "GATEWAY_INTERFACE",
    "SERVER_SOFTWARE",
    "SERVER_PROTOCOL",
    "SERVER_NAME",
    "SERVER_PORT",
    "REQUEST_METHOD",
    "REQUEST_URI",
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
    "CONTENT_TYPE",
    "CONTENT_LENGTH",
    "REMOTE_ADDR",
    "REMOTE_PORT",
];

/// What the environment is made of.
pub struct Request<'a> {
    pub method: &'a str,
    /// The path and query as the client sent them.
    pub uri: &'a str,
    /// The route's prefix (empty for the root route).
    pub script_name: &'a str,
    /// The rest of the path, still percent-encoded.
    pub path_info: &'a str,
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub body_len: usize,
    /// The address the connection was accepted on.
    pub local: SocketAddr,
    pub remote: SocketAddr,
}

/// The guest's environment for `req`: the route's `extra` variables, the CGI variables, then
/// one `HTTP_*` per header, sorted, so that the same request always gives the same environment
/// (and the same gas). An error is a bad request.
pub fn environment(
    req: &Request<'_>,
    extra: &[(String, String)],
) -> Result<Vec<(String, String)>, String> {
    let path_info =
        percent_decode(req.path_info).ok_or("the path is not UTF-8 once percent-decoded")?;
    let header = |name: &HeaderName| {
        req.headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let server_name = header(&hyper::header::HOST)
        .map(|h| host_of(&h).to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| req.local.ip().to_string());
    let mut env: Vec<(String, String)> = extra.to_vec();
    let mut set = |name: &str, value: String| env.push((name.to_string(), value));
    set("GATEWAY_INTERFACE", "CGI/1.1".into());
    set(
        "SERVER_SOFTWARE",
        concat!("ssvm-lite/", env!("CARGO_PKG_VERSION")).into(),
    );
    set("SERVER_PROTOCOL", "HTTP/1.1".into());
    set("SERVER_NAME", server_name);
    set("SERVER_PORT", req.local.port().to_string());
    set("REQUEST_METHOD", req.method.to_string());
    set("REQUEST_URI", req.uri.to_string());
    set("SCRIPT_NAME", req.script_name.to_string());
    set("PATH_INFO", path_info);
    set("QUERY_STRING", req.query.to_string());
    if let Some(t) = header(&hyper::header::CONTENT_TYPE) {
        set("CONTENT_TYPE", t);
    }
    // RFC 3875 4.1.2: set if and only if there is a body.
    if req.body_len > 0 {
        set("CONTENT_LENGTH", req.body_len.to_string());
    }
    set("REMOTE_ADDR", req.remote.ip().to_string());
    set("REMOTE_PORT", req.remote.port().to_string());
    let mut http: Vec<(String, String)> = Vec::new();
    for name in req.headers.keys() {
        if name == hyper::header::CONTENT_TYPE || name == hyper::header::CONTENT_LENGTH {
            continue;
        }
        let values: Vec<String> = req
            .headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        let var = format!(
            "HTTP_{}",
            name.as_str().to_ascii_uppercase().replace('-', "_")
        );
        http.push((var, values.join(", ")));
    }
    http.sort();
    env.extend(http);
    Ok(env)
}

/// `host[:port]` or `[v6]:port` without the port.
fn host_of(host: &str) -> &str {
    if let Some(v6) = host.strip_prefix('[') {
        return v6.split(']').next().unwrap_or("");
    }
    host.split(':').next().unwrap_or("")
}

/// `%XX` sequences decoded (others kept as they are); `None` when the result is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// A parsed CGI response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

/// The most header lines a response may have.
const MAX_HEADERS: usize = 100;

/// Headers the server owns: framing and connection management (hyper sets them), and the bill.
fn server_owned(name: &HeaderName) -> bool {
    use hyper::header::*;
    [
        CONNECTION,
        CONTENT_LENGTH,
        TRANSFER_ENCODING,
        TE,
        TRAILER,
        UPGRADE,
    ]
    .contains(name)
        || ["keep-alive", "x-gas-used", "x-gas-limit", "x-request-id"].contains(&name.as_str())
}

/// Parses the guest's standard output as a CGI response (RFC 3875 section 6): header lines
/// ending in LF or CRLF, up to an empty line, then the body. `Status: NNN reason` sets the
/// status (default 200, or 302 with a `Location`). Headers the server owns are dropped. An error
/// says what is malformed.
pub fn parse_response(out: Bytes) -> Result<Response, String> {
    let mut status = None;
    let mut headers = Vec::new();
    let mut at = 0;
    loop {
        let Some(nl) = out[at..].iter().position(|&b| b == b'\n') else {
            return Err(if out.is_empty() {
                "the function wrote nothing (a CGI response needs headers and a blank line)".into()
            } else {
                "no blank line after the headers".into()
            });
        };
        let line = &out[at..at + nl];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        at += nl + 1;
        if line.is_empty() {
            break;
        }
        if headers.len() >= MAX_HEADERS {
            return Err(format!("more than {MAX_HEADERS} header lines"));
        }
        let text = String::from_utf8_lossy(line);
        let Some((name, value)) = text.split_once(':') else {
            return Err(format!("header line `{}` has no `:`", truncate(&text)));
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value.split_whitespace().next().unwrap_or("");
            match code.parse::<u16>() {
                Ok(c) if (100..=999).contains(&c) => status = Some(c),
                _ => return Err(format!("bad status `{}`", truncate(value))),
            }
            continue;
        }
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("bad header name `{}`", truncate(name)))?;
        let value =
            HeaderValue::from_str(value).map_err(|_| format!("bad value of header `{name}`"))?;
        if !server_owned(&name) {
            headers.push((name, value));
        }
    }
    let redirect = headers.iter().any(|(n, _)| n == hyper::header::LOCATION);
    Ok(Response {
        status: status.unwrap_or(if redirect { 302 } else { 200 }),
        headers,
        body: out.slice(at..),
    })
}

/// At most 60 characters of `text`, for messages.
fn truncate(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Response, String> {
        parse_response(Bytes::copy_from_slice(text.as_bytes()))
    }

    #[test]
    fn responses_parse_with_lf_or_crlf() {
        let r = parse("Content-Type: text/plain\n\nhello\n").unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.headers.len(), 1);
        assert_eq!(r.headers[0].1, "text/plain");
        assert_eq!(&r.body[..], b"hello\n");
        let r = parse("Status: 404 Not Found\r\nX-A: 1\r\nX-A: 2\r\n\r\n").unwrap();
        assert_eq!(r.status, 404);
        assert_eq!(r.headers.len(), 2);
        assert!(r.body.is_empty());
        assert_eq!(parse("Location: /x\n\n").unwrap().status, 302);
    }

    #[test]
    fn server_owned_headers_are_dropped() {
        let r =
            parse("X-Gas-Used: 0\nContent-Length: 99\nConnection: close\nX-Ok: y\n\nb").unwrap();
        assert_eq!(r.headers.len(), 1);
        assert_eq!(r.headers[0].0, "x-ok");
    }

    #[test]
    fn malformed_responses_say_why() {
        assert!(parse("").unwrap_err().contains("wrote nothing"));
        assert_eq!(
            parse("hello").unwrap_err(),
            "no blank line after the headers"
        );
        assert!(parse("hello\n\n").unwrap_err().contains("has no `:`"));
        assert!(parse("Status: abc\n\n").unwrap_err().contains("bad status"));
        assert!(parse("Status: 42\n\n").unwrap_err().contains("bad status"));
        assert!(parse("Bad Name: x\n\n")
            .unwrap_err()
            .contains("bad header name"));
        assert!(parse(&"X: y\n".repeat(101))
            .unwrap_err()
            .contains("more than 100"));
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("/a%20b/%2F").as_deref(), Some("/a b//"));
        assert_eq!(percent_decode("/%zz%4").as_deref(), Some("/%zz%4"));
        assert_eq!(percent_decode("/%ff"), None);
    }

    #[test]
    fn environment_has_the_cgi_variables_and_sorted_headers() {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("example.test:8080"));
        headers.insert("x-b", HeaderValue::from_static("2"));
        headers.append("accept", HeaderValue::from_static("a"));
        headers.append("accept", HeaderValue::from_static("b"));
        headers.insert("content-type", HeaderValue::from_static("text/plain"));
        let req = Request {
            method: "POST",
            uri: "/fn/x%20y?q=1",
            script_name: "/fn",
            path_info: "/x%20y",
            query: "q=1",
            headers: &headers,
            body_len: 5,
            local: "127.0.0.1:8080".parse().unwrap(),
            remote: "127.0.0.1:5000".parse().unwrap(),
        };
        let env = environment(&req, &[("MINE".into(), "1".into())]).unwrap();
        let get = |n: &str| env.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(env[0], ("MINE".to_string(), "1".to_string()));
        assert_eq!(get("PATH_INFO"), Some("/x y"));
        assert_eq!(get("SERVER_NAME"), Some("example.test"));
        assert_eq!(get("SERVER_PORT"), Some("8080"));
        assert_eq!(get("CONTENT_LENGTH"), Some("5"));
        assert_eq!(get("CONTENT_TYPE"), Some("text/plain"));
        assert_eq!(get("HTTP_ACCEPT"), Some("a, b"));
        assert_eq!(get("HTTP_CONTENT_TYPE"), None);
        let http: Vec<&str> = env
            .iter()
            .filter(|(k, _)| k.starts_with("HTTP_"))
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(http, ["HTTP_ACCEPT", "HTTP_HOST", "HTTP_X_B"]);
        for name in SERVER_VARIABLES {
            if name != "CONTENT_TYPE" && name != "CONTENT_LENGTH" {
                assert!(get(name).is_some(), "{name}");
            }
        }
    }
}
