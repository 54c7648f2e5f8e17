package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// KeySize is the length in bytes of every key in a ring (AES-256).
const KeySize = 32

// DefaultKeyID is the id given to a key written without one, so a ring can
// start as a single bare key and gain ids when the first rotation happens.
const DefaultKeyID = "k0"

// maxKeyIDLen bounds key ids: an id is stored in every sealed value, and its
// length must fit the one-byte length field of the format.
const maxKeyIDLen = 32

// ErrKeyRing is wrapped by every ParseKeyRing error, so configuration code can
// recognise them with errors.Is.
var ErrKeyRing = errors.New("invalid key ring")

// KeyRing holds the keys tokens are sealed and opened with. The first key is
// the current one and seals new values; every key opens values it sealed.
// A KeyRing is safe for concurrent use; it is never modified after parsing.
type KeyRing struct {
	current string
	ids     []string // in configuration order, current first
	aeads   map[string]cipher.AEAD
}

// ParseKeyRing reads a key ring from its configuration text:
//
//	id:base64key[,id:base64key...]
//
// for example "k2:BASE64,k1:BASE64". The first entry is the current key, used
// to seal; all entries are used to open. An id is 1 to 32 characters from
// [A-Za-z0-9_-] and must be unique in the ring. A key is 32 random bytes in
// standard or URL-safe base64, padded or not (e.g. `openssl rand -base64 32`).
// A single entry without an id ("BASE64") is accepted and gets the id "k0".
// Spaces around entries are ignored.
//
// Errors say which entry is wrong and what was expected, and never contain
// key material, so they can be shown as they are.
func ParseKeyRing(s string) (*KeyRing, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("%w: empty; want id:base64key[,id:base64key...] with 32-byte keys", ErrKeyRing)
	}
	entries := strings.Split(s, ",")
	kr := &KeyRing{aeads: make(map[string]cipher.AEAD, len(entries))}
	for i, entry := range entries {
		n := i + 1
		entry = strings.TrimSpace(entry)
		if entry == "" {
			return nil, fmt.Errorf("%w: entry %d is empty; want id:base64key", ErrKeyRing, n)
		}
		id, encoded, hasID := strings.Cut(entry, ":")
		if !hasID {
			if len(entries) > 1 {
				return nil, fmt.Errorf("%w: entry %d has no id; with several keys each must be written id:base64key", ErrKeyRing, n)
			}
			id, encoded = DefaultKeyID, entry
		}
		id, encoded = strings.TrimSpace(id), strings.TrimSpace(encoded)
		if !validKeyID(id) {
			return nil, fmt.Errorf("%w: entry %d: key id must be 1-%d characters of A-Z a-z 0-9 _ -", ErrKeyRing, n, maxKeyIDLen)
		}
		if _, dup := kr.aeads[id]; dup {
			return nil, fmt.Errorf("%w: entry %d: key id %q appears more than once", ErrKeyRing, n, id)
		}
		key, err := decodeKey(encoded)
		if err != nil {
			return nil, fmt.Errorf("%w: entry %d (id %q): %v", ErrKeyRing, n, id, err)
		}
		aead, err := newAEAD(key)
		if err != nil {
			return nil, fmt.Errorf("%w: entry %d (id %q): %v", ErrKeyRing, n, id, err)
		}
		kr.aeads[id] = aead
		kr.ids = append(kr.ids, id)
	}
	kr.current = kr.ids[0]
	return kr, nil
}

// CurrentKeyID is the id of the key that seals new values.
func (kr *KeyRing) CurrentKeyID() string { return kr.current }

// KeyIDs lists the ring's key ids, current first.
func (kr *KeyRing) KeyIDs() []string { return append([]string(nil), kr.ids...) }

// String describes the ring without key material, so a KeyRing that ends up
// in a log line or an error message leaks nothing.
func (kr *KeyRing) String() string {
	return fmt.Sprintf("KeyRing(current=%s, keys=%s)", kr.current, strings.Join(kr.ids, ","))
}

// GoString is String, for %#v.
func (kr *KeyRing) GoString() string { return kr.String() }

// LogValue implements slog.LogValuer with the same redaction as String.
func (kr *KeyRing) LogValue() slog.Value {
	return slog.GroupValue(slog.String("current", kr.current), slog.Any("ids", kr.ids))
}

func validKeyID(id string) bool {
	if id == "" || len(id) > maxKeyIDLen {
		return false
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-'
		if !ok {
			return false
		}
	}
	return true
}

// decodeKey accepts the base64 dialects people paste from key generators.
// Its errors describe the shape of the input only, never its content.
func decodeKey(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("key is empty; want 32 bytes in base64")
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		key, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("key decodes to %d bytes, want %d", len(key), KeySize)
		}
		return key, nil
	}
	return nil, fmt.Errorf("key is not valid base64; want %d bytes in base64", KeySize)
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
