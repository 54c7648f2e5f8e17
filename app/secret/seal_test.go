package secret

import (
	"bytes"
	"errors"
	"testing"
)

var (
	portalA = []byte("a223c6b3710f85df22e9377d6c4f7553")
	portalB = []byte("010b0b6d2e0a4c3e8f1f2a3b4c5d6e7f")
)

func TestSealOpenRoundTrip(t *testing.T) {
	kr := mustRing(t, "k1:"+b64(testKey(1)))
	for _, pt := range [][]byte{nil, {}, []byte("x"), []byte("ydtj8pho532wydb5ixk78ol7uqlb7sch"), bytes.Repeat([]byte{0}, 4096)} {
		sealed := kr.Seal(pt, portalA)
		got, err := kr.Open(sealed, portalA)
		if err != nil {
			t.Fatalf("Open(Seal(%d bytes)): %v", len(pt), err)
		}
		if !bytes.Equal(got, pt) {
			t.Fatalf("round trip of %d bytes gave %d bytes", len(pt), len(got))
		}
		if id, err := KeyID(sealed); err != nil || id != "k1" {
			t.Errorf("KeyID = %q, %v; want k1", id, err)
		}
		if len(pt) >= 16 && bytes.Contains(sealed, pt) { // short ones may occur by chance
			t.Error("sealed value contains the plaintext")
		}
	}
}

func TestSealUsesFreshNonces(t *testing.T) {
	kr := mustRing(t, b64(testKey(1)))
	a, b := kr.Seal([]byte("token"), portalA), kr.Seal([]byte("token"), portalA)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext are identical")
	}
}

func TestSealedLayout(t *testing.T) {
	kr := mustRing(t, "key-2:"+b64(testKey(2)))
	sealed := kr.Seal([]byte("abc"), nil)
	if sealed[0] != 1 {
		t.Errorf("version byte = %d, want 1", sealed[0])
	}
	if int(sealed[1]) != len("key-2") || string(sealed[2:7]) != "key-2" {
		t.Errorf("key id field = %q", sealed[1:7])
	}
	if want := 2 + 5 + 12 + 3 + 16; len(sealed) != want {
		t.Errorf("len = %d, want %d", len(sealed), want)
	}
}

