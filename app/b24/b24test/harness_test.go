package b24test

import (
	"net/http"
	"testing"
)

// A server made for a test is ready at once and closed when the test ends.
func TestNewTestServerLivesAsLongAsTheTest(t *testing.T) {
	var url string
	t.Run("user", func(t *testing.T) {
		s := NewTestServer(t, Options{Portals: 1, Deals: 1})
		url = s.URL
		resp, err := s.Client().Get(s.Portals()[0].WebhookURL() + "crm.deal.list")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("webhook call = %d", resp.StatusCode)
		}
	})
	if resp, err := http.Get(url + "/_emulator/portals"); err == nil {
		resp.Body.Close()
		t.Fatal("the server still answers after its test ended")
	}
}
