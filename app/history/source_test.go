package history

import (
	"encoding/json"
	"testing"
)

func TestClassifySource(t *testing.T) {
	tests := []struct {
		name string
		in   Origin
		want Source
	}{
		{"event with user tokens", Origin{Delivery: DeliveryEvent, UserAuth: true}, SourcePerson},
		{"event without user tokens", Origin{Delivery: DeliveryEvent}, SourceAutomation},
		{"event from a labelled integration", Origin{Delivery: DeliveryEvent, UserAuth: true, AuthConnector: "erp"}, SourceIntegration},
		{"offline with user", Origin{Delivery: DeliveryOffline, UserAuth: true}, SourcePerson},
		{"offline without user", Origin{Delivery: DeliveryOffline}, SourceUnknown},
		{"offline from a labelled integration", Origin{Delivery: DeliveryOffline, AuthConnector: "erp"}, SourceIntegration},
		{"reconciliation", Origin{Delivery: DeliveryReconcile}, SourceUnknown},
		{"reconciliation ignores auth", Origin{Delivery: DeliveryReconcile, UserAuth: true}, SourceUnknown},
		{"zero origin", Origin{}, SourceUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClassifySource(tt.in); got != tt.want {
				t.Errorf("ClassifySource(%+v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestEnumText(t *testing.T) {
	for s := range Source(len(sourceNames)) {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back Source
		if err := json.Unmarshal(b, &back); err != nil || back != s {
			t.Errorf("Source %v round trip: %s → %v, %v", s, b, back, err)
		}
	}
	for a := range Action(len(actionNames)) {
		b, _ := json.Marshal(a)
		var back Action
		if err := json.Unmarshal(b, &back); err != nil || back != a {
			t.Errorf("Action %v round trip: %s → %v, %v", a, b, back, err)
		}
	}
	for k := range ChangeKind(len(changeKindNames)) {
		b, _ := json.Marshal(k)
		var back ChangeKind
		if err := json.Unmarshal(b, &back); err != nil || back != k {
			t.Errorf("ChangeKind %v round trip: %s → %v, %v", k, b, back, err)
		}
	}
	if _, err := json.Marshal(Source(99)); err == nil {
		t.Error("out-of-range Source marshalled")
	}
	if Source(99).String() != "Source(99)" || Action(9).String() != "Action(9)" || ChangeKind(9).String() != "ChangeKind(9)" || Kind(99).String() != "Kind(99)" {
		t.Error("out-of-range String")
	}
	var s Source
	if err := s.UnmarshalText([]byte("robot")); err == nil {
		t.Error("unknown source name accepted")
	}
}
