//! TLS material for the test clusters, generated with the `openssl` command-line tool.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Common name of the test CA that signs the server and client certificates.
pub const CA_CN: &str = "scsctl test CA";
/// Common name of the unrelated second CA (for "wrong CA" tests).
pub const OTHER_CA_CN: &str = "scsctl other CA";
/// Common name (and only SAN, `DNS:localhost`) of the server certificate.
pub const SERVER_CN: &str = "localhost";
/// Common name of the client certificate; the cluster has a LOGIN role of that name that
/// authenticates with `cert` over TLS on 127.0.0.1.
pub const CLIENT_CN: &str = "scsctl_cert";

/// Paths of the generated TLS files. All keys are mode 0600; all are PEM.
///
/// The server certificate is for `localhost` only (SAN `DNS:localhost`, no IP SAN), so
/// `sslmode=verify-full` passes with `host=localhost` and fails with `host=127.0.0.1`,
/// while `sslmode=verify-ca` passes with both.
#[derive(Debug, Clone)]
pub struct Certs {
    /// Directory holding all files.
    pub dir: PathBuf,
    /// Certificate of the CA (CN "scsctl test CA") that signed the server and client certs;
    /// also the server's `ssl_ca_file`.
    pub ca_cert: PathBuf,
    /// Private key of that CA (ECDSA P-256, PKCS#8), for tests that want to sign more
    /// certificates.
    pub ca_key: PathBuf,
    /// Server certificate (CN "localhost", SAN DNS:localhost only).
    pub server_cert: PathBuf,
    /// Server private key (ECDSA P-256) as given to the server (owned by the server's OS
    /// user).
    pub server_key: PathBuf,
    /// Client certificate (CN "scsctl_cert") signed by the CA.
    pub client_cert: PathBuf,
    /// The client key in PKCS#8 form (`-----BEGIN PRIVATE KEY-----`).
    pub client_key_pkcs8: PathBuf,
    /// The same client key in traditional RSA form (`-----BEGIN RSA PRIVATE KEY-----`).
    pub client_key_traditional: PathBuf,
    /// Certificate of an unrelated CA (CN "scsctl other CA") that signed nothing we use.
    pub other_ca_cert: PathBuf,
    /// The role name in the client certificate (`scsctl_cert`).
    pub cert_user: String,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .env_remove("OPENSSL_CONF")
        .output()
        .unwrap_or_else(|e| panic!("cannot run openssl (is it installed?): {e}"));
    if !out.status.success() {
        panic!(
            "openssl {} failed ({}):\n{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}

impl Certs {
    /// Generates a fresh set of certificates in `dir` (created if needed). `server_owner`
    /// is the (uid, gid) the server key must belong to (the `postgres` OS user when the
    /// tests run as root), or None to leave it owned by the current user.
    pub fn generate(dir: &Path, server_owner: Option<(u32, u32)>) -> Certs {
        fs::create_dir_all(dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
        chmod(dir, 0o755);
        let ext_ca = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n";
        let ext_server = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";
        let ext_client = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";
        fs::write(dir.join("ca.ext"), ext_ca).unwrap();
        fs::write(dir.join("server.ext"), ext_server).unwrap();
        fs::write(dir.join("client.ext"), ext_client).unwrap();

        // Two self-signed CAs and the server key use ECDSA P-256 (fast to generate); the
        // client key is RSA because it is also wanted in the traditional RSA PEM form.
        for (name, cn) in [("ca", CA_CN), ("other-ca", OTHER_CA_CN)] {
            let key = format!("{name}.key");
            let csr = format!("{name}.csr");
            let crt = format!("{name}.crt");
            openssl(
                dir,
                &[
                    "genpkey",
                    "-algorithm",
                    "EC",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                    "-out",
                    &key,
                ],
            );
            openssl(
                dir,
                &[
                    "req",
                    "-new",
                    "-key",
                    &key,
                    "-subj",
                    &format!("/CN={cn}"),
                    "-out",
                    &csr,
                ],
            );
            openssl(
                dir,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &csr,
                    "-signkey",
                    &key,
                    "-days",
                    "3650",
                    "-sha256",
                    "-set_serial",
                    &format!("0x{}", super::random_hex(8)),
                    "-extfile",
                    "ca.ext",
                    "-out",
                    &crt,
                ],
            );
        }

        // Server certificate, signed by the CA.
        openssl(
            dir,
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                "server.key",
            ],
        );
        openssl(
            dir,
            &[
                "req",
                "-new",
                "-key",
                "server.key",
                "-subj",
                &format!("/CN={SERVER_CN}"),
                "-out",
                "server.csr",
            ],
        );
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-days",
                "3650",
                "-sha256",
                "-set_serial",
                &format!("0x{}", super::random_hex(8)),
                "-extfile",
                "server.ext",
                "-out",
                "server.crt",
            ],
        );

        // Client certificate: traditional RSA key first, then the PKCS#8 form of the same key.
        openssl(
            dir,
            &["genrsa", "-traditional", "-out", "client.rsa.key", "2048"],
        );
        openssl(
            dir,
            &[
                "pkcs8",
                "-topk8",
                "-nocrypt",
                "-in",
                "client.rsa.key",
                "-out",
                "client.key",
            ],
        );
        openssl(
            dir,
            &[
                "req",
                "-new",
                "-key",
                "client.key",
                "-subj",
                &format!("/CN={CLIENT_CN}"),
                "-out",
                "client.csr",
            ],
        );
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                "client.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-days",
                "3650",
                "-sha256",
                "-set_serial",
                &format!("0x{}", super::random_hex(8)),
                "-extfile",
                "client.ext",
                "-out",
                "client.crt",
            ],
        );

        for f in [
            "ca.key",
            "other-ca.key",
            "server.key",
            "client.key",
            "client.rsa.key",
        ] {
            chmod(&dir.join(f), 0o600);
        }
        for f in ["ca.crt", "other-ca.crt", "server.crt", "client.crt"] {
            chmod(&dir.join(f), 0o644);
        }
        if let Some((uid, gid)) = server_owner {
            std::os::unix::fs::chown(dir.join("server.key"), Some(uid), Some(gid))
                .unwrap_or_else(|e| panic!("chown server.key: {e}"));
        }
        for f in ["ca.csr", "other-ca.csr", "server.csr", "client.csr"] {
            let _ = fs::remove_file(dir.join(f));
        }

        let certs = Certs {
            dir: dir.to_path_buf(),
            ca_cert: dir.join("ca.crt"),
            ca_key: dir.join("ca.key"),
            server_cert: dir.join("server.crt"),
            server_key: dir.join("server.key"),
            client_cert: dir.join("client.crt"),
            client_key_pkcs8: dir.join("client.key"),
            client_key_traditional: dir.join("client.rsa.key"),
            other_ca_cert: dir.join("other-ca.crt"),
            cert_user: CLIENT_CN.to_string(),
        };
        certs.check();
        certs
    }

    /// Sanity checks the PEM headers the tests rely on.
    fn check(&self) {
        let head = |p: &Path| fs::read_to_string(p).unwrap_or_default();
        assert!(head(&self.client_key_pkcs8).starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(head(&self.client_key_traditional).starts_with("-----BEGIN RSA PRIVATE KEY-----"));
        assert!(head(&self.ca_cert).starts_with("-----BEGIN CERTIFICATE-----"));
    }
}
