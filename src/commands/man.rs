//! `scsctl man DIR`: write `scsctl.1` and one page per subcommand, with EXIT STATUS,
//! ENVIRONMENT and EXAMPLES sections.

use std::io::Write;
use std::path::Path;

use crate::cli::command;
use crate::connect::ENV_VARS;
use crate::error::{Error, Result, exit};
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
    if sub.is_none() {
        man.render_subcommands_section(&mut buf).map_err(io)?;
    }
    buf.extend_from_slice(exit_status().as_bytes());
    buf.extend_from_slice(environment().as_bytes());
    buf.extend_from_slice(examples(sub).as_bytes());
    let see_also = match sub {
        None => ".SH \"SEE ALSO\"\n\\fBpsql\\fR(1), \\fBpg_service.conf\\fR(5)\n".to_owned(),
        Some(_) => ".SH \"SEE ALSO\"\n\\fBscsctl\\fR(1)\n".to_owned(),
    };
    buf.extend_from_slice(see_also.as_bytes());
    man.render_version_section(&mut buf).map_err(io)?;
    Ok(buf)
}

/// The EXIT STATUS section, from [`exit::TABLE`], and how errors are reported.
fn exit_status() -> String {
    let mut text = String::from(".SH \"EXIT STATUS\"\n");
    for (code, _, meaning) in exit::TABLE {
        text.push_str(&format!(".TP\n\\fB{code}\\fR\n{}\n", roff(meaning)));
    }
    text.push_str(ERRORS);
    text
}

const ERRORS: &str = r#".PP
An error is one line on stderr beginning \fBscsctl: error:\fR (usage errors too, followed by the usage lines), then, when there is one, a line beginning \fBhint:\fR (a failed authentication, a refused connection, a peer that is not PostgreSQL, or the server's own hint), then the server's detail. With \fB\-o json\fR or \fB\-o ndjson\fR the error is also a JSON object on stdout, on a line of its own: \fB{"error": ..., "exit_code": N}\fR, with \fB"hint"\fR, \fB"detail"\fR and \fB"sqlstate"\fR when there are. Warnings begin \fBscsctl: warning:\fR. A closed stdout ends a listing with exit 0; a closed stderr is survived.
"#;

/// The ENVIRONMENT section: the libpq variables from [`ENV_VARS`] (those sharing a meaning in
/// one entry), then the service file's and scsctl's own.
fn environment() -> String {
    let mut text = String::from(
        ".SH ENVIRONMENT\n.TP\n\\fBDATABASE_URL\\fR\nConnection URL or conninfo, as \\fB\\-\\-database\\-url\\fR.\n",
    );
    let mut vars = ENV_VARS.iter().peekable();
    while let Some((_, var, meaning)) = vars.next() {
        let mut names = vec![format!("\\fB{var}\\fR")];
        while let Some((_, next, _)) = vars.next_if(|(_, _, m)| m == meaning) {
            names.push(format!("\\fB{next}\\fR"));
        }
        text.push_str(&format!(".TP\n{}\n{}\n", names.join(", "), roff(meaning)));
    }
    text.push_str(OTHER_ENVIRONMENT);
    text
}

const OTHER_ENVIRONMENT: &str = r#".TP
\fBPGSERVICE\fR, \fBPGSERVICEFILE\fR, \fBPGSYSCONFDIR\fR
The connection service to use when the URL or conninfo names none (\fBservice=\fR\fIname\fR), the user's service file (default ~/.pg_service.conf) and the directory of the system's pg_service.conf (default /etc/postgresql\-common). The user's file is searched first; the service's settings fill what the URL leaves out, before the other PG* variables. An unknown service is a usage error.
.TP
\fBSCSCTL_TABLE\fR, \fBSCSCTL_OUTPUT\fR, \fBSCSCTL_HASHED_TOKENS\fR
As \fB\-\-table\fR, \fB\-\-output\fR and \fB\-\-hashed\-tokens\fR (set to 1).
.TP
\fBNO_COLOR\fR
When set and not empty, never colour the output.
"#;

/// Plain text with `code spans` as roff: the spans in bold, dashes and backslashes escaped.
fn roff(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for (i, part) in text.split('`').enumerate() {
        let escaped = part.replace('\\', "\\e").replace('-', "\\-");
        if i % 2 == 1 {
            out.push_str(&format!("\\fB{escaped}\\fR"));
        } else {
            out.push_str(&escaped);
        }
    }
    out
}

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
            "scsctl put \"$T\" \\-\\-expires\\-at 2030\\-01\\-01T00:00:00Z \\-\\-data\\-file session.gob\n",
            "scsctl put \"$T\" \\-\\-ttl 1h \\-\\-merge \\-\\-set 'flash:msg:string=hi'\n.fi\n"
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
        Some(_) => "",
    };
    format!(".SH EXAMPLES\n{body}")
}
