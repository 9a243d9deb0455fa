//! The TLS connector for one sslmode: what to verify, which roots, which client certificate.
//!
//! The connector is OpenSSL's, set up directly rather than through native-tls: native-tls
//! always parses the system's whole CA bundle (twice, on Debian), some 90 ms of CPU with
//! OpenSSL 3, even for `sslmode=require`, which verifies nothing. Like libpq, this loads the
//! system's roots only for `sslrootcert=system`.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{
    Ssl, SslContext, SslContextBuilder, SslMethod, SslMode, SslOptions, SslRef, SslVerifyMode,
};
use openssl::x509::verify::X509CheckFlags;
use openssl::x509::{X509, X509VerifyResult};
use postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// How much of the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verify {
    /// Nothing: encryption only (`allow`, `prefer`, `require`).
    Nothing,
    /// The chain, against the root certificates, but not the host name (`verify-ca`).
    Chain,
    /// The chain and the host name (`verify-full`).
    Full,
}

/// Where trusted root certificates come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Roots {
    /// A PEM file of one or more certificates; the system's roots are not used.
    File(PathBuf),
    /// The system's trusted roots (`sslrootcert=system`).
    System,
}

/// Everything needed to build the connector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// What to verify.
    pub verify: Verify,
    /// Trusted roots, when verifying.
    pub roots: Option<Roots>,
    /// Client certificate and key files.
    pub client: Option<(PathBuf, PathBuf)>,
}

/// Builds the connector. The error is a complete sentence naming the file at fault.
pub fn connector(settings: &Settings) -> Result<MakeTlsConnector, String> {
    let setup = |e: ErrorStack| format!("cannot set up TLS: {e}");
    let mut builder = SslContext::builder(SslMethod::tls_client()).map_err(setup)?;
    // What openssl's SslConnector::builder sets, except the default verify paths (the system
    // CA bundle, parsed eagerly).
    let mut options =
        SslOptions::ALL | SslOptions::NO_COMPRESSION | SslOptions::NO_SSLV2 | SslOptions::NO_SSLV3;
    options &= !SslOptions::DONT_INSERT_EMPTY_FRAGMENTS;
    builder.set_options(options);
    builder.set_mode(
        SslMode::AUTO_RETRY | SslMode::ACCEPT_MOVING_WRITE_BUFFER | SslMode::ENABLE_PARTIAL_WRITE,
    );
    builder
        .set_cipher_list("DEFAULT:!aNULL:!eNULL:!MD5:!3DES:!DES:!RC4:!IDEA:!SEED:!aDSS:!SRP:!PSK")
        .map_err(setup)?;
    builder.set_verify(match settings.verify {
        Verify::Nothing => SslVerifyMode::NONE,
        Verify::Chain | Verify::Full => SslVerifyMode::PEER,
    });
    if settings.verify != Verify::Nothing {
        match &settings.roots {
            Some(Roots::File(path)) => load_roots(&mut builder, path)?,
            Some(Roots::System) => builder.set_default_verify_paths().map_err(setup)?,
            None => {}
        }
    }
    if let Some((cert_path, key_path)) = &settings.client {
        let cert = read(cert_path, "client certificate")?;
        check_key_permissions(key_path)?;
        let key = read(key_path, "private key")?;
        let pkey = private_key(&key).map_err(|e| {
            format!(
                "cannot use private key file \"{}\": {e}",
                key_path.display()
            )
        })?;
        let chain = X509::stack_from_pem(&cert)
            .map_err(|e| e.to_string())
            .and_then(|chain| {
                if chain.is_empty() {
                    Err("the file holds no PEM certificate".into())
                } else {
                    Ok(chain)
                }
            })
            .map_err(|e| {
                format!(
                    "cannot load client certificate \"{}\" with key \"{}\": {e}",
                    cert_path.display(),
                    key_path.display()
                )
            })?;
        let mut chain = chain.into_iter();
        if let Some(leaf) = chain.next() {
            builder.set_certificate(&leaf).map_err(setup)?;
        }
        builder.set_private_key(&pkey).map_err(setup)?;
        for extra in chain {
            builder.add_extra_chain_cert(extra).map_err(setup)?;
        }
    }
    Ok(MakeTlsConnector {
        context: builder.build(),
        verify: settings.verify,
    })
}

fn load_roots(builder: &mut SslContextBuilder, path: &Path) -> Result<(), String> {
    let pem = read(path, "root certificate")?;
    let certs = X509::stack_from_pem(&pem).map_err(|e| {
        format!(
            "cannot load root certificate file \"{}\": {e}",
            path.display()
        )
    })?;
    if certs.is_empty() {
        return Err(format!(
            "root certificate file \"{}\" holds no PEM certificate",
            path.display()
        ));
    }
    for cert in certs {
        // A certificate listed twice is not an error.
        let _ = builder.cert_store_mut().add_cert(cert);
    }
    Ok(())
}

