package portal

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/trailhq/trail/app/b24"
)

// Production never dials a loopback portal; development reaches *.localhost
// on loopback.
func TestHTTPClientDialsPublicAddressesInProduction(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)

	_, err := HTTPClient(false).Get(srv.URL)
	if !errors.Is(err, b24.ErrNonPublicAddress) {
		t.Fatalf("production client reached %s: err = %v", srv.URL, err)
	}
	_, err = HTTPClient(false).Get("http://localhost:" + u.Port())
	if !errors.Is(err, b24.ErrNonPublicAddress) {
		t.Fatalf("production client reached localhost: err = %v", err)
	}
	resp, err := HTTPClient(true).Get("http://portal.localhost:" + u.Port())
	if err != nil {
		t.Fatalf("development client: %v", err)
	}
	resp.Body.Close()
}
