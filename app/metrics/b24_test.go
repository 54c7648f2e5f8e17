package metrics

import (
	"fmt"
	"strings"
	"testing"

	"github.com/trailhq/trail/app/b24"
)

func TestFamilyIsBounded(t *testing.T) {
	t.Parallel()
	for method, want := range map[string]string{
		"batch":                   "batch",
		"crm.deal.list":           "crm.deal",
		"CRM.Deal.Get":            "crm.deal",
		"crm.item.list":           "crm.item",
		"crm.type.list":           "crm.type",
		"crm.category.list":       "crm.category",
		"userfieldconfig.list":    "userfieldconfig.list",
		"crm.madeup.thing":        "crm.other",
		"event.offline.get":       "event.offline",
		"oauth.token":             "oauth.token",
		"portal-42.evil.method":   "other",
		"":                        "other",
		"user.current":            "user.current",
		"disk.folder.getchildren": "other",
	} {
		if got := family(method); got != want {
			t.Errorf("family(%q) = %q, want %q", method, got, want)
		}
	}
}

func TestObserveCallLabels(t *testing.T) {
	t.Parallel()
	m := New()
	m.ObserveCall(b24.Event{Portal: "a1b2c3", Method: "crm.deal.list", Status: 200})
	m.ObserveCall(b24.Event{Portal: "a1b2c3", Method: "batch", Status: 503, Err: fmt.Errorf("x: %w", b24.ErrRateLimited)})
	m.ObserveCall(b24.Event{Portal: "d4e5f6", Method: "oauth.token", Status: 0, Err: b24.ErrTransport})
	got := map[string]float64{}
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "trail_b24_") {
			continue
		}
		for _, s := range mf.GetMetric() {
			key := mf.GetName()
			for _, l := range s.GetLabel() {
				key += " " + l.GetName() + "=" + l.GetValue()
				if strings.Contains(l.GetValue(), "a1b2c3") || strings.Contains(l.GetValue(), "d4e5f6") {
					t.Errorf("a portal became a label: %s", key)
				}
			}
			got[key] = s.GetCounter().GetValue()
		}
	}
	for key, want := range map[string]float64{
		"trail_b24_requests_total error=rate_limited family=batch status=5xx":     1,
		"trail_b24_requests_total error= family=crm.deal status=2xx":              1,
		"trail_b24_requests_total error=transport family=oauth.token status=none": 1,
		"trail_b24_token_refreshes_total outcome=failed":                          1,
	} {
		if got[key] != want {
			t.Errorf("%s = %v, want %v", key, got[key], want)
		}
	}
}
