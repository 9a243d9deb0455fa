//! Resolution: connection string, then environment, then defaults.

use std::net::IpAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use postgres::config::TargetSessionAttrs;

use super::conninfo::{self, Params};
use super::resolve::{Lookup, tls_settings};
use super::*;

fn env(vars: &[(&str, &str)]) -> Env {
    Env::from_vars(vars.iter().copied())
        .with_os_user("osuser")
        .with_default_socket_dir("/sock")
}

fn resolve(url: &str, vars: &[(&str, &str)]) -> Target {
    Target::resolve(Some(url), &env(vars)).unwrap_or_else(|e| panic!("{url}: {e}"))
}

fn usage(url: &str, vars: &[(&str, &str)]) -> String {
    match Target::resolve(Some(url), &env(vars)) {
        Err(Error::Usage(msg)) => msg,
        other => panic!("{url}: expected a usage error, got {other:?}"),
    }
}

fn config(target: &Target) -> &postgres::Config {
    &target.endpoints[0].config
}

fn host(target: &Target, i: usize) -> String {
    match &target.endpoints[i].config.get_hosts()[0] {
        postgres::config::Host::Tcp(h) => h.clone(),
        postgres::config::Host::Unix(p) => format!("unix:{}", p.display()),
    }
}

fn password(target: &Target, i: usize) -> Option<String> {
    target.endpoints[i]
        .config
        .get_password()
        .map(|p| String::from_utf8_lossy(p).into_owned())
}

#[test]
fn defaults() {
    let t = Target::resolve(None, &env(&[])).unwrap();
    assert_eq!(host(&t, 0), "unix:/sock");
    let c = config(&t);
    assert_eq!(c.get_ports(), &[5432]);
    assert_eq!(c.get_user(), Some("osuser"));
    assert_eq!(c.get_dbname(), Some("osuser"));
    assert_eq!(c.get_application_name(), Some("scsctl"));
    assert_eq!(c.get_connect_timeout(), Some(&Duration::from_secs(10)));
    assert_eq!(t.ssl_mode(), SslMode::Prefer);
    assert_eq!(
        t.describe(),
        "host=/sock port=5432 user=osuser dbname=osuser sslmode=prefer"
    );
    // No TLS over a socket, so no connector either.
    assert!(t.tls.is_none());
}

#[test]
fn dbname_defaults_to_the_resolved_user() {
    let t = resolve("user=app", &[]);
    assert_eq!(config(&t).get_dbname(), Some("app"));
    let t = resolve("", &[("PGUSER", "envuser")]);
    assert_eq!(config(&t).get_dbname(), Some("envuser"));
}

