package secret

import (
	"crypto/sha256"
	"crypto/subtle"
)

// tokenHashPrefix separates these hashes from any other SHA-256 use, so a
// stored hash can never be mistaken for (or reused as) another kind of digest.
const tokenHashPrefix = "trail application_token v1\x00"

// HashToken returns the value to store for a portal's application_token.
//
// It is plain SHA-256, not an HMAC keyed from the ring, on purpose:
// application tokens are 32 random hex characters (128 bits) chosen by
// Bitrix24, so a leaked hash cannot be brute-forced and a secret key adds no
// protection; and tying the hash to ENCRYPTION_KEY would make every stored
// hash unmatchable after a key rotation. Low-entropy secrets (passwords)
// would need a slow KDF instead; this function is not for them.
func HashToken(token string) []byte {
	h := sha256.New()
	h.Write([]byte(tokenHashPrefix))
	h.Write([]byte(token))
	return h.Sum(nil)
}

// TokenMatches reports whether presented is the token whose HashToken is
// hash, in time independent of where the two differ. An empty presented
// token never matches, so a request without a token cannot match a row whose
// token was stored empty by mistake.
func TokenMatches(hash []byte, presented string) bool {
	if presented == "" || len(hash) != sha256.Size {
		return false
	}
	return subtle.ConstantTimeCompare(hash, HashToken(presented)) == 1
}
