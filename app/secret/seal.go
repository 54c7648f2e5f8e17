package secret

import (
	"crypto/rand"
	"errors"
	"fmt"
)

// formatVersion is the first byte of every sealed value. A new layout gets a
// new number, and Open keeps reading the old ones.
const formatVersion byte = 1

// Sealed values are laid out as
//
//	version (1 byte) | key id length (1 byte) | key id | nonce (12 bytes) | ciphertext and GCM tag
//
// The header (version, length, id) is authenticated together with the
// caller's associated data, so a value cannot be relabelled with another key
// id or replayed under another format version.
const (
	nonceSize = 12 // GCM standard nonce
	tagSize   = 16
)

var (
	// ErrMalformed means the bytes are not a sealed value of a known format.
	ErrMalformed = errors.New("secret: malformed sealed value")
	// ErrUnknownKey means the value was sealed with a key that is not in the
	// ring, typically because it was removed too early after a rotation.
	ErrUnknownKey = errors.New("secret: sealed with a key not in the ring")
	// ErrDecrypt means authentication failed: the value was altered, or it
	// is opened with other associated data than it was sealed with (for
	// example another portal's row).
	ErrDecrypt = errors.New("secret: cannot decrypt: value altered or associated data differs")
)

// Seal encrypts plaintext with the current key. associatedData is not stored
// but must be given again to Open; pass the identity of the row's owner (the
// portal's member_id) so a value copied to another portal's row is refused.
//
// Each call draws a fresh random 96-bit nonce. That is safe well beyond the
// volume of tokens Trail stores per key (NIST's 2^32 messages per key).
func (kr *KeyRing) Seal(plaintext, associatedData []byte) []byte {
	id := kr.current
	aead := kr.aeads[id]
	headerLen := 2 + len(id)
	out := make([]byte, headerLen+nonceSize, headerLen+nonceSize+len(plaintext)+aead.Overhead())
	out[0] = formatVersion
	out[1] = byte(len(id))
	copy(out[2:], id)
	nonce := out[headerLen : headerLen+nonceSize]
	rand.Read(nonce) // never fails: crypto/rand aborts the program instead
	return aead.Seal(out, nonce, plaintext, authData(out[:headerLen], associatedData))
}

// Open decrypts a value made by Seal with the same associatedData. Errors
// wrap ErrMalformed, ErrUnknownKey or ErrDecrypt.
func (kr *KeyRing) Open(sealed, associatedData []byte) ([]byte, error) {
	h, err := parseHeader(sealed)
	if err != nil {
		return nil, err
	}
	aead, ok := kr.aeads[h.keyID]
	if !ok {
		return nil, fmt.Errorf("%w: key id %q", ErrUnknownKey, h.keyID)
	}
	plaintext, err := aead.Open(nil, h.nonce, h.ciphertext, authData(sealed[:h.len], associatedData))
	if err != nil {
		return nil, ErrDecrypt
	}
	return plaintext, nil
}

// NeedsReseal reports whether sealed was made with a key other than the
// current one (or is unreadable), so a rotation job knows which rows to
// re-seal. It does not decrypt.
func (kr *KeyRing) NeedsReseal(sealed []byte) bool {
	h, err := parseHeader(sealed)
	return err != nil || h.keyID != kr.current
}

// Reseal opens sealed and seals the plaintext again with the current key. It
// returns sealed itself when it already uses the current key.
func (kr *KeyRing) Reseal(sealed, associatedData []byte) ([]byte, error) {
	if !kr.NeedsReseal(sealed) {
		return sealed, nil
	}
	plaintext, err := kr.Open(sealed, associatedData)
	if err != nil {
		return nil, err
	}
	defer clear(plaintext)
	return kr.Seal(plaintext, associatedData), nil
}

// KeyID returns the id of the key that sealed a value, without decrypting.
func KeyID(sealed []byte) (string, error) {
	h, err := parseHeader(sealed)
	if err != nil {
		return "", err
	}
	return h.keyID, nil
}

type header struct {
	len        int // bytes of version, id length and id
	keyID      string
	nonce      []byte
	ciphertext []byte
}

func parseHeader(b []byte) (header, error) {
	if len(b) < 2 {
		return header{}, fmt.Errorf("%w: %d bytes", ErrMalformed, len(b))
	}
	if b[0] != formatVersion {
		return header{}, fmt.Errorf("%w: unknown format version %d", ErrMalformed, b[0])
	}
	idLen := int(b[1])
	if idLen == 0 || idLen > maxKeyIDLen {
		return header{}, fmt.Errorf("%w: key id length %d", ErrMalformed, idLen)
	}
	hl := 2 + idLen
	if len(b) < hl+nonceSize+tagSize {
		return header{}, fmt.Errorf("%w: %d bytes is too short", ErrMalformed, len(b))
	}
	id := string(b[2:hl])
	if !validKeyID(id) {
		return header{}, fmt.Errorf("%w: bad key id", ErrMalformed)
	}
	return header{len: hl, keyID: id, nonce: b[hl : hl+nonceSize], ciphertext: b[hl+nonceSize:]}, nil
}

// authData joins the header and the caller's associated data. The header has
// its own length inside, so the split between the two parts is unambiguous.
func authData(header, associatedData []byte) []byte {
	ad := make([]byte, 0, len(header)+len(associatedData))
	return append(append(ad, header...), associatedData...)
}
