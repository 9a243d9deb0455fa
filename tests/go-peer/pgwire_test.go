package main

import (
	"encoding/hex"
	"testing"
	"time"
)

// RFC 7914, section 11: PBKDF2-HMAC-SHA256 test vectors.
func TestPBKDF2SHA256(t *testing.T) {
	for _, c := range []struct {
		password, salt string
		iterations     int
		want           string
	}{
		{"passwd", "salt", 1, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc" +
			"49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"},
		{"Password", "NaCl", 80000, "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56" +
			"a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"},
	} {
		got := hex.EncodeToString(pbkdf2SHA256([]byte(c.password), []byte(c.salt), c.iterations, 64))
		if got != c.want {
			t.Errorf("PBKDF2(%q, %q, %d) = %s, want %s", c.password, c.salt, c.iterations, got, c.want)
		}
	}
}

// RFC 7677, section 3: the SCRAM-SHA-256 example exchange.
func TestSCRAMExample(t *testing.T) {
	s := &scramClient{user: "user", password: "pencil", nonce: "rOprNGfwEbeRWgbNEkqO"}
	if got := s.clientFirst(); got != "n,,n=user,r=rOprNGfwEbeRWgbNEkqO" {
		t.Fatalf("client-first %q", got)
	}
	final, err := s.clientFinal("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
	if err != nil {
		t.Fatal(err)
	}
	want := "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
	if final != want {
		t.Fatalf("client-final\n got %s\nwant %s", final, want)
	}
	if err := s.verifyServerFinal("v=AAAA"); err == nil || s.verified {
		t.Fatal("a wrong server signature passed")
	}
	if err := s.verifyServerFinal("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="); err != nil || !s.verified {
		t.Fatalf("the right server signature failed: %v", err)
	}
}

func TestSCRAMRejectsANonceThatIsNotOurs(t *testing.T) {
	s := &scramClient{password: "pencil", nonce: "abc"}
	s.clientFirst()
	if _, err := s.clientFinal("r=xyz123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"); err == nil {
		t.Fatal("accepted a foreign nonce")
	}
}

func TestConnStrings(t *testing.T) {
	for _, c := range []struct {
		in   string
		want connConfig
	}{
		{"postgres://u:p%40ss@127.0.0.1:5433/db1?sslmode=disable", connConfig{"127.0.0.1", "5433", "u", "p@ss", "db1"}},
		{"host='127.0.0.1' port=5433 user='u' password='it\\'s' dbname='db 1' sslmode=disable",
			connConfig{"127.0.0.1", "5433", "u", "it's", "db 1"}},
		{"host=/tmp/sock user=u", connConfig{"/tmp/sock", "5432", "u", "", "u"}},
	} {
		got, err := parseConnString(c.in)
		if err != nil || got != c.want {
			t.Errorf("%s: got %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"postgres://u@h/db?sslmode=require", "host=h", "user='u", "user=u bogus=1"} {
		if _, err := parseConnString(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

func TestTextValues(t *testing.T) {
	at, err := textTimestamptz([]byte("2024-02-29 23:59:59.123456+00"))
	if err != nil || !at.Equal(time.Date(2024, 2, 29, 23, 59, 59, 123456000, time.UTC)) {
		t.Errorf("timestamptz: %v, %v", at, err)
	}
	b, err := textBytea([]byte(`\x00ff10`))
	if err != nil || hex.EncodeToString(b) != "00ff10" {
		t.Errorf("bytea: %x, %v", b, err)
	}
	p, _, _ := textParam([]byte{0, 0xff})
	if p != `\x00ff` {
		t.Errorf("bytea param %q", p)
	}
}