/// Makes the driver's TLS connections: an OpenSSL context set up for one sslmode.
#[derive(Clone)]
pub struct MakeTlsConnector {
    context: SslContext,
    verify: Verify,
}

impl<S> MakeTlsConnect<S> for MakeTlsConnector
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = TlsStream<S>;
    type TlsConnect = TlsConnector;
    type Error = ErrorStack;

    fn make_tls_connect(&mut self, domain: &str) -> Result<TlsConnector, ErrorStack> {
        let mut ssl = Ssl::new(&self.context)?;
        let ip = domain.parse::<IpAddr>().ok();
        if ip.is_none() {
            ssl.set_hostname(domain)?; // SNI, as libpq sends it
        }
        if self.verify == Verify::Full {
            let param = ssl.param_mut();
            param.set_hostflags(X509CheckFlags::NO_PARTIAL_WILDCARDS);
            match ip {
                Some(ip) => param.set_ip(ip)?,
                None => param.set_host(domain)?,
            }
        }
        Ok(TlsConnector { ssl })
    }
}

/// One TLS handshake to make.
pub struct TlsConnector {
    ssl: Ssl,
}

impl<S> TlsConnect<S> for TlsConnector
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = TlsStream<S>;
    type Error = Box<dyn std::error::Error + Send + Sync>;
    #[allow(clippy::type_complexity)]
    type Future = Pin<Box<dyn Future<Output = Result<TlsStream<S>, Self::Error>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        Box::pin(async move {
            let mut stream = tokio_openssl::SslStream::new(self.ssl, stream)?;
            match Pin::new(&mut stream).connect().await {
                Ok(()) => Ok(TlsStream(stream)),
                Err(error) => Err(Box::new(HandshakeError {
                    error,
                    verify_result: stream.ssl().verify_result(),
                }) as _),
            }
        })
    }
}

/// A failed TLS handshake: OpenSSL's error, then the
/// certificate verification result in parentheses when verification failed.
#[derive(Debug)]
pub struct HandshakeError {
    error: openssl::ssl::Error,
    verify_result: X509VerifyResult,
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.verify_result == X509VerifyResult::OK {
            write!(f, "{}", self.error)
        } else {
            write!(f, "{} ({})", self.error, self.verify_result)
        }
    }
}

impl std::error::Error for HandshakeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// An encrypted connection.
pub struct TlsStream<S>(tokio_openssl::SslStream<S>);

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> postgres::tls::TlsStream for TlsStream<S> {
    /// `tls-server-end-point` (RFC 5929), for SCRAM-SHA-256-PLUS.
    fn channel_binding(&self) -> ChannelBinding {
        match server_end_point(self.0.ssl()) {
            Some(hash) => ChannelBinding::tls_server_end_point(hash),
            None => ChannelBinding::none(),
        }
    }
}

/// The hash of the server certificate with its signature's digest (SHA-256 for MD5 and SHA-1).
fn server_end_point(ssl: &SslRef) -> Option<Vec<u8>> {
    let cert = ssl.peer_certificate()?;
    let nid = cert.signature_algorithm().object().nid();
    let md = match nid.signature_algorithms()?.digest {
        Nid::MD5 | Nid::SHA1 => MessageDigest::sha256(),
        nid => MessageDigest::from_nid(nid)?,
    };
    cert.digest(md).ok().map(|d| d.to_vec())
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {what} file \"{}\": {e}", path.display()))
}

/// libpq refuses a private key others may read: 0600 or less when the file is the user's
/// own, 0640 or less when root owns it.
fn check_key_permissions(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(()); // reading it says what is wrong
    };
    let euid = std::fs::metadata("/proc/self").map(|m| m.uid()).ok();
    let mode = meta.mode();
    let own_too_open = Some(meta.uid()) == euid && mode & 0o077 != 0;
    let root_too_open = meta.uid() == 0 && mode & 0o037 != 0;
    if own_too_open || root_too_open {
        return Err(format!(
            "private key file \"{}\" has group or world access; file must have permissions u=rw (0600) or less if owned by the current user, or permissions u=rw,g=r (0640) or less if owned by root",
            path.display()
        ));
    }
    Ok(())
}

