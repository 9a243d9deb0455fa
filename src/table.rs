//! The sessions table's name: `name` or `schema.name`, each part quoted as an identifier
//! whenever it reaches SQL. User text is never spliced into SQL any other way.

use std::fmt;

use crate::error::{Error, Result};

/// PostgreSQL truncates identifiers longer than this many bytes (NAMEDATALEN - 1).
const MAX_IDENTIFIER_BYTES: usize = 63;

/// A validated, possibly schema-qualified table name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableName {
    schema: Option<String>,
    name: String,
}

impl TableName {
    /// Parses `name` or `schema.name`. A part may be written in double quotes to hold a dot
    /// (`"my.schema"."sessions"`); inside quotes `""` stands for one `"`. Unquoted parts are
    /// taken literally (not case-folded): `Sessions` names the table `Sessions`.
    pub fn parse(text: &str) -> Result<TableName> {
        let parts = split_parts(text)?;
        let (schema, name) = match parts.as_slice() {
            [name] => (None, name.clone()),
            [schema, name] => (Some(schema.clone()), name.clone()),
            _ => {
                return Err(Error::Usage(format!(
                    "invalid table name {text:?}: use NAME or SCHEMA.NAME (quote a part that contains a dot)"
                )));
            }
        };
        for part in schema.iter().chain(std::iter::once(&name)) {
            validate_part(text, part)?;
        }
        Ok(TableName { schema, name })
    }

    /// The unqualified table name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The schema, when the name was qualified.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// The table, quoted for SQL: `"name"` or `"schema"."name"`.
    pub fn quoted(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{}.{}", quote_ident(schema), quote_ident(&self.name)),
            None => quote_ident(&self.name),
        }
    }

    /// The schema, quoted for SQL, when the name was qualified.
    pub fn quoted_schema(&self) -> Option<String> {
        self.schema.as_deref().map(quote_ident)
    }

    /// The expiry index's name, `<table>_expiry_idx`, as SCS's documentation names it. Lives in
    /// the table's schema, so only the bare name is returned.
    pub fn index_name(&self) -> String {
        format!("{}_expiry_idx", self.name)
    }

    /// The expiry index, quoted and qualified like the table.
    pub fn quoted_index(&self) -> String {
        match &self.schema {
            Some(schema) => format!(
                "{}.{}",
                quote_ident(schema),
                quote_ident(&self.index_name())
            ),
            None => quote_ident(&self.index_name()),
        }
    }
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{schema}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// Quotes an identifier for SQL: wraps it in double quotes and doubles any inner `"`.
pub fn quote_ident(ident: &str) -> String {
    let mut out = String::with_capacity(ident.len() + 2);
    out.push('"');
    for c in ident.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn split_parts(text: &str) -> Result<Vec<String>> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted_part = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if current.is_empty() && !quoted_part => {
                quoted_part = true;
                loop {
                    match chars.next() {
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            current.push('"');
                        }
                        Some('"') => break,
                        Some(c) => current.push(c),
                        None => {
                            return Err(Error::Usage(format!(
                                "invalid table name {text:?}: unterminated double quote"
                            )));
                        }
                    }
                }
                if !matches!(chars.peek(), None | Some('.')) {
                    return Err(Error::Usage(format!(
                        "invalid table name {text:?}: a quoted part must be followed by '.' or end the name"
                    )));
                }
            }
            '.' => {
                parts.push(std::mem::take(&mut current));
                quoted_part = false;
            }
            c => current.push(c),
        }
    }
    parts.push(current);
    Ok(parts)
}

fn validate_part(text: &str, part: &str) -> Result<()> {
    if part.is_empty() {
        return Err(Error::Usage(format!(
            "invalid table name {text:?}: a name part is empty"
        )));
    }
    if part.contains('\0') {
        return Err(Error::Usage(format!(
            "invalid table name {text:?}: a name may not contain a NUL byte"
        )));
    }
    // PostgreSQL would silently truncate a longer name and so act on another table.
    let limit = MAX_IDENTIFIER_BYTES;
    if part.len() > limit {
        return Err(Error::Usage(format!(
            "invalid table name {text:?}: {:?} is {} bytes, PostgreSQL allows at most {limit}",
            part,
            part.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_qualified() {
        let t = TableName::parse("sessions").unwrap();
        assert_eq!(t.quoted(), r#""sessions""#);
        assert_eq!(t.quoted_index(), r#""sessions_expiry_idx""#);
        let t = TableName::parse("app.Sessions").unwrap();
        assert_eq!(t.schema(), Some("app"));
        assert_eq!(t.quoted(), r#""app"."Sessions""#);
        assert_eq!(t.quoted_index(), r#""app"."Sessions_expiry_idx""#);
    }

    #[test]
    fn hostile_names_are_quoted_not_spliced() {
        let t = TableName::parse(r#"x"; DROP TABLE y; --"#).unwrap();
        assert_eq!(t.quoted(), r#""x""; DROP TABLE y; --""#);
        let t = TableName::parse(r#""a.b"."c""d""#).unwrap();
        assert_eq!(t.schema(), Some("a.b"));
        assert_eq!(t.name(), r#"c"d"#);
        assert_eq!(t.quoted(), r#""a.b"."c""d""#);
    }

    #[test]
    fn rejects_bad_names() {
        for bad in ["", ".", "a.", ".a", "a.b.c", "a\0b", "\"open", "\"a\"b"] {
            assert!(
                matches!(TableName::parse(bad), Err(Error::Usage(_))),
                "{bad:?} accepted"
            );
        }
        assert!(TableName::parse(&"x".repeat(64)).is_err());
        assert!(TableName::parse(&"x".repeat(63)).is_ok());
    }
}
