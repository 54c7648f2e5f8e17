package b24

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"
)

// PublicOnly is a net.Dialer Control function that refuses to connect to
// addresses that are not on the public internet: loopback, private,
// link-local, unspecified, multicast and shared (carrier-grade NAT)
// addresses. It runs after name resolution, on the address actually
// dialled, so a portal name that resolves (or is re-pointed) to an internal
// address is refused too.
func PublicOnly(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("b24: dial %s: %w", address, err)
	}
	if !isPublic(ap.Addr()) {
		return fmt.Errorf("b24: dial %s: %w", address, ErrNonPublicAddress)
	}
	return nil
}

// sharedSpace is 100.64.0.0/10 (RFC 6598), used inside carrier and cloud
// networks.
var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")

func isPublic(a netip.Addr) bool {
	a = a.Unmap()
	// IsGlobalUnicast already excludes loopback, link-local, multicast and
	// unspecified addresses.
	return a.IsGlobalUnicast() && !a.IsPrivate() && !sharedSpace.Contains(a) && !(a.Is4() && a.As4()[0] == 0)
}

// ErrNonPublicAddress: a portal address resolved to a loopback, private or
// link-local address, which PublicOnly does not dial.
var ErrNonPublicAddress = errors.New("address is not public")
