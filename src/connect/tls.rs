//! The TLS connector for one sslmode: what to verify, which roots, which client certificate;
//! and the conversion of traditional PEM keys to PKCS#8.
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

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::PKey;
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
        let key = pkcs8_pem(&key).map_err(|e| {
            format!(
                "cannot use private key file \"{}\": {e}",
                key_path.display()
            )
        })?;
        let identity = || -> Result<(Vec<X509>, PKey<_>), String> {
            let pkey = PKey::private_key_from_pem(&key).map_err(|e| e.to_string())?;
            let chain = X509::stack_from_pem(&cert).map_err(|e| e.to_string())?;
            if chain.is_empty() {
                return Err(
                    "At least one certificate must be provided to create an identity".into(),
                );
            }
            Ok((chain, pkey))
        };
        let (chain, pkey) = identity().map_err(|e| {
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

/// A failed TLS handshake, shown as native-tls shows it: OpenSSL's error, then the
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

/// One PEM block: its label, whether its headers say it is encrypted, and its DER bytes.
struct Block {
    label: String,
    encrypted: bool,
    der: Vec<u8>,
}

fn pem_blocks(text: &str) -> Result<Vec<Block>, String> {
    let mut blocks = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut body = String::new();
        let mut encrypted = false;
        let mut closed = false;
        for line in lines.by_ref() {
            if line == end {
                closed = true;
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                encrypted |= name.trim() == "Proc-Type" && value.contains("ENCRYPTED");
            } else {
                body.push_str(line);
            }
        }
        if !closed {
            return Err(format!("the PEM block \"{label}\" has no END line"));
        }
        let der = STANDARD
            .decode(body.as_bytes())
            .map_err(|e| format!("the PEM block \"{label}\" is not valid base64: {e}"))?;
        blocks.push(Block {
            label: label.to_owned(),
            encrypted,
            der,
        });
    }
    Ok(blocks)
}

const CONVERT: &str = "convert it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8";

/// The private key of a PEM file as a PKCS#8 PEM (`BEGIN PRIVATE KEY`), converting PKCS#1
/// RSA and SEC1 EC keys.
pub fn pkcs8_pem(pem: &[u8]) -> Result<Vec<u8>, String> {
    let text = std::str::from_utf8(pem).map_err(|_| "the key is not a PEM file".to_owned())?;
    let blocks = pem_blocks(text)?;
    let Some(block) = blocks.iter().find(|b| b.label.ends_with("PRIVATE KEY")) else {
        return Err("no PEM private key found (expected BEGIN PRIVATE KEY, BEGIN RSA PRIVATE KEY or BEGIN EC PRIVATE KEY)".into());
    };
    if block.encrypted || block.label == "ENCRYPTED PRIVATE KEY" {
        return Err(format!(
            "the key is encrypted, which is not supported; decrypt and {CONVERT}"
        ));
    }
    let der = match block.label.as_str() {
        "PRIVATE KEY" => block.der.clone(),
        "RSA PRIVATE KEY" => wrap_pkcs8(RSA_ALGORITHM, &block.der),
        "EC PRIVATE KEY" => {
            let curve = sec1_curve(&block.der)
                .ok_or_else(|| format!("the EC key does not name its curve; {CONVERT}"))?;
            let algorithm = [EC_PUBLIC_KEY_OID, curve].concat();
            wrap_pkcs8(&tlv(0x30, &algorithm), &block.der)
        }
        other => return Err(format!("unsupported key type \"{other}\"; {CONVERT}")),
    };
    Ok(to_pem("PRIVATE KEY", &der).into_bytes())
}

/// AlgorithmIdentifier { rsaEncryption, NULL }.
const RSA_ALGORITHM: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];
/// OID id-ecPublicKey (1.2.840.10045.2.1), encoded.
const EC_PUBLIC_KEY_OID: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];