#[test]
fn every_pg_variable_fills_in() {
    let dir = tempdir("envfill");
    let vars = [
        ("PGHOST", "db.example.com"),
        ("PGPORT", "6543"),
        ("PGUSER", "envuser"),
        ("PGPASSWORD", "envpw"),
        ("PGDATABASE", "envdb"),
        ("PGSSLMODE", "require"),
        ("PGCONNECT_TIMEOUT", "7"),
        ("PGAPPNAME", "envapp"),
        ("PGOPTIONS", "-c work_mem=1MB"),
        ("PGTARGETSESSIONATTRS", "read-write"),
    ];
    let t = resolve("", &vars);
    let c = config(&t);
    assert_eq!(host(&t, 0), "db.example.com");
    assert_eq!(c.get_ports(), &[6543]);
    assert_eq!(c.get_user(), Some("envuser"));
    assert_eq!(password(&t, 0).as_deref(), Some("envpw"));
    assert_eq!(c.get_dbname(), Some("envdb"));
    assert_eq!(t.ssl_mode(), SslMode::Require);
    assert_eq!(c.get_connect_timeout(), Some(&Duration::from_secs(7)));
    assert_eq!(c.get_application_name(), Some("envapp"));
    assert_eq!(c.get_options(), Some("-c work_mem=1MB"));
    assert_eq!(c.get_target_session_attrs(), TargetSessionAttrs::ReadWrite);

    let t = resolve("host=db", &[("PGHOSTADDR", "10.0.0.1")]);
    assert_eq!(
        config(&t).get_hostaddrs(),
        &["10.0.0.1".parse::<IpAddr>().unwrap()]
    );

    // PGPASSFILE, PGSSLROOTCERT, PGSSLCERT, PGSSLKEY: seen through their effects.
    let passfile = dir.join("pass");
    write_private(&passfile, "*:*:*:*:frompassfile\n");
    let t = resolve("host=h", &[("PGPASSFILE", passfile.to_str().unwrap())]);
    assert_eq!(password(&t, 0).as_deref(), Some("frompassfile"));
    let err = Target::resolve(
        Some("host=h sslmode=verify-ca"),
        &env(&[("PGSSLROOTCERT", "/nonexistent/ca.pem")]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    let err = Target::resolve(
        Some("host=h"),
        &env(&[
            ("PGSSLCERT", "/nonexistent/c.crt"),
            ("PGSSLKEY", "/nonexistent/c.key"),
        ]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/c.crt"), "{err}");
    assert_eq!(err.exit_code(), crate::error::exit::CONNECT);
    cleanup(&dir);
}

#[test]
fn conninfo_beats_environment() {
    let vars = [
        ("PGHOST", "envhost"),
        ("PGPORT", "1111"),
        ("PGUSER", "envuser"),
        ("PGDATABASE", "envdb"),
        ("PGSSLMODE", "bogus"),
        ("PGAPPNAME", "envapp"),
    ];
    let t = resolve(
        "postgres://urluser@urlhost:2222/urldb?sslmode=disable&application_name=urlapp",
        &vars,
    );
    let c = config(&t);
    assert_eq!(host(&t, 0), "urlhost");
    assert_eq!(c.get_ports(), &[2222]);
    assert_eq!(c.get_user(), Some("urluser"));
    assert_eq!(c.get_dbname(), Some("urldb"));
    assert_eq!(t.ssl_mode(), SslMode::Disable);
    assert_eq!(c.get_application_name(), Some("urlapp"));
    // Keys the string leaves out still come from the environment.
    let t = resolve("host=h", &[("PGPORT", "3333")]);
    assert_eq!(config(&t).get_ports(), &[3333]);
}

#[test]
fn socket_directories_and_tcp_hosts() {
    let t = resolve("host=/run/pg port=5433", &[]);
    assert_eq!(host(&t, 0), "unix:/run/pg");
    assert!(t.endpoints[0].unix);
    let t = resolve("postgres://%2Frun%2Fpg/db", &[]);
    assert_eq!(host(&t, 0), "unix:/run/pg");
    let t = resolve("postgres://[::1]:5433/db", &[]);
    assert_eq!(host(&t, 0), "::1");
    assert!(!t.endpoints[0].unix);
    // hostaddr alone: the address is also the name TLS checks.
    let t = resolve("hostaddr=127.0.0.1", &[]);
    assert_eq!(host(&t, 0), "127.0.0.1");
}

#[test]
fn multi_host() {
    let t = resolve(
        "postgresql://h1:5432,h2,[::1]:5434/db?target_session_attrs=read-write",
        &[],
    );
    assert_eq!(t.endpoints.len(), 3);
    assert_eq!(host(&t, 1), "h2");
    assert_eq!(t.endpoints[1].config.get_ports(), &[5432]);
    assert_eq!(t.endpoints[2].config.get_ports(), &[5434]);
    assert_eq!(
        t.endpoints[2].config.get_target_session_attrs(),
        TargetSessionAttrs::ReadWrite
    );
    assert_eq!(
        t.describe(),
        "host=h1,h2,::1 port=5432,5432,5434 user=osuser dbname=db sslmode=prefer"
    );
    // One port serves every host.
    let t = resolve("host=a,b port=6000", &[]);
    assert_eq!(t.endpoints[1].config.get_ports(), &[6000]);
    assert!(usage("host=a,b,c port=1,2", &[]).contains("2 port numbers to 3 hosts"));
    assert!(usage("host=a,b hostaddr=1.2.3.4", &[]).contains("hostaddr"));
}

#[test]
fn bad_values_are_usage_errors_naming_them() {
    let msg = usage("sslmode=verify", &[]);
    assert!(
        msg.contains("sslmode") && msg.contains("\"verify\""),
        "{msg}"
    );
    let msg = usage("", &[("PGSSLMODE", "nope")]);
    assert!(
        msg.contains("PGSSLMODE") && msg.contains("\"nope\""),
        "{msg}"
    );
    assert!(usage("port=http", &[]).contains("port"));
    assert!(usage("port=70000", &[]).contains("port"));
    assert!(usage("", &[("PGPORT", "x")]).contains("PGPORT"));
    assert!(usage("hostaddr=db.example.com", &[]).contains("hostaddr"));
    assert!(usage("connect_timeout=soon", &[]).contains("connect_timeout"));
    assert!(usage("target_session_attrs=primary", &[]).contains("target_session_attrs"));
    assert!(usage("keepalives=yes", &[]).contains("keepalives"));
    assert!(usage("sslcompression=1", &[]).contains("\"sslcompression\""));
    let msg = usage("postgres://u:secretpw@h/d?nope=1", &[]);
    assert!(!msg.contains("secretpw"), "{msg}");
}

#[test]
fn timeouts_and_keepalives() {
    let c = resolve("connect_timeout=0", &[]).endpoints[0]
        .config
        .clone();
    assert_eq!(c.get_connect_timeout(), None);
    let c = resolve("connect_timeout=1", &[]).endpoints[0]
        .config
        .clone();
    assert_eq!(c.get_connect_timeout(), Some(&Duration::from_secs(2)));
    let c = resolve("keepalives=0", &[]).endpoints[0].config.clone();
    assert!(!c.get_keepalives());
    let c = resolve(
        "keepalives=1 keepalives_idle=30 keepalives_interval=5 keepalives_count=3",
        &[],
    )
    .endpoints[0]
        .config
        .clone();
    assert!(c.get_keepalives());
    assert_eq!(c.get_keepalives_idle(), Duration::from_secs(30));
    assert_eq!(c.get_keepalives_interval(), Some(Duration::from_secs(5)));
    assert_eq!(c.get_keepalives_retries(), Some(3));
}

#[test]
fn password_never_in_describe_or_debug() {
    let t = resolve("postgres://app:hunter2@db/app", &[]);
    assert_eq!(
        t.describe(),
        "host=db port=5432 user=app dbname=app sslmode=prefer"
    );
    assert!(!format!("{t:?}").contains("hunter2"));
}

#[test]
fn malformed_strings_never_show_the_password_they_hold() {
    // Found by the conninfo fuzz target: a URL with another scheme was read as conninfo, and
    // the error named its first "key", user info and all.
    for input in [
        "jdbc:postgresql://app:hunter2@db/app?sslmode=require",
        "postgres ://app:hunter2@db/app?sslmode=require",
        "pg\u{fffd}sql://app:hunter2@db/app?x=1",
        "app:hunter2@db/app",
        "app:hunter2@db/app sslmode=require",
        "host=db app:hunter2@db",
        "app:hunter2@db='x",
        "password=abc hunter2=x host=db",
        "postgres://db/app?password=abc&hunter2",
        "postgres://db/app?password=abc&hunter2=x",
    ] {
        let msg = usage(input, &[]);
        assert!(!msg.contains("hunter2"), "{input}: {msg}");
    }
    assert!(
        usage("jdbc:postgresql://app:hunter2@db/app", &[])
            .contains("the scheme must be postgres:// or postgresql://")
    );
    // Known keys after a password are fine.
    resolve(
        "postgres://db/app?password=abc&ssl=true&sslmode=require",
        &[],
    );
    resolve("password=abc host=db", &[]);
    // Keys without '@' or ':' are still named.
    assert!(usage("hots=db", &[]).contains("\"hots\""));
}

#[test]
fn describe_quotes_odd_values() {
    let t = resolve("user='a b' dbname=x hostaddr=127.0.0.1 host=localhost", &[]);
    assert_eq!(
        t.describe(),
        "host=localhost hostaddr=127.0.0.1 port=5432 user='a b' dbname=x sslmode=prefer"
    );
}

#[test]
fn pgpass_through_resolve() {
    let dir = tempdir("pgpass");
    let home = dir.to_str().unwrap();
    write_private(
        &dir.join(".pgpass"),
        "db:5432:app:app:tcp-pw\nlocalhost:5432:app:app:socket-pw\n*:*:*:*:fallback\n",
    );
    let vars = [("HOME", home)];
    let t = resolve("host=db user=app dbname=app", &vars);
    assert_eq!(password(&t, 0).as_deref(), Some("tcp-pw"));
    assert_eq!(
        t.endpoints[0].passfile.as_deref(),
        Some(&*dir.join(".pgpass"))
    );
    let t = resolve("user=app dbname=app", &vars);
    assert_eq!(password(&t, 0).as_deref(), Some("socket-pw"));
    let t = resolve("host=other,db user=app dbname=app", &vars);
    assert_eq!(password(&t, 0).as_deref(), Some("fallback"));
    assert_eq!(password(&t, 1).as_deref(), Some("tcp-pw"));
    // An explicit password wins; the file is not even read.
    let t = resolve("host=db user=app dbname=app password=given", &vars);
    assert_eq!(password(&t, 0).as_deref(), Some("given"));
    assert!(t.endpoints[0].passfile.is_none());
    // The passfile key beats PGPASSFILE beats ~/.pgpass.
    write_private(&dir.join("other"), "*:*:*:*:other-file\n");
    let t = resolve(
        &format!("host=db passfile={home}/other"),
        &[("HOME", home), ("PGPASSFILE", "/nonexistent")],
    );
    assert_eq!(password(&t, 0).as_deref(), Some("other-file"));

    // Group-readable: ignored, with libpq's warning.
    std::fs::set_permissions(dir.join(".pgpass"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let t = resolve("host=db user=app dbname=app", &vars);
    assert_eq!(password(&t, 0), None);
    assert_eq!(
        t.warnings(),
        &[format!(
            "password file \"{home}/.pgpass\" has group or world access; permissions should be u=rw (0600) or less"
        )]
    );
    cleanup(&dir);
}

#[test]
fn tls_defaults_and_errors() {
    let dir = tempdir("tlsdefaults");
    let home = dir.to_str().unwrap();
    // verify-* without a root certificate: the libpq error, naming the default file.
    let err =
        Target::resolve(Some("host=h sslmode=verify-full"), &env(&[("HOME", home)])).unwrap_err();
    assert_eq!(err.exit_code(), crate::error::exit::CONNECT);
    let text = err.to_string();
    assert!(
        text.contains(&format!("{home}/.postgresql/root.crt")),
        "{text}"
    );
    assert!(text.contains("sslmode=verify-full"), "{text}");
    // require needs no root certificate; socket-only targets need no TLS at all.
    assert!(
        resolve("host=h sslmode=require", &[("HOME", home)])
            .tls
            .is_some()
    );
    assert!(
        resolve("host=/s sslmode=verify-full", &[("HOME", home)])
            .tls
            .is_none()
    );
    assert!(
        resolve("host=h sslmode=disable", &[("HOME", home)])
            .tls
            .is_none()
    );

    let look_params = conninfo::parse("sslmode=require sslrootcert=/ca.pem").unwrap();
    let e = env(&[("HOME", home)]);
    let look = Lookup {
        params: &look_params,
        service: None,
        env: &e,
    };
    let settings = tls_settings(&look, SslMode::Require).unwrap();
    assert_eq!(settings.verify, tls::Verify::Chain);
    assert_eq!(settings.roots, Some(tls::Roots::File("/ca.pem".into())));
    let look_params = conninfo::parse("sslrootcert=system").unwrap();
    let look = Lookup {
        params: &look_params,
        service: None,
        env: &e,
    };
    let settings = tls_settings(&look, SslMode::VerifyFull).unwrap();
    assert_eq!(settings.roots, Some(tls::Roots::System));
    let settings = tls_settings(&look, SslMode::Prefer).unwrap();
    assert_eq!(
        (settings.verify, settings.roots),
        (tls::Verify::Nothing, None)
    );

    // ~/.postgresql/postgresql.crt and .key are picked up when present.
    let dot = dir.join(".postgresql");
    std::fs::create_dir_all(&dot).unwrap();
    std::fs::write(dot.join("postgresql.crt"), "x").unwrap();
    std::fs::write(dot.join("root.crt"), "x").unwrap();
    let none = Params::default();
    let look = Lookup {
        params: &none,
        service: None,
        env: &e,
    };
    let settings = tls_settings(&look, SslMode::VerifyCa).unwrap();
    assert_eq!(settings.roots, Some(tls::Roots::File(dot.join("root.crt"))));
    assert_eq!(
        settings.client,
        Some((dot.join("postgresql.crt"), dot.join("postgresql.key")))
    );
    cleanup(&dir);
}

fn tempdir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("scsctl-connect-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_private(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn cleanup(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn openssl_noise_is_trimmed() {
    assert_eq!(
        tidy_tls_error(
            "error:0A000086:SSL routines:tls_post_process_server_certificate:certificate verify failed:../ssl/statem/statem_clnt.c:1889: (IP address mismatch)"
        ),
        "certificate verify failed (IP address mismatch)"
    );
    assert_eq!(tidy_tls_error("unexpected eof"), "unexpected eof");
}

/// What a fake server saw on each connection: the first message's code (SSLRequest or the
/// protocol version of a StartupMessage), and, after an SSLRequest refused with 'N', the next.
mod fake_server {
    use std::io::{Read, Write};
    use std::sync::mpsc;
    use std::time::Duration;

    pub const SSL_REQUEST: u32 = 80877103;
    pub const STARTUP: u32 = 196608;

    fn first_codes(mut stream: impl Read + Write) -> Vec<u32> {
        let mut codes = Vec::new();
        loop {
            let mut head = [0u8; 8];
            if stream.read_exact(&mut head).is_err() {
                return codes;
            }
            let len = u32::from_be_bytes(head[..4].try_into().unwrap()) as usize;
            let code = u32::from_be_bytes(head[4..].try_into().unwrap());
            codes.push(code);
            if code != SSL_REQUEST {
                let mut rest = vec![0u8; len.saturating_sub(8)];
                let _ = stream.read_exact(&mut rest);
                return codes; // hang up: enough seen
            }
            if stream.write_all(b"N").is_err() {
                return codes;
            }
        }
    }

    /// Listens on 127.0.0.1; returns the port and a receiver of per-connection codes.
    pub fn tcp() -> (u16, mpsc::Receiver<Vec<u32>>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .unwrap();
                if tx.send(first_codes(stream)).is_err() {
                    return;
                }
            }
        });
        (port, rx)
    }

    /// Listens on a Unix socket `dir/.s.PGSQL.port`.
    pub fn unix(dir: &std::path::Path, port: u16) -> mpsc::Receiver<Vec<u32>> {
        let listener =
            std::os::unix::net::UnixListener::bind(dir.join(format!(".s.PGSQL.{port}"))).unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .unwrap();
                if tx.send(first_codes(stream)).is_err() {
                    return;
                }
            }
        });
        rx
    }
}

