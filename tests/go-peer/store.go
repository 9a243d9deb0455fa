package main

// store does what SCS's postgresstore does, statement for statement, over our pgwire client.
// SCS's SessionManager with HashTokenInStore set hashes the token before every Find, Commit and
// Delete (never for All, which returns the stored tokens).

import (
	"crypto/sha256"
	"encoding/base64"
	"sort"
	"strings"
	"time"
)

// postgresstore's statements, verbatim (github.com/alexedwards/scs/postgresstore).
const (
	sqlFind    = "SELECT data FROM sessions WHERE token = $1 AND current_timestamp < expiry"
	sqlCommit  = "INSERT INTO sessions (token, data, expiry) VALUES ($1, $2, $3) ON CONFLICT (token) DO UPDATE SET data = EXCLUDED.data, expiry = EXCLUDED.expiry"
	sqlDelete  = "DELETE FROM sessions WHERE token = $1"
	sqlAll     = "SELECT token, data FROM sessions WHERE current_timestamp < expiry"
	sqlCleanup = "DELETE FROM sessions WHERE expiry < current_timestamp"
)

type store struct {
	db         *pgConn
	table      string // SQL text for the table, e.g. sessions, app.sessions or "My Sessions"
	hashTokens bool   // SCS's SessionManager.HashTokenInStore
}

// stmt puts the table in place of postgresstore's fixed "sessions" (each statement names it
// once), as an app author would who edits the statements for another table.
func (s *store) stmt(sql string) string {
	return strings.Replace(sql, " sessions ", " "+s.table+" ", 1)
}

// storeToken is SCS's hashToken: base64url without padding of SHA-256 of the cookie token.
func (s *store) storeToken(token string) string {
	if !s.hashTokens {
		return token
	}
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Find returns the data of a live session.
func (s *store) Find(token string) ([]byte, bool, error) {
	res, err := s.db.query(s.stmt(sqlFind), s.storeToken(token))
	if err != nil || len(res.rows) == 0 {
		return nil, false, err
	}
	b, err := textBytea(res.rows[0][0])
	return b, err == nil, err
}

// Commit inserts or updates a session.
func (s *store) Commit(token string, b []byte, expiry time.Time) error {
	_, err := s.db.query(s.stmt(sqlCommit), s.storeToken(token), b, expiry)
	return err
}

// Delete removes a session; postgresstore ignores the count, we return it.
func (s *store) Delete(token string) (int64, error) {
	res, err := s.db.query(s.stmt(sqlDelete), s.storeToken(token))
	if err != nil {
		return 0, err
	}
	return res.rowsAffected(), nil
}

// All returns every live session by stored token, and the tokens in order.
func (s *store) All() (map[string][]byte, []string, error) {
	res, err := s.db.query(s.stmt(sqlAll))
	if err != nil {
		return nil, nil, err
	}
	out := map[string][]byte{}
	var tokens []string
	for _, row := range res.rows {
		b, err := textBytea(row[1])
		if err != nil {
			return nil, nil, err
		}
		out[string(row[0])] = b
		tokens = append(tokens, string(row[0]))
	}
	sort.Strings(tokens)
	return out, tokens, nil
}

// DeleteExpired is postgresstore's periodic cleanup; postgresstore ignores the count.
func (s *store) DeleteExpired() (int64, error) {
	res, err := s.db.query(s.stmt(sqlCleanup))
	if err != nil {
		return 0, err
	}
	return res.rowsAffected(), nil
}
