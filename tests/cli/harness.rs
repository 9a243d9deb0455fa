//! Smoke tests of the test harness itself: the cluster, its authentication and TLS set-up,
//! dedicated clusters and the process runner.

use std::str::FromStr;
use std::time::Duration;

use crate::support::{Cluster, Scsctl, cluster, skip};

fn connect_err(conninfo: &str) -> String {
    match postgres::Config::from_str(conninfo)
        .expect("conninfo")
        .connect(postgres::NoTls)
    {
        Ok(_) => panic!("connecting with {conninfo} unexpectedly succeeded"),
        Err(e) => format!("{e:?}"),
    }
}

#[test]
fn cluster_starts_and_accepts_admin() {
    let c = cluster();
    let mut client = c.client("postgres");
    let row = client
        .query_one("SELECT current_user::text, version()", &[])
        .unwrap();
    assert_eq!(row.get::<_, String>(0), c.admin_user());
    if c.is_private() {
        assert_eq!(c.host(), "127.0.0.1");
        assert!(c.admin_password().starts_with("pw-"));
        assert!(c.port() > 0);
        assert!(c.bindir().join("psql").is_file());
        assert_eq!(c.psql("postgres", "SELECT 1+1; SELECT 'x'"), "2\nx\n");
        let ssl_on = c.psql("postgres", "SHOW ssl");
        assert_eq!(ssl_on.trim(), "on");
        let maxconn = c.psql("postgres", "SHOW max_connections");
        assert_eq!(maxconn.trim(), "300");
    }
}

#[test]
fn password_auth_over_tcp() {
    let db = cluster().new_database();
    let mut client = db.client();
    let name: String = client
        .query_one("SELECT current_database()::text", &[])
        .unwrap()
        .get(0);
    assert_eq!(name, db.name);
    // The URL and conninfo forms name the same target.
    for target in [db.url(), db.conninfo()] {
        let mut c = postgres::Client::connect(&target, postgres::NoTls).unwrap();
        let n: String = c
            .query_one("SELECT current_database()::text", &[])
            .unwrap()
            .get(0);
        assert_eq!(n, db.name);
    }
    if !cluster().is_private() {
        return;
    }
    let wrong = format!(
        "host=127.0.0.1 port={} user={} password=wrong dbname={}",
        cluster().port(),
        cluster().admin_user(),
        db.name
    );
    let err = connect_err(&wrong);
    assert!(err.contains("password authentication failed"), "{err}");
    let none = format!(
        "host=127.0.0.1 port={} user={} dbname={}",
        cluster().port(),
        cluster().admin_user(),
        db.name
    );
    connect_err(&none);
}

#[test]
fn create_role_logs_in_with_password() {
    let db = cluster().new_database();
    let role = format!("harness_role_{}", std::process::id());
    db.create_role(&role, "s3cret 'quoted'");
    let ok = format!(
        "host={} port={} user={role} password='s3cret \\'quoted\\'' dbname={}",
        cluster().host(),
        cluster().port(),
        db.name
    );
    let mut c = postgres::Client::connect(&ok, postgres::NoTls).unwrap();
    let who: String = c
        .query_one("SELECT current_user::text", &[])
        .unwrap()
        .get(0);
    assert_eq!(who, role);
    let bad = ok.replace("s3cret", "nope");
    connect_err(&bad);
}

#[test]
fn unix_socket_works() {
    let c = cluster();
    let Some(conninfo) = c.socket_conninfo("postgres") else {
        return skip(
            "unix_socket_works",
            "no socket with SCSCTL_TEST_DATABASE_URL",
        );
    };
    let mut client = postgres::Client::connect(&conninfo, postgres::NoTls).unwrap();
    let addr: Option<String> = client
        .query_one("SELECT inet_client_addr()::text", &[])
        .unwrap()
        .get(0);
    assert_eq!(addr, None, "expected a Unix-socket connection");
    let url = c.socket_url("postgres").unwrap();
    postgres::Client::connect(&url, postgres::NoTls).unwrap();
    // Also through libpq (psql), and the socket needs a password as well.
    assert_eq!(c.psql_with(&conninfo, "SELECT 7").unwrap(), "7\n");
    let nopw = format!(
        "host={} port={} user={} dbname=postgres",
        c.socket_dir().unwrap().display(),
        c.port(),
        c.admin_user()
    );
    c.psql_with(&nopw, "SELECT 1").unwrap_err();
}