fn connect_err(target: &Target) -> String {
    match target.connect() {
        Err(e) => {
            assert_eq!(e.exit_code(), crate::error::exit::CONNECT);
            e.to_string()
        }
        Ok(_) => panic!("a fake server cannot accept a connection"),
    }
}

#[test]
fn sslmode_decides_the_first_message() {
    use fake_server::{SSL_REQUEST, STARTUP};
    let home = tempdir("fake-home");
    let h = home.to_str().unwrap();
    for (mode, expected) in [
        ("disable", vec![STARTUP]),
        ("allow", vec![STARTUP]),
        ("prefer", vec![SSL_REQUEST, STARTUP]),
    ] {
        let (port, seen) = fake_server::tcp();
        let t = resolve(
            &format!("host=127.0.0.1 port={port} user=u password=p sslmode={mode}"),
            &[("HOME", h)],
        );
        connect_err(&t);
        assert_eq!(seen.recv().unwrap(), expected, "sslmode={mode}");
    }
    cleanup(&home);
}

#[test]
fn require_never_downgrades() {
    let home = tempdir("fake-require");
    let h = home.to_str().unwrap();
    let (port, seen) = fake_server::tcp();
    let t = resolve(
        &format!("host=127.0.0.1 port={port} user=u password=topsecret sslmode=require"),
        &[("HOME", h)],
    );
    let err = connect_err(&t);
    assert!(err.contains("does not support TLS"), "{err}");
    assert!(err.contains("sslmode=require"), "{err}");
    assert!(!err.contains("topsecret"), "{err}");
    // The server said 'N' and got nothing more: no plaintext startup, no password.
    assert_eq!(seen.recv().unwrap(), vec![fake_server::SSL_REQUEST]);
    cleanup(&home);
}