/// PrivateKeyInfo ::= SEQUENCE { INTEGER 0, AlgorithmIdentifier, OCTET STRING key }.
fn wrap_pkcs8(algorithm: &[u8], key: &[u8]) -> Vec<u8> {
    let body = [&[0x02, 0x01, 0x00][..], algorithm, &tlv(0x04, key)].concat();
    tlv(0x30, &body)
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// Reads one DER TLV: (tag, content, rest).
fn read_tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The named-curve OID (full TLV) of a SEC1 `ECPrivateKey`: the `[0]` parameters field.
fn sec1_curve(der: &[u8]) -> Option<&[u8]> {
    let (0x30, mut body, _) = read_tlv(der)? else {
        return None;
    };
    while !body.is_empty() {
        let (tag, content, rest) = read_tlv(body)?;
        if tag == 0xa0 {
            let (0x06, _, _) = read_tlv(content)? else {
                return None;
            };
            return Some(content);
        }
        body = rest;
    }
    None
}

fn to_pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use native_tls::Identity;
    use std::process::Command;

    /// A temporary directory with keys made by the openssl CLI.
    struct Keys {
        dir: PathBuf,
    }

    impl Keys {
        fn new(tag: &str) -> Keys {
            let dir = std::env::temp_dir().join(format!("scsctl-tls-{tag}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            Keys { dir }
        }

        fn openssl(&self, args: &[&str]) {
            let status = Command::new("openssl")
                .args(args)
                .current_dir(&self.dir)
                .output()
                .expect("openssl CLI");
            assert!(status.status.success(), "openssl {args:?}: {status:?}");
        }

        fn read(&self, name: &str) -> Vec<u8> {
            std::fs::read(self.dir.join(name)).unwrap()
        }

        /// The key's public half, as openssl prints it, to compare two encodings of one key.
        fn public(&self, name: &str) -> Vec<u8> {
            let out = Command::new("openssl")
                .args(["pkey", "-pubout", "-in", name])
                .current_dir(&self.dir)
                .output()
                .unwrap();
            assert!(out.status.success(), "{out:?}");
            out.stdout
        }
    }

    impl Drop for Keys {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    fn self_signed(keys: &Keys, key: &str) {
        keys.openssl(&[
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
    }

    #[test]
    fn rsa_traditional_key_becomes_pkcs8() {
        let keys = Keys::new("rsa");
        keys.openssl(&["genrsa", "-traditional", "-out", "rsa.key", "2048"]);
        assert!(
            keys.read("rsa.key")
                .starts_with(b"-----BEGIN RSA PRIVATE KEY-----")
        );
        let converted = pkcs8_pem(&keys.read("rsa.key")).unwrap();
        assert!(converted.starts_with(b"-----BEGIN PRIVATE KEY-----"));
        std::fs::write(keys.dir.join("rsa.pk8"), &converted).unwrap();
        keys.openssl(&[
            "pkcs8", "-topk8", "-nocrypt", "-in", "rsa.key", "-out", "ref.pk8",
        ]);
        assert_eq!(converted, keys.read("ref.pk8"));
        self_signed(&keys, "rsa.key");
        Identity::from_pkcs8(&keys.read("cert.pem"), &converted).unwrap();
    }

    #[test]
    fn ec_traditional_key_becomes_pkcs8() {
        let keys = Keys::new("ec");
        keys.openssl(&[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-out",
            "ec.key",
        ]);
        let original = keys.read("ec.key");
        assert!(String::from_utf8_lossy(&original).contains("BEGIN EC PRIVATE KEY"));
        let converted = pkcs8_pem(&original).unwrap();
        assert!(converted.starts_with(b"-----BEGIN PRIVATE KEY-----"));
        std::fs::write(keys.dir.join("ec.pk8"), &converted).unwrap();
        assert_eq!(keys.public("ec.key"), keys.public("ec.pk8"));
        self_signed(&keys, "ec.key");
        Identity::from_pkcs8(&keys.read("cert.pem"), &converted).unwrap();
    }

    #[test]
    fn pkcs8_key_passes_through() {
        let keys = Keys::new("pk8");
        keys.openssl(&["genpkey", "-algorithm", "ed25519", "-out", "k.pem"]);
        let original = keys.read("k.pem");
        assert_eq!(pkcs8_pem(&original).unwrap(), original);
    }

    #[test]
    fn unusable_keys_say_what_to_run() {
        let err = pkcs8_pem(
            b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
        )
        .unwrap_err();
        assert!(err.contains("openssl pkcs8 -topk8 -nocrypt"), "{err}");
        let err = pkcs8_pem(b"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n").unwrap_err();
        assert!(err.contains("encrypted"), "{err}");
        let err =
            pkcs8_pem(b"-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----\n")
                .unwrap_err();
        assert!(err.contains("curve"), "{err}");
        let err = pkcs8_pem(b"not a key").unwrap_err();
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
    fn private_keys_others_can_read_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let keys = Keys::new("perm");
        keys.openssl(&["genpkey", "-algorithm", "ed25519", "-out", "k.pem"]);
        keys.openssl(&[
            "req",
            "-new",
            "-x509",
            "-key",
            "k.pem",
            "-out",
            "cert.pem",
            "-days",
            "1",
            "-subj",
            "/CN=scsctl-test",
        ]);
        let key = keys.dir.join("k.pem");
        let settings = Settings {
            verify: Verify::Nothing,
            roots: None,
            client: Some((keys.dir.join("cert.pem"), key.clone())),
        };
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = connector(&settings).err().unwrap();
        assert!(err.contains("has group or world access"), "{err}");
        assert!(err.contains(&key.display().to_string()), "{err}");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(connector(&settings).is_ok());
    }

    #[test]
    fn long_lengths_encode() {
        let content = vec![7u8; 300];
        let encoded = tlv(0x04, &content);
        assert_eq!(&encoded[..4], &[0x04, 0x82, 0x01, 0x2c]);
        let (tag, body, rest) = read_tlv(&encoded).unwrap();
        assert_eq!((tag, body.len(), rest.len()), (0x04, 300, 0));
    }
}