func TestOpenFailures(t *testing.T) {
	kr := mustRing(t, "k1:"+b64(testKey(1)))
	sealed := kr.Seal([]byte("refresh-token"), portalA)

	flip := func(i int) []byte {
		c := bytes.Clone(sealed)
		c[i] ^= 0x01
		return c
	}
	other := mustRing(t, "k1:"+b64(testKey(9))) // same id, different key
	tests := []struct {
		name   string
		ring   *KeyRing
		sealed []byte
		ad     []byte
		want   error
	}{
		{"wrong associated data", kr, sealed, portalB, ErrDecrypt},
		{"missing associated data", kr, sealed, nil, ErrDecrypt},
		{"flipped ciphertext byte", kr, flip(len(sealed) - 20), portalA, ErrDecrypt},
		{"flipped tag byte", kr, flip(len(sealed) - 1), portalA, ErrDecrypt},
		{"flipped nonce byte", kr, flip(5), portalA, ErrDecrypt},
		{"same id other key", other, sealed, portalA, ErrDecrypt},
		{"unknown version", kr, append([]byte{2}, sealed[1:]...), portalA, ErrMalformed},
		{"truncated", kr, sealed[:len(sealed)-17], portalA, ErrMalformed},
		{"empty", kr, nil, portalA, ErrMalformed},
		{"zero id length", kr, append([]byte{1, 0}, sealed[2:]...), portalA, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.ring.Open(tt.sealed, tt.ad)
			if err == nil {
				t.Fatalf("Open succeeded with %q", got)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

// The key id is authenticated: relabelling a value with another id of the
// ring fails even when both ids hold the same key.
func TestOpenRelabelledKeyID(t *testing.T) {
	k := b64(testKey(1))
	kr := mustRing(t, "k1:"+k+",k2:"+k)
	sealed := kr.Seal([]byte("t"), portalA)
	relabelled := bytes.Clone(sealed)
	relabelled[3] = '2'
	if _, err := kr.Open(relabelled, portalA); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("error = %v, want ErrDecrypt", err)
	}
}

func TestOpenUnknownKey(t *testing.T) {
	old := mustRing(t, "k1:"+b64(testKey(1)))
	sealed := old.Seal([]byte("t"), portalA)
	next := mustRing(t, "k2:"+b64(testKey(2)))
	_, err := next.Open(sealed, portalA)
	if !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("error = %v, want ErrUnknownKey", err)
	}
}

func TestRotation(t *testing.T) {
	k1, k2 := b64(testKey(1)), b64(testKey(2))
	before := mustRing(t, "k1:"+k1)
	during := mustRing(t, "k2:"+k2+",k1:"+k1)
	after := mustRing(t, "k2:"+k2)

	old := before.Seal([]byte("access"), portalA)
	if before.NeedsReseal(old) {
		t.Error("value sealed with the current key needs reseal")
	}
	if !during.NeedsReseal(old) {
		t.Error("value sealed with the previous key does not need reseal")
	}
	if got, err := during.Open(old, portalA); err != nil || string(got) != "access" {
		t.Fatalf("ring with both keys cannot open old value: %q, %v", got, err)
	}
	resealed, err := during.Reseal(old, portalA)
	if err != nil {
		t.Fatal(err)
	}
	if during.NeedsReseal(resealed) {
		t.Error("resealed value still needs reseal")
	}
	if again, _ := during.Reseal(resealed, portalA); !bytes.Equal(again, resealed) {
		t.Error("Reseal of a current value changed it")
	}
	if got, err := after.Open(resealed, portalA); err != nil || string(got) != "access" {
		t.Fatalf("ring without the old key cannot open resealed value: %q, %v", got, err)
	}
	if _, err := during.Reseal(old, portalB); !errors.Is(err, ErrDecrypt) {
		t.Errorf("Reseal with wrong associated data: %v, want ErrDecrypt", err)
	}
	if !during.NeedsReseal([]byte("garbage")) {
		t.Error("unreadable value does not need reseal")
	}
}

func TestTokenHash(t *testing.T) {
	const tok = "ec1b5e6d3f9a4b7c8d2e1f0a9b8c7d6e"
	h := HashToken(tok)
	if len(h) != 32 {
		t.Fatalf("hash length %d", len(h))
	}
	if !bytes.Equal(h, HashToken(tok)) {
		t.Error("HashToken is not deterministic")
	}
	tests := []struct {
		name      string
		hash      []byte
		presented string
		want      bool
	}{
		{"same token", h, tok, true},
		{"other token", h, tok[:31] + "f", false},
		{"prefix", h, tok[:16], false},
		{"empty presented", HashToken(""), "", false},
		{"nil hash", nil, tok, false},
		{"short hash", h[:16], tok, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TokenMatches(tt.hash, tt.presented); got != tt.want {
				t.Errorf("TokenMatches = %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzOpen(f *testing.F) {
	kr := mustRing(f, "k2:"+b64(testKey(2))+",k1:"+b64(testKey(1)))
	f.Add(kr.Seal([]byte("token"), portalA), portalA)
	f.Add([]byte{}, []byte{})
	f.Add([]byte{1}, portalA)
	f.Add([]byte{1, 2, 'k', '1'}, portalA)
	f.Add([]byte{1, 255, 'k'}, portalA)
	f.Fuzz(func(t *testing.T, sealed, ad []byte) {
		got, err := kr.Open(sealed, ad)
		if err == nil {
			// Anything that opens must be a genuine value: re-sealing and
			// opening it again must give the same plaintext.
			again, err := kr.Open(kr.Seal(got, ad), ad)
			if err != nil || !bytes.Equal(again, got) {
				t.Fatalf("re-seal round trip failed: %v", err)
			}
		}
		kr.NeedsReseal(sealed)
		KeyID(sealed)
	})
}
