//! What both runners need to reach a server: parse its URL into a [`Target`] and
//! open a TCP connection, with TLS over it for `wss://` and `https://` (rustls, see
//! [`crate::tls`]).

use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// A connection to the server: TCP, or TLS over TCP.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A connection as the runners hold it.
pub type Stream = Box<dyn Io>;

/// Where to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Host name or address to connect to.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// The request target (path and query), e.g. `/`.
    pub path: String,
    /// The value of the `Host` header.
    pub host_header: String,
    /// TLS over the TCP connection (`wss://`, `https://`).
    pub tls: bool,
}

impl Target {
    /// Parse `<plain>://host[:port][/path]` or `<secure>://…` (`ws`/`wss`,
    /// `http`/`https`). User info and fragments are refused.
    pub fn parse_with(url: &str, plain: &str, secure: &str) -> Result<Target, String> {
        let strip = |scheme: &str| {
            url.get(..scheme.len() + 3)
                .filter(|p| p.eq_ignore_ascii_case(&format!("{scheme}://")))
                .map(|_| &url[scheme.len() + 3..])
        };
        let (tls, rest) = if let Some(rest) = strip(plain) {
            (false, rest)
        } else if let Some(rest) = strip(secure) {
            (true, rest)
        } else {
            return Err(format!(
                "unsupported URL {url:?}: expected {plain}://host[:port]/path or {secure}://host[:port]/path"
            ));
        };
        if rest.contains('#') {
            return Err(format!("invalid URL {url:?}: a fragment is not allowed"));
        }
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_owned()),
            Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
            None => (rest, "/".to_owned()),
        };
        if authority.is_empty() || authority.contains('@') {
            return Err(format!(
                "invalid URL {url:?}: no host, or user info (not allowed here)"
            ));
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let end = v6
                .find(']')
                .ok_or_else(|| format!("invalid URL {url:?}: unclosed IPv6 literal"))?;
            let port = &v6[end + 1..];
            (v6[..end].to_owned(), port.strip_prefix(':').unwrap_or(""))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_owned(), p),
                None => (authority.to_owned(), ""),
            }
        };
        let port = if port.is_empty() {
            if tls { 443 } else { 80 }
        } else {
            port.parse()
                .map_err(|_| format!("invalid port in URL {url:?}"))?
        };
        if host.is_empty() {
            return Err(format!("invalid URL {url:?}: empty host"));
        }
        if path.bytes().any(|b| b <= b' ' || b == 0x7F) {
            return Err(format!(
                "invalid URL {url:?}: spaces or control characters in the path"
            ));
        }
        Ok(Target {
            host,
            port,
            path,
            host_header: authority.to_owned(),
            tls,
        })
    }

    /// Parse a `ws://host[:port][/path]` or `wss://…` URL.
    pub fn parse(url: &str) -> Result<Target, String> {
        Self::parse_with(url, "ws", "wss")
    }

    /// Parse an `http://host[:port][/path]` or `https://…` URL.
    pub fn parse_http(url: &str) -> Result<Target, String> {
        Self::parse_with(url, "http", "https")
    }

    /// The target as an `http://` or `https://` URL.
    pub fn http_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}{}", self.host_header, self.path)
    }

    /// Same scheme, host and port (RFC 6454 §5; host names compare without case).
    pub fn same_origin(&self, other: &Target) -> bool {
        self.tls == other.tls
            && self.port == other.port
            && self.host.eq_ignore_ascii_case(&other.host)
    }
}

/// The HTTP version a run speaks (`--http`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Http {
    /// HTTP/1.1 (RFC 9112): the WebSocket Upgrade of RFC 6455 §4.
    #[default]
    #[value(name = "1.1")]
    V1_1,
    /// HTTP/2 (RFC 9113): prior knowledge over cleartext, ALPN `h2` over TLS;
    /// WebSockets by RFC 8441's extended CONNECT.
    #[value(name = "2")]
    V2,
}

impl Http {
    /// As reports and `--format json` show it: `1.1` or `2`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Http::V1_1 => "1.1",
            Http::V2 => "2",
        }
    }
}

/// Open TCP to the target, and TLS over it when the target asks for it. `tls`
/// overrides the default configuration (certificates checked against the bundled
/// roots). The caller bounds the time this takes.
pub async fn connect(
    target: &Target,
    tls: Option<&Arc<rustls::ClientConfig>>,
) -> Result<Stream, String> {
    connect_as(target, tls, Http::V1_1).await
}

/// [`connect`] for `http`: over TLS, ALPN offers only that version's token
/// (`http/1.1` or `h2`), and for HTTP/2 a server that does not choose `h2`
/// is an error (RFC 9113 §3.2: "h2" is chosen by ALPN, nothing else).
pub async fn connect_as(
    target: &Target,
    tls: Option<&Arc<rustls::ClientConfig>>,
    http: Http,
) -> Result<Stream, String> {
    let tcp = TcpStream::connect((target.host.as_str(), target.port))
        .await
        .map_err(|e| format!("cannot connect to {}:{}: {e}", target.host, target.port))?;
    let _ = tcp.set_nodelay(true);
    if !target.tls {
        return Ok(Box::new(tcp));
    }
    let mut config = match tls {
        Some(c) => Arc::clone(c),
        None => crate::tls::client_config(false).map_err(|e| format!("TLS configuration: {e}"))?,
    };
    if http == Http::V2 {
        let mut h2 = (*config).clone();
        h2.alpn_protocols = vec![b"h2".to_vec()];
        config = Arc::new(h2);
    }
    let name = rustls::pki_types::ServerName::try_from(target.host.clone())
        .map_err(|e| format!("{:?} is not a valid TLS server name: {e}", target.host))?;
    let tls_stream = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|e| {
            // RFC 7301 §3.2: a server that speaks none of the offered
            // protocols answers with the no_application_protocol alert.
            let no_protocol = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                .is_some_and(|r| {
                    matches!(
                        r,
                        rustls::Error::AlertReceived(rustls::AlertDescription::NoApplicationProtocol)
                    )
                });
            if http == Http::V2 && no_protocol {
                format!(
                    "{}:{} did not choose HTTP/2 by ALPN (it was offered \"h2\" only, and refused the TLS handshake with no_application_protocol): it does not speak HTTP/2 over TLS",
                    target.host, target.port
                )
            } else {
                format!(
                    "TLS handshake with {}:{} failed: {e}",
                    target.host, target.port
                )
            }
        })?;
    if http == Http::V2 && tls_stream.get_ref().1.alpn_protocol() != Some(b"h2") {
        return Err(format!(
            "{}:{} did not choose HTTP/2 by ALPN (it was offered \"h2\" only): it does not speak HTTP/2 over TLS",
            target.host, target.port
        ));
    }
    Ok(Box::new(tls_stream))
}
