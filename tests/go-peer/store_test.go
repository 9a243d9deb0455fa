package main

import (
	"strings"
	"testing"
)

func TestTableSubstitution(t *testing.T) {
	s := &store{table: `app."My Sessions"`}
	for _, sql := range []string{sqlFind, sqlCommit, sqlDelete, sqlAll, sqlCleanup} {
		got := s.stmt(sql)
		if strings.Contains(got, " sessions ") || !strings.Contains(got, ` app."My Sessions" `) {
			t.Errorf("%s -> %s", sql, got)
		}
	}
	if got := (&store{table: "sessions"}).stmt(sqlCommit); got != sqlCommit {
		t.Errorf("the default table changed the statement: %s", got)
	}
}

// SCS's hashToken of "abc": base64url, no padding, of SHA-256 (scsctl's put test has it too).
func TestHashedToken(t *testing.T) {
	s := &store{hashTokens: true}
	if got := s.storeToken("abc"); got != "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0" {
		t.Errorf("hashed token %s", got)
	}
	if got := (&store{}).storeToken("abc"); got != "abc" {
		t.Errorf("unhashed token %s", got)
	}
}
