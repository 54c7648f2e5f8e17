// Package secret keeps Trail's stored credentials unreadable at rest.
//
// OAuth access and refresh tokens must be sent back to Bitrix24, so they are
// encrypted (AES-256-GCM) with a key ring taken from the ENCRYPTION_KEY
// setting; see ParseKeyRing for its format. Application tokens only ever need
// to be compared with what a portal presents, so they are hashed instead
// (HashToken, TokenMatches).
//
// A sealed value names the key that sealed it, so keys can be rotated without
// a flag day: put the new key first, keep the old one after it, re-seal rows
// for which NeedsReseal reports true, then drop the old key.
package secret