#[test]
fn no_tls_over_a_unix_socket() {
    let dir = tempdir("fake-socket");
    let seen = fake_server::unix(&dir, 5499);
    let t = resolve(
        &format!(
            "host={} port=5499 user=u sslmode=verify-full",
            dir.display()
        ),
        &[],
    );
    connect_err(&t);
    assert_eq!(seen.recv().unwrap(), vec![fake_server::STARTUP]);
    cleanup(&dir);
}

#[test]
fn every_host_is_tried_and_reported() {
    let t = resolve(
        "host=127.0.0.1,127.0.0.1 port=1,2 user=u sslmode=disable connect_timeout=2",
        &[],
    );
    let err = connect_err(&t);
    assert!(
        err.contains("127.0.0.1:1:") && err.contains("127.0.0.1:2:"),
        "{err}"
    );
}

/// A directory holding `pg_service.conf` with `text`, for PGSYSCONFDIR.
fn service_dir(tag: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("scsctl-svc-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("pg_service.conf"), text).unwrap();
    dir
}

#[test]
fn service_settings_sit_between_the_connection_string_and_the_environment() {
    let dir = service_dir(
        "precedence",
        "[app]\nhost=svc-host\nport=6000\ndbname=svcdb\nuser=svcuser\nsslmode=disable\n",
    );
    let sysconf = dir.to_str().unwrap();
    let vars = [
        ("PGSYSCONFDIR", sysconf),
        ("PGSERVICEFILE", "/nonexistent/pg_service.conf"),
        ("PGHOST", "env-host"),
        ("PGUSER", "env-user"),
        ("PGAPPNAME", "env-app"),
    ];
    for input in [
        "service=app port=7000",
        "postgres:///?service=app&port=7000",
    ] {
        let t = resolve(input, &vars);
        // The connection string beats the service; the service beats the environment; the
        // environment fills what both leave unset.
        assert_eq!(config(&t).get_ports(), &[7000], "{input}");
        assert_eq!(host(&t, 0), "svc-host", "{input}");
        assert_eq!(config(&t).get_user(), Some("svcuser"));
        assert_eq!(config(&t).get_dbname(), Some("svcdb"));
        assert_eq!(config(&t).get_application_name(), Some("env-app"));
        assert_eq!(t.ssl_mode(), SslMode::Disable);
    }
    // PGSERVICE names the service when the connection string does not.
    let mut with_env = vars.to_vec();
    with_env.push(("PGSERVICE", "app"));
    let t = Target::resolve(None, &env(&with_env)).unwrap();
    assert_eq!(host(&t, 0), "svc-host");
    assert_eq!(config(&t).get_ports(), &[6000]);
    // Without a service the file is not read.
    let t = Target::resolve(None, &env(&vars)).unwrap();
    assert_eq!(host(&t, 0), "env-host");

    let msg = usage("service=nope", &vars);
    assert!(
        msg.starts_with("definition of service \"nope\" not found in"),
        "{msg}"
    );
    std::fs::write(dir.join("pg_service.conf"), "[bad]\nport=x\n").unwrap();
    let msg = usage("service=bad", &vars);
    assert!(
        msg.contains(&format!(
            "invalid port value \"x\" (from service \"bad\" in \"{sysconf}/pg_service.conf\")"
        )),
        "{msg}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_password_from_the_service_file_is_used_and_never_described() {
    let dir = service_dir("password", "[s]\nhost=h\npassword=svc-secret\n");
    let vars = [
        ("PGSYSCONFDIR", dir.to_str().unwrap()),
        ("PGPASSWORD", "env-secret"),
    ];
    let t = resolve("service=s", &vars);
    assert_eq!(password(&t, 0).as_deref(), Some("svc-secret"));
    assert!(!t.describe().contains("secret"), "{}", t.describe());
    std::fs::remove_dir_all(&dir).unwrap();
}
