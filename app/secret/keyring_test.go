package secret

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// testKey returns a deterministic 32-byte key whose bytes are all b.
func testKey(b byte) []byte {
	k := make([]byte, KeySize)
	for i := range k {
		k[i] = b
	}
	return k
}

func b64(k []byte) string { return base64.StdEncoding.EncodeToString(k) }

func mustRing(t testing.TB, s string) *KeyRing {
	t.Helper()
	kr, err := ParseKeyRing(s)
	if err != nil {
		t.Fatalf("ParseKeyRing: %v", err)
	}
	return kr
}

func TestParseKeyRing(t *testing.T) {
	k1, k2 := b64(testKey(1)), b64(testKey(2))
	tests := []struct {
		name    string
		in      string
		current string
		ids     []string
	}{
		{"bare key gets default id", k1, "k0", []string{"k0"}},
		{"one entry with id", "k1:" + k1, "k1", []string{"k1"}},
		{"first is current", "k2:" + k2 + ",k1:" + k1, "k2", []string{"k2", "k1"}},
		{"spaces ignored", "  k2 : " + k2 + " , k1:" + k1 + "\n", "k2", []string{"k2", "k1"}},
		{"unpadded base64", "a:" + base64.RawStdEncoding.EncodeToString(testKey(3)), "a", []string{"a"}},
		{"url-safe base64", "a:" + base64.URLEncoding.EncodeToString(testKey(0xfb)), "a", []string{"a"}},
		{"id charset", "Prod_2026-01:" + k1, "Prod_2026-01", []string{"Prod_2026-01"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kr := mustRing(t, tt.in)
			if got := kr.CurrentKeyID(); got != tt.current {
				t.Errorf("CurrentKeyID = %q, want %q", got, tt.current)
			}
			if got := kr.KeyIDs(); !slices.Equal(got, tt.ids) {
				t.Errorf("KeyIDs = %q, want %q", got, tt.ids)
			}
		})
	}
}

func TestParseKeyRingErrors(t *testing.T) {
	k1 := b64(testKey(1))
	short := b64(testKey(1)[:16])
	tests := []struct {
		name string
		in   string
		want string // part of the message
	}{
		{"empty", "", "empty"},
		{"blank", "   ", "empty"},
		{"empty entry", "k1:" + k1 + ",", "entry 2 is empty"},
		{"missing id among several", "k1:" + k1 + "," + k1, "entry 2 has no id"},
		{"bad id", "k 1:" + k1, "entry 1: key id must be"},
		{"empty id", ":" + k1, "entry 1: key id must be"},
		{"long id", strings.Repeat("x", 33) + ":" + k1, "key id must be"},
		{"duplicate id", "k1:" + k1 + ",k1:" + k1, `key id "k1" appears more than once`},
		{"not base64", "k1:not*base64!", "not valid base64"},
		{"wrong length", "k1:" + short, "decodes to 16 bytes, want 32"},
		{"no key", "k1:", "key is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kr, err := ParseKeyRing(tt.in)
			if err == nil {
				t.Fatalf("ParseKeyRing = %v, want error", kr)
			}
			if !errors.Is(err, ErrKeyRing) {
				t.Errorf("error %v does not wrap ErrKeyRing", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// Key material must never reach an error message or a formatted ring, since
// both end up in logs.
func TestKeyMaterialNotEchoed(t *testing.T) {
	secretish := "SGVsbG9TZWNyZXRLZXlNYXRlcmlhbA" // valid base64, wrong length
	for _, in := range []string{secretish, "k1:" + secretish, "k1:" + secretish + "!!", "bad id:" + secretish} {
		_, err := ParseKeyRing(in)
		if err == nil {
			t.Fatalf("ParseKeyRing(%q) succeeded", in)
		}
		if strings.Contains(err.Error(), secretish) || strings.Contains(err.Error(), "SGVsbG9") {
			t.Errorf("error echoes key material: %v", err)
		}
	}
	k := b64(testKey(7))
	kr := mustRing(t, "k7:"+k)
	for _, s := range []string{kr.String(), fmt.Sprintf("%v %+v %#v %s", kr, kr, kr, kr), kr.LogValue().String()} {
		if strings.Contains(s, k) || strings.Contains(s, k[:8]) {
			t.Errorf("formatted ring shows key material: %s", s)
		}
	}
}

func TestNewKeyEntry(t *testing.T) {
	e, err := NewKeyEntry("k9")
	if err != nil {
		t.Fatal(err)
	}
	kr := mustRing(t, e)
	if kr.CurrentKeyID() != "k9" {
		t.Errorf("CurrentKeyID = %q", kr.CurrentKeyID())
	}
	if _, err := NewKeyEntry("bad id"); err == nil {
		t.Error("NewKeyEntry accepted an invalid id")
	}
}