#[test]
fn server_presents_tls_with_generated_certs() {
    let c = cluster();
    let Some(certs) = c.certs() else {
        return skip(
            "server_presents_tls",
            "no TLS with SCSCTL_TEST_DATABASE_URL",
        );
    };
    let base = |host: &str, mode: &str, root: &std::path::Path| {
        format!(
            "host={host} port={} user={} password={} dbname=postgres sslmode={mode} sslrootcert={}",
            c.port(),
            c.admin_user(),
            c.admin_password(),
            root.display()
        )
    };
    let ssl_query = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
    // verify-full: the certificate is for localhost only.
    let out = c
        .psql_with(&base("localhost", "verify-full", &certs.ca_cert), ssl_query)
        .unwrap();
    assert_eq!(out, "t\n");
    let err = c
        .psql_with(&base("127.0.0.1", "verify-full", &certs.ca_cert), ssl_query)
        .unwrap_err();
    assert!(err.contains("does not match host name"), "{err}");
    // verify-ca: either name.
    for host in ["localhost", "127.0.0.1"] {
        c.psql_with(&base(host, "verify-ca", &certs.ca_cert), ssl_query)
            .unwrap();
    }
    // The wrong CA fails.
    let err = c
        .psql_with(
            &base("localhost", "verify-ca", &certs.other_ca_cert),
            ssl_query,
        )
        .unwrap_err();
    assert!(err.contains("certificate verify failed"), "{err}");
    // The URL form works for libpq clients too.
    let url = c.tls_url("postgres", "localhost", "verify-full").unwrap();
    assert_eq!(c.psql_with(&url, ssl_query).unwrap(), "t\n");
    let url = c.tls_url("postgres", "127.0.0.1", "verify-full").unwrap();
    c.psql_with(&url, ssl_query).unwrap_err();
    // sslmode=disable is allowed (plain `host` lines) and is not encrypted.
    let out = c
        .psql_with(&base("127.0.0.1", "disable", &certs.ca_cert), ssl_query)
        .unwrap();
    assert_eq!(out, "f\n");
}

