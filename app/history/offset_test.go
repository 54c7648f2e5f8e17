package history

import (
	"encoding/json"
	"testing"
)

func TestOffset(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]int32{
		`{"DATE_MODIFY":"2024-08-30T14:29:00+02:00","DATE_CREATE":"2024-01-30T14:29:00+01:00"}`: 7200,
		`{"DATE_CREATE":"2024-01-30T14:29:00+01:00"}`:                                           3600,
		`{"DATE_MODIFY":"2024-08-30T14:29:00Z"}`:                                                0,
		`{"DATE_MODIFY":"2024-08-30T09:29:00-05:00"}`:                                           -18000,
	} {
		s, err := ParseSnapshot(json.RawMessage(raw))
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := Offset(s); !ok || got != want {
			t.Errorf("Offset(%s) = %d %v, want %d", raw, got, ok, want)
		}
	}
	for _, raw := range []string{`{}`, `{"DATE_MODIFY":"2024-08-30 14:29:00"}`, `{"DATE_MODIFY":""}`} {
		s, _ := ParseSnapshot(json.RawMessage(raw))
		if _, ok := Offset(s); ok {
			t.Errorf("Offset(%s) claims an offset", raw)
		}
	}
}
