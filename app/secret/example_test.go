package secret_test

import (
	"fmt"
	"strings"

	"github.com/trailhq/trail/app/secret"
)

func Example() {
	// ENCRYPTION_KEY during a rotation: k2 seals, k1 still opens old rows.
	k1 := "k1:" + strings.Repeat("A", 43) + "="
	k2 := "k2:" + strings.Repeat("B", 43) + "="
	old, _ := secret.ParseKeyRing(k1)
	ring, err := secret.ParseKeyRing(k2 + "," + k1)
	if err != nil {
		fmt.Println(err)
		return
	}

	memberID := []byte("a223c6b3710f85df22e9377d6c4f7553")
	stored := old.Seal([]byte("refresh-token"), memberID)

	fmt.Println(ring.NeedsReseal(stored))
	stored, _ = ring.Reseal(stored, memberID)
	fmt.Println(ring.NeedsReseal(stored))
	token, _ := ring.Open(stored, memberID)
	fmt.Println(string(token))

	_, err = ring.Open(stored, []byte("another portal"))
	fmt.Println(err)
	// Output:
	// true
	// false
	// refresh-token
	// secret: cannot decrypt: value altered or associated data differs
}

func ExampleParseKeyRing_errors() {
	_, err := secret.ParseKeyRing("k1:c2hvcnQ=")
	fmt.Println(err)
	// Output: invalid key ring: entry 1 (id "k1"): key decodes to 5 bytes, want 32
}