#[test]
fn client_certificate_auth_with_both_key_forms() {
    let c = cluster();
    let Some(certs) = c.certs() else {
        return skip(
            "client_certificate_auth",
            "no TLS with SCSCTL_TEST_DATABASE_URL",
        );
    };
    for key in [&certs.client_key_pkcs8, &certs.client_key_traditional] {
        let conninfo = format!(
            "host=localhost port={} user={} dbname=postgres sslmode=verify-full sslrootcert={} sslcert={} sslkey={}",
            c.port(),
            certs.cert_user,
            certs.ca_cert.display(),
            certs.client_cert.display(),
            key.display()
        );
        let who = c.psql_with(&conninfo, "SELECT current_user").unwrap();
        assert_eq!(who, format!("{}\n", certs.cert_user));
    }
    // Without the certificate the role cannot log in (no password is set).
    let conninfo = format!(
        "host=localhost port={} user={} dbname=postgres sslmode=verify-full sslrootcert={}",
        c.port(),
        certs.cert_user,
        certs.ca_cert.display()
    );
    c.psql_with(&conninfo, "SELECT 1").unwrap_err();
    let pkcs8 = std::fs::read_to_string(&certs.client_key_pkcs8).unwrap();
    let trad = std::fs::read_to_string(&certs.client_key_traditional).unwrap();
    assert!(pkcs8.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert!(trad.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
}

#[test]
fn test_databases_are_distinct() {
    let a = cluster().new_database();
    let b = cluster().new_database();
    assert_ne!(a.name, b.name);
    a.client()
        .batch_execute("CREATE TABLE only_in_a (x int)")
        .unwrap();
    let n: i64 = b
        .client()
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
    assert_eq!(a.psql("SELECT count(*) FROM only_in_a"), "0\n");
}

#[test]
fn dedicated_cluster_stops_and_starts_on_the_same_port() {
    let Some(c) = Cluster::try_start_dedicated() else {
        return;
    };
    assert_ne!(c.port(), cluster().port());
    let db = c.new_database();
    db.client()
        .batch_execute("CREATE TABLE t (x int); INSERT INTO t VALUES (1)")
        .unwrap();
    let port = c.port();
    let pid = c.postmaster_pid().unwrap();

    c.stop();
    assert!(c.try_client(&db.name).is_err());
    assert_eq!(c.postmaster_pid(), None);
    c.start();
    assert_eq!(c.port(), port);
    assert_eq!(db.psql("SELECT x FROM t"), "1\n");

    c.restart();
    assert_ne!(c.postmaster_pid().unwrap(), pid);
    assert_eq!(db.psql("SELECT x FROM t"), "1\n");

    // A crash with a client connected: the backend is orphaned; start() waits it out.
    let mut held = db.client();
    let t = std::time::Instant::now();
    c.kill_postmaster();
    assert!(c.try_client(&db.name).is_err());
    eprintln!("TIMING kill {:?}", t.elapsed());
    c.start();
    eprintln!("TIMING start {:?}", t.elapsed());
    assert!(held.simple_query("SELECT 1").is_err());
    assert_eq!(db.psql("SELECT x FROM t"), "1\n");
    let dir = c.log_file().unwrap().parent().unwrap().to_path_buf();
    drop(db);
    drop(c);
    assert!(!dir.exists(), "dedicated cluster dir not removed");
}

#[test]
fn runner_clears_the_environment() {
    let out = Scsctl::command("/usr/bin/env").run();
    out.success();
    let mut names: Vec<String> = out
        .stdout_str()
        .lines()
        .map(|l| l.split('=').next().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["HOME", "LANG", "PATH"], "{}", out.stdout_str());
    assert!(out.stdout_str().contains("LANG=C.UTF-8"));
    let out = Scsctl::command("/usr/bin/env")
        .env("PGHOST", "x")
        .env("HOME", "/nonexistent")
        .env_remove("LANG")
        .run();
    let text = out.stdout_str();
    assert!(text.contains("PGHOST=x") && text.contains("HOME=/nonexistent"));
    assert!(!text.contains("LANG="));
}

#[test]
fn runner_reports_codes_signals_stdin_and_rss() {
    Scsctl::command("/bin/sh")
        .args(["-c", "exit 3"])
        .run()
        .code(3);
    Scsctl::command("/bin/sh")
        .args(["-c", "kill -TERM $$"])
        .run()
        .code(128 + libc::SIGTERM);
    let out = Scsctl::command("/bin/cat").stdin("hello\n").run();
    out.success();
    assert_eq!(out.stdout, b"hello\n");
    assert!(out.max_rss_kib.unwrap() > 0);

    let daemon = Scsctl::command("/bin/sh")
        .args(["-c", "echo ready >&2; exec sleep 30"])
        .spawn();
    assert!(daemon.wait_for_stderr("ready", Duration::from_secs(10)));
    assert!(daemon.is_running());
    daemon.terminate();
    let out = daemon.wait_with_output(Duration::from_secs(10));
    out.code(128 + libc::SIGTERM);
    assert_eq!(out.stderr, "ready\n");

    // A grandchild holding the pipes open does not block collecting the output.
    let t0 = std::time::Instant::now();
    let out = Scsctl::command("/bin/sh")
        .args(["-c", "sleep 15 & echo done"])
        .run();
    out.success();
    assert_eq!(out.stdout_str(), "done\n");
    assert!(t0.elapsed() < Duration::from_secs(12), "{:?}", t0.elapsed());
}

#[test]
#[should_panic(expected = "timed out")]
fn runner_times_out() {
    Scsctl::command("/bin/sleep")
        .arg("10")
        .timeout(Duration::from_millis(200))
        .run();
}

#[test]
fn scsctl_binary_runs() {
    let db = cluster().new_database();
    let out = Scsctl::new().db(&db).arg("--help").run();
    out.success().not_contains(cluster().admin_password());
}

#[test]
fn native_tls_verifies_the_server_certificate() {
    let c = cluster();
    let Some(certs) = c.certs() else {
        return skip(
            "native_tls_verifies",
            "no TLS with SCSCTL_TEST_DATABASE_URL",
        );
    };
    let connect = |host: &str, ca: &std::path::Path| {
        let pem = std::fs::read(ca).unwrap();
        let tls = native_tls::TlsConnector::builder()
            .add_root_certificate(native_tls::Certificate::from_pem(&pem).unwrap())
            .build()
            .unwrap();
        let mut config = postgres::Config::from_str(&c.conninfo("postgres")).unwrap();
        config
            .host(host)
            .ssl_mode(postgres::config::SslMode::Require);
        config.connect(postgres_native_tls::MakeTlsConnector::new(tls))
    };
    let mut client = connect("localhost", &certs.ca_cert).unwrap();
    let ssl: bool = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(ssl);
    assert!(
        connect("127.0.0.1", &certs.ca_cert).is_err(),
        "hostname not verified"
    );
    assert!(
        connect("localhost", &certs.other_ca_cert).is_err(),
        "CA not verified"
    );
}
