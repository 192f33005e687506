//! TLS for `wss://` targets, with rustls (ring as the crypto provider, chosen
//! explicitly so the build never depends on which providers other crates enable).
//!
//! By default the server's certificate must chain to the Mozilla roots bundled
//! by `webpki-roots` (no system store is read, so results do not depend on the
//! machine). `--insecure` accepts any certificate, for self-signed test servers;
//! the handshake signatures are still verified, so only the identity check is off.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{
    CryptoProvider, WebPkiSupportedAlgorithms, ring, verify_tls12_signature, verify_tls13_signature,
};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};

/// A server configuration from a PEM certificate chain and a PEM private key
/// (`wirecheck proxy --listen-tls`), offering ALPN `http/1.1`. The error names
/// the file and what was wrong with it, in one line.
pub fn server_config_from_pem(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<Arc<rustls::ServerConfig>, String> {
    server_config_with_alpn(cert, key, &[b"http/1.1"])
}

/// [`server_config_from_pem`] choosing among `alpn`, in the server's order of
/// preference (RFC 7301 §3.2: the server selects).
pub fn server_config_with_alpn(
    cert: &std::path::Path,
    key: &std::path::Path,
    alpn: &[&[u8]],
) -> Result<Arc<rustls::ServerConfig>, String> {
    use rustls::pki_types::PrivateKeyDer;
    use rustls::pki_types::pem::PemObject;
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: not a PEM certificate chain: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: no certificate in it", cert.display()));
    }
    let private = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("{}: not a PEM private key: {e}", key.display()))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS configuration: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|e| format!("{} and {}: {e}", cert.display(), key.display()))?;
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

/// TLS for a reference server (`wirecheck serve ws|sse --tls CERT KEY`): its
/// configuration, compared by identity so the server configurations holding
/// it stay comparable.
#[derive(Clone)]
pub struct ServerTls(pub Arc<rustls::ServerConfig>);

impl ServerTls {
    /// From PEM files, offering ALPN `h2` then `http/1.1` (RFC 9113 §3.2).
    pub fn from_pem(cert: &std::path::Path, key: &std::path::Path) -> Result<ServerTls, String> {
        server_config_with_alpn(cert, key, &[b"h2", b"http/1.1"]).map(ServerTls)
    }
}

impl PartialEq for ServerTls {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for ServerTls {}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ServerTls(alpn {:?})", self.0.alpn_protocols)
    }
}

/// A client configuration: verifying against the bundled roots, or (`insecure`)
/// accepting any certificate. ALPN offers `http/1.1`, the protocol of the upgrade.
pub fn client_config(insecure: bool) -> Result<Arc<ClientConfig>, Error> {
    let provider = Arc::new(ring::default_provider());
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()?;
    let mut config = if insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(
                provider.signature_verification_algorithms,
            )))
            .with_no_client_auth()
    } else {
        let roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// `--insecure`: any certificate is accepted; signatures are still checked.
#[derive(Debug)]
struct AcceptAnyCertificate(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

/// The provider in use (for tests that build a matching server).
pub fn provider() -> CryptoProvider {
    ring::default_provider()
}