/// The private key of a PEM file, in any form OpenSSL reads: PKCS#8, PKCS#1 RSA, SEC1 EC.
/// An encrypted key is refused rather than prompted for: OpenSSL asks the callback for a
/// passphrase, which answers with none.
fn private_key(pem: &[u8]) -> Result<PKey<Private>, String> {
    let mut asked = false;
    let refuse = |_: &mut [u8]| {
        asked = true;
        Ok(0)
    };
    PKey::private_key_from_pem_callback(pem, refuse).map_err(|e| {
        if asked {
            "the key is encrypted, which is not supported; decrypt it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8".to_owned()
        } else {
            format!("no PEM private key found: {e}")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// A temporary directory with keys made by the openssl CLI.
    struct Keys {
        dir: tempfile::TempDir,
    }

    impl Keys {
        fn new() -> Keys {
            Keys {
                dir: tempfile::tempdir().unwrap(),
            }
        }

        fn path(&self, name: &str) -> PathBuf {
            self.dir.path().join(name)
        }

        fn openssl(&self, args: &[&str]) {
            let status = Command::new("openssl")
                .args(args)
                .current_dir(self.dir.path())
                .output()
                .expect("openssl CLI");
            assert!(status.status.success(), "openssl {args:?}: {status:?}");
        }

        /// A self-signed certificate for `key`, and the settings that present it.
        fn client(&self, key: &str) -> Settings {
            self.openssl(&[
                "req",
                "-new",
                "-x509",
                "-key",
                key,
                "-out",
                "cert.pem",
                "-days",
                "1",
                "-subj",
                "/CN=scsctl-test",
            ]);
            Settings {
                verify: Verify::Nothing,
                roots: None,
                client: Some((self.path("cert.pem"), self.path(key))),
            }
        }
    }

    #[test]
    fn traditional_and_pkcs8_keys_are_read_as_they_are() {
        let keys = Keys::new();
        keys.openssl(&["genrsa", "-traditional", "-out", "rsa.key", "2048"]);
        let rsa = std::fs::read(keys.path("rsa.key")).unwrap();
        assert!(rsa.starts_with(b"-----BEGIN RSA PRIVATE KEY-----"));
        assert!(connector(&keys.client("rsa.key")).is_ok());
        keys.openssl(&[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-out",
            "ec.key",
        ]);
        let ec = std::fs::read_to_string(keys.path("ec.key")).unwrap();
        assert!(ec.contains("BEGIN EC PRIVATE KEY"));
        assert!(connector(&keys.client("ec.key")).is_ok());
        keys.openssl(&["genpkey", "-algorithm", "ed25519", "-out", "k.pem"]);
        assert!(connector(&keys.client("k.pem")).is_ok());
    }

    #[test]
    fn unusable_keys_say_what_is_wrong() {
        let keys = Keys::new();
        keys.openssl(&[
            "genpkey",
            "-algorithm",
            "ed25519",
            "-pass",
            "pass:secret",
            "-aes-128-cbc",
            "-out",
            "enc.pem",
        ]);
        let err = private_key(&std::fs::read(keys.path("enc.pem")).unwrap()).unwrap_err();
        assert!(err.contains("encrypted"), "{err}");
        assert!(err.contains("openssl pkcs8 -topk8 -nocrypt"), "{err}");
        keys.openssl(&["genrsa", "-traditional", "-out", "rsa.key", "2048"]);
        keys.openssl(&[
            "rsa",
            "-traditional",
            "-aes128",
            "-passout",
            "pass:secret",
            "-in",
            "rsa.key",
            "-out",
            "rsa-enc.key",
        ]);
        let err = private_key(&std::fs::read(keys.path("rsa-enc.key")).unwrap()).unwrap_err();
        assert!(err.contains("encrypted"), "{err}");
        let err = private_key(b"not a key").unwrap_err();
        assert!(err.contains("no PEM private key"), "{err}");
    }

    #[test]
    fn missing_files_are_named() {
        let settings = Settings {
            verify: Verify::Full,
            roots: Some(Roots::File("/nonexistent/root.crt".into())),
            client: None,
        };
        let err = connector(&settings).err().unwrap();
        assert!(err.contains("\"/nonexistent/root.crt\""), "{err}");
        let settings = Settings {
            verify: Verify::Nothing,
            roots: None,
            client: Some(("/nonexistent/c.crt".into(), "/nonexistent/c.key".into())),
        };
        let err = connector(&settings).err().unwrap();
        assert!(
            err.contains("client certificate file \"/nonexistent/c.crt\""),
            "{err}"
        );
    }

    #[test]
    fn a_certificate_file_without_a_certificate_is_named() {
        let keys = Keys::new();
        keys.openssl(&["genpkey", "-algorithm", "ed25519", "-out", "k.pem"]);
        let mut settings = keys.client("k.pem");
        std::fs::write(keys.path("cert.pem"), "nothing here\n").unwrap();
        settings.client = Some((keys.path("cert.pem"), keys.path("k.pem")));
        let err = connector(&settings).err().unwrap();
        assert!(err.contains("no PEM certificate"), "{err}");
    }

    #[test]
    fn private_keys_others_can_read_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let keys = Keys::new();
        keys.openssl(&["genpkey", "-algorithm", "ed25519", "-out", "k.pem"]);
        let settings = keys.client("k.pem");
        let key = keys.path("k.pem");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = connector(&settings).err().unwrap();
        assert!(err.contains("has group or world access"), "{err}");
        assert!(err.contains(&key.display().to_string()), "{err}");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(connector(&settings).is_ok());
    }
}
