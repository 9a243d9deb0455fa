//! `scsctl man DIR`: write `scsctl.1` and one page per subcommand, with EXIT STATUS,
//! ENVIRONMENT and EXAMPLES sections.

use std::io::Write;
use std::path::Path;

use crate::cli::command;
use crate::error::{Error, Result};
use crate::output::Output;

/// Writes every man page into `args.dir`.
pub fn run(args: &crate::cli::ManArgs, out: &mut Output) -> Result<()> {
    std::fs::create_dir_all(&args.dir)
        .map_err(|e| Error::io(format!("cannot create {}", args.dir.display()), e))?;
    for (name, page) in pages()? {
        let path = args.dir.join(&name);
        write_file(&path, &page)?;
        out.verbose(&format!("wrote {}", path.display()));
    }
    Ok(())
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = std::fs::File::create(path)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
    file.write_all(bytes)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}

/// Every page as (file name, roff text): `scsctl.1` and `scsctl-<subcommand>.1`.
pub fn pages() -> Result<Vec<(String, Vec<u8>)>> {
    let root = command();
    let mut pages = vec![("scsctl.1".to_owned(), render(&root, "scsctl", None)?)];
    for sub in root.get_subcommands() {
        let short = sub.get_name().to_owned();
        let name = format!("scsctl-{short}");
        let page = sub
            .clone()
            .name(name.clone())
            .version(env!("CARGO_PKG_VERSION"));
        pages.push((format!("{name}.1"), render(&page, &name, Some(&short))?));
        // A group of subcommands (`migrate`) gets a page for each of its own too.
        for nested in sub.get_subcommands() {
            let short = format!("{short} {}", nested.get_name());
            let name = format!("scsctl-{}", short.replace(' ', "-"));
            let page = nested
                .clone()
                .name(name.clone())
                .version(env!("CARGO_PKG_VERSION"));
            pages.push((format!("{name}.1"), render(&page, &name, Some(&short))?));
        }
    }
    Ok(pages)
}

fn render(cmd: &clap::Command, name: &str, sub: Option<&str>) -> Result<Vec<u8>> {
    let man = clap_mangen::Man::new(cmd.clone())
        .title(name.to_uppercase())
        .section("1");
    let mut buf = Vec::new();
    let io = |e| Error::io("cannot render a man page", e);
    man.render_title(&mut buf).map_err(io)?;
    man.render_name_section(&mut buf).map_err(io)?;
    man.render_synopsis_section(&mut buf).map_err(io)?;
    man.render_description_section(&mut buf).map_err(io)?;
    man.render_options_section(&mut buf).map_err(io)?;
    if sub.is_none() || cmd.has_subcommands() {
        man.render_subcommands_section(&mut buf).map_err(io)?;
    }
    buf.extend_from_slice(EXIT_STATUS.as_bytes());
    buf.extend_from_slice(ENVIRONMENT.as_bytes());
    buf.extend_from_slice(examples(sub).as_bytes());
    let see_also = match sub {
        None => ".SH \"SEE ALSO\"\n\\fBpsql\\fR(1), \\fBpg_service.conf\\fR(5)\n".to_owned(),
        Some(_) => ".SH \"SEE ALSO\"\n\\fBscsctl\\fR(1)\n".to_owned(),
    };
    buf.extend_from_slice(see_also.as_bytes());
    man.render_version_section(&mut buf).map_err(io)?;
    Ok(buf)
}

const EXIT_STATUS: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
Success, also when output is cut short by a closed pipe.
.TP
\fB1\fR
Failure: a database error, corrupt input, an incompatible table, an I/O error.
.TP
\fB2\fR
Usage error: a bad flag, duration or value.
.TP
\fB3\fR
Not found: \fBget\fR or \fBdelete\fR of a token that has no row, or a \fB\-\-where\fR that matched nothing.
.TP
\fB4\fR
Cannot connect or authenticate: server down or gone mid-command, wrong password, TLS failure, no such database.
.TP
\fB130\fR
Interrupted (SIGINT) before a one\-shot command finished.
"#;

const ENVIRONMENT: &str = r#".SH ENVIRONMENT
.TP
\fBDATABASE_URL\fR
Connection URL or conninfo, as \fB\-\-database\-url\fR.
.TP
\fBPGHOST\fR, \fBPGHOSTADDR\fR, \fBPGPORT\fR, \fBPGUSER\fR, \fBPGPASSWORD\fR, \fBPGDATABASE\fR
Fill what the URL leaves out, as in libpq. Defaults: the Unix socket in /var/run/postgresql or /tmp, port 5432, the OS user, a database named after the user.
.TP
\fBPGSSLMODE\fR, \fBPGSSLROOTCERT\fR, \fBPGSSLCERT\fR, \fBPGSSLKEY\fR
TLS settings with libpq's meaning (disable, allow, prefer, require, verify\-ca, verify\-full).
.TP
\fBPGCONNECT_TIMEOUT\fR, \fBPGAPPNAME\fR, \fBPGPASSFILE\fR
Connect timeout (default 10 s), application name (default scsctl), password file (default ~/.pgpass, ignored when group or world readable).
.TP
\fBPGSERVICE\fR, \fBPGSERVICEFILE\fR, \fBPGSYSCONFDIR\fR
The connection service to use when the URL or conninfo names none (\fBservice=\fR\fIname\fR), the user's service file (default ~/.pg_service.conf) and the directory of the system's pg_service.conf (default /etc/postgresql\-common). The user's file is searched first; the service's settings fill what the URL leaves out, before the other PG* variables. An unknown service is a usage error.
.TP
\fBSCSCTL_TABLE\fR, \fBSCSCTL_OUTPUT\fR, \fBSCSCTL_HASHED_TOKENS\fR
As \fB\-\-table\fR, \fB\-\-output\fR and \fB\-\-hashed\-tokens\fR (set to 1).
.TP
\fBNO_COLOR\fR
When set and not empty, never colour the output.
"#;

