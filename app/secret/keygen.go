package secret

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
)

// NewKeyEntry returns a fresh random key written as one ENCRYPTION_KEY entry,
// "id:base64key", ready to be put in front of the current setting when
// rotating.
func NewKeyEntry(id string) (string, error) {
	if !validKeyID(id) {
		return "", fmt.Errorf("%w: key id must be 1-%d characters of A-Z a-z 0-9 _ -", ErrKeyRing, maxKeyIDLen)
	}
	key := make([]byte, KeySize)
	rand.Read(key)
	return id + ":" + base64.StdEncoding.EncodeToString(key), nil
}
