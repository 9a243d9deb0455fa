//! The native-tls connector for one sslmode: what to verify, which roots, which client
//! certificate; and the conversion of traditional PEM keys to the PKCS#8 native-tls takes.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use native_tls::{Certificate, Identity, TlsConnector};
use postgres_native_tls::MakeTlsConnector;

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
    let mut builder = TlsConnector::builder();
    match settings.verify {
        Verify::Nothing => {
            builder.danger_accept_invalid_certs(true);
            builder.danger_accept_invalid_hostnames(true);
        }
        Verify::Chain => {
            builder.danger_accept_invalid_hostnames(true);
        }
        Verify::Full => {}
    }
    if settings.verify != Verify::Nothing
        && let Some(Roots::File(path)) = &settings.roots
    {
        builder.disable_built_in_roots(true);
        let pem = read(path, "root certificate")?;
        let certs = Certificate::stack_from_pem(&pem).map_err(|e| {
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
            builder.add_root_certificate(cert);
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
        let identity = Identity::from_pkcs8(&cert, &key).map_err(|e| {
            format!(
                "cannot load client certificate \"{}\" with key \"{}\": {e}",
                cert_path.display(),
                key_path.display()
            )
        })?;
        builder.identity(identity);
    }
    let connector = builder
        .build()
        .map_err(|e| format!("cannot set up TLS: {e}"))?;
    Ok(MakeTlsConnector::new(connector))
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