fn examples(sub: Option<&str>) -> String {
    let body = match sub {
        None => concat!(
            "Create the table, then look at a session:\n.PP\n.nf\n",
            "scsctl \\-d postgres://app@db/app init\\-schema\n",
            "scsctl get 'V5qN...'\n.fi\n",
            ".PP\nPurge expired sessions every night from cron, printing nothing unless it fails:\n.PP\n.nf\n",
            "15 3 * * * PGPASSFILE=/etc/scsctl/pgpass PGHOST=db PGUSER=scsctl_cleaner PGDATABASE=app /usr/local/bin/scsctl purge \\-q\n.fi\n"
        ),
        Some("init-schema") => concat!(
            ".nf\nscsctl init\\-schema \\-\\-dry\\-run\n",
            "scsctl init\\-schema \\-\\-table app.sessions \\-\\-grant webapp\n.fi\n"
        ),
        Some("get") => concat!(
            ".nf\nscsctl get 'V5qN...'\n",
            "scsctl get \\-o json 'V5qN...' | jq .values\n",
            "scsctl get \\-\\-raw 'V5qN...' > session.gob\n.fi\n"
        ),
        Some("put") => concat!(
            ".nf\nT=$(scsctl put \\-\\-new\\-token \\-\\-ttl 1h \\-\\-set userID:int=42)\n",
            "scsctl put \"$T\" \\-\\-ttl 24h \\-\\-merge \\-\\-set role=admin\n",
            "scsctl put \"$T\" \\-\\-expires\\-at 2030\\-01\\-01T00:00:00Z \\-\\-data\\-file session.gob\n.fi\n"
        ),
        Some("delete") => concat!(
            ".nf\nscsctl delete 'V5qN...'\n",
            "cut \\-f1 revoked.txt | scsctl delete \\-\n",
            "scsctl delete \\-\\-where user.ID=42 \\-\\-dry\\-run\n",
            "scsctl delete \\-\\-expired\n.fi\n"
        ),
        Some("list") => concat!(
            ".nf\nscsctl list \\-\\-limit 20\n",
            "scsctl list \\-\\-state all \\-o ndjson | jq \\-c .\n",
            "scsctl list \\-\\-values \\-\\-where userID:int=42\n.fi\n"
        ),
        Some("purge") => concat!(
            "From cron, nightly, silent unless it fails:\n.PP\n.nf\n",
            "15 3 * * * PGPASSFILE=/etc/scsctl/pgpass PGHOST=db PGUSER=scsctl_cleaner PGDATABASE=app /usr/local/bin/scsctl purge \\-q \\-\\-max\\-duration 10m\n.fi\n",
            ".PP\nA systemd service and timer doing the same are in the source's contrib/systemd.\n",
            ".PP\nSee what would go:\n.PP\n.nf\nscsctl purge \\-\\-dry\\-run \\-\\-grace 1h\n.fi\n"
        ),
        Some("watch-cleanup") => concat!(
            "A systemd unit (several hosts may run it; one cleans at a time). The password file ",
            "reaches it as a credential, the other settings through an environment file; the ",
            "source's contrib/systemd has the full, hardened unit:\n.PP\n.nf\n",
            "[Service]\nExecStart=/usr/local/bin/scsctl watch\\-cleanup \\-\\-interval 5m \\-\\-log\\-format json\n",
            "EnvironmentFile=/etc/scsctl/scsctl.env\nLoadCredential=pgpass:/etc/scsctl/pgpass\n",
            "Environment=PGPASSFILE=%d/pgpass\nRestart=always\nDynamicUser=yes\n.fi\n"
        ),
        Some("stats") => ".nf\nscsctl stats\nscsctl stats \\-o json | jq .expired\n.fi\n",
        Some("completions") => concat!(
            ".nf\nscsctl completions bash > /etc/bash_completion.d/scsctl\n",
            "scsctl completions zsh > \"${fpath[1]}/_scsctl\"\n.fi\n"
        ),
        Some("man") => ".nf\nscsctl man /usr/local/share/man/man1\n.fi\n",
        Some("migrate" | "migrate hash-tokens") => concat!(
            "Stop-and-switch: stop the app, then\n.PP\n.nf\n",
            "scsctl migrate hash\\-tokens \\-\\-dry\\-run\nscsctl migrate hash\\-tokens\n.fi\n",
            ".PP\nand start the app with HashTokenInStore = true. Rolling, the app running:\n.PP\n.nf\n",
            "scsctl migrate hash\\-tokens \\-\\-copy\n",
            "# roll out the app with HashTokenInStore = true on every instance\n",
            "scsctl migrate hash\\-tokens \\-\\-finish\n.fi\n",
            ".PP\nHashing is one\\-way: there is no unhash.\n"
        ),
        Some(_) => "",
    };
    format!(".SH EXAMPLES\n{body}")
}
