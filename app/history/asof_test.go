package history

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// asofSchema has a field of every shape a record's state holds.
var asofSchema = &Schema{Fields: map[string]Field{
	"TITLE":          {Name: "TITLE", Type: TypeString},
	"OPPORTUNITY":    {Name: "OPPORTUNITY", Type: TypeDouble},
	"IS_MANUAL":      {Name: "IS_MANUAL", Type: TypeChar},
	"CLOSEDATE":      {Name: "CLOSEDATE", Type: TypeDateTime},
	"STAGE_ID":       {Name: "STAGE_ID", Type: TypeStatus},
	"UF_MONEY":       {Name: "UF_MONEY", Type: TypeMoney},
	"UF_TAGS":        {Name: "UF_TAGS", Type: TypeEnumeration, Multiple: true},
	"UF_FILE":        {Name: "UF_FILE", Type: TypeFile},
	"UF_LATE":        {Name: "UF_LATE", Type: TypeString},
	"UF_LATE_LIST":   {Name: "UF_LATE_LIST", Type: TypeEnumeration, Multiple: true},
	"PHONE":          {Name: "PHONE", Type: TypeMultifield, Multiple: true},
	"CONTACT_IDS":    {Name: "CONTACT_IDS", Type: TypeContact, Multiple: true},
	ProductRows:      {Name: ProductRows, Type: TypeProductRow, Multiple: true},
	"DATE_MODIFY":    {Name: "DATE_MODIFY", Type: TypeDateTime},
	"UF_UNKNOWNTYPE": {Name: "UF_UNKNOWNTYPE"},
}}

// lateFields join the record's state only after a while (fields added to
// the portal after tracking began).
var lateFields = []string{"UF_LATE", "UF_LATE_LIST"}

// randomValue is a raw value of the field as the portal could return it,
// often empty, in the spellings Bitrix24 uses.
func randomValue(r *rand.Rand, name string, prev json.RawMessage) json.RawMessage {
	if r.IntN(5) == 0 {
		return json.RawMessage([]string{`null`, `""`, `[]`, `false`}[r.IntN(3)])
	}
	var v any
	switch name {
	case "TITLE", "UF_LATE":
		v = []string{"Deal", " Deal ", "Big deal", "Другая сделка", "a\r\nb"}[r.IntN(5)]
	case "OPPORTUNITY":
		v = []string{"100", "100.00", "250.5", "0", "1e3"}[r.IntN(5)]
	case "IS_MANUAL":
		v = []string{"Y", "N", "1", "0"}[r.IntN(4)]
	case "CLOSEDATE":
		v = []string{"2026-01-02T10:00:00+03:00", "2026-01-02T07:00:00+00:00", "2026-02-01T00:00:00+01:00"}[r.IntN(3)]
	case "STAGE_ID":
		v = []string{"NEW", "WON", "C2:PREPARATION"}[r.IntN(3)]
	case "UF_MONEY":
		v = []string{"100|USD", "100.00|USD", "5|EUR", "|RUB"}[r.IntN(4)]
	case "UF_FILE":
		v = map[string]any{"id": r.IntN(4) + 1, "downloadUrl": fmt.Sprintf("/d?token=%d", r.Int())}
	case "UF_UNKNOWNTYPE":
		v = []any{"x", 7, true}[r.IntN(3)]
	case "UF_TAGS", "UF_LATE_LIST", "CONTACT_IDS":
		v = subset(r, []any{"1", "2", "3", 4, "15"})
	case "PHONE":
		v = phones(r, prev)
	case ProductRows:
		v = rows(r, prev)
	}
	b, _ := json.Marshal(v)
	return b
}

func subset(r *rand.Rand, from []any) []any {
	var out []any
	for _, e := range from {
		if r.IntN(2) == 0 {
			out = append(out, e)
		}
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// phones edits, adds and removes multi-field items, keeping IDs.
func phones(r *rand.Rand, prev json.RawMessage) []map[string]any {
	var items []map[string]any
	_ = json.Unmarshal(prev, &items)
	out := items[:0]
	for _, it := range items {
		switch r.IntN(4) {
		case 0: // removed
		case 1:
			it["VALUE"] = fmt.Sprintf("+7 %03d", r.IntN(1000))
			out = append(out, it)
		case 2:
			it["VALUE_TYPE"] = []string{"WORK", "MOBILE"}[r.IntN(2)]
			out = append(out, it)
		default:
			out = append(out, it)
		}
	}
	for range r.IntN(3) {
		out = append(out, map[string]any{"ID": fmt.Sprint(r.IntN(50) + 1), "VALUE": fmt.Sprintf("+1 %03d", r.IntN(1000)), "VALUE_TYPE": "WORK", "TYPE_ID": "PHONE"})
	}
	return uniqueBy(out, "ID")
}

// rows edits, adds and removes product rows, keeping row ids.
func rows(r *rand.Rand, prev json.RawMessage) []map[string]any {
	var rs []map[string]any
	_ = json.Unmarshal(prev, &rs)
	out := rs[:0]
	for _, row := range rs {
		switch r.IntN(4) {
		case 0:
		case 1:
			row["quantity"] = r.IntN(5) + 1
			out = append(out, row)
		case 2:
			row["price"] = fmt.Sprintf("%d.00", r.IntN(900)+100)
			out = append(out, row)
		default:
			out = append(out, row)
		}
	}
	for range r.IntN(3) {
		out = append(out, map[string]any{"id": r.IntN(50) + 1, "productId": r.IntN(3), "productName": "Widget",
			"price": "10.00", "quantity": 1, "discountTypeId": 2, "discountRate": r.IntN(2) * 10, "taxRate": nil, "taxIncluded": "N", "measureName": "pcs"})
	}
	return uniqueBy(out, "id")
}

func uniqueBy(items []map[string]any, key string) []map[string]any {
	seen := map[string]bool{}
	var out []map[string]any
	for _, it := range items {
		k := fmt.Sprint(it[key])
		if !seen[k] {
			seen[k] = true
			out = append(out, it)
		}
	}
	return out
}

// stored is a change as a history row keeps it and the tab reads it back:
// values as JSON, empty ones as NULL.
func stored(t *testing.T, c Change) Change {
	t.Helper()
	out := Change{Field: c.Field, Kind: c.Kind}
	for _, p := range []struct{ from, to *Value }{{&c.Old, &out.Old}, {&c.New, &out.New}} {
		if p.from.IsEmpty() {
			continue
		}
		b, err := json.Marshal(*p.from)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, p.to); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// moment is what was current at a time: the stored state, whether the
// record existed, and the fields the stored state knew.
type moment struct {
	at      time.Time
	snap    Snapshot
	exists  bool
	created bool // the record's life began with a recorded creation
}

// TestStateAtEqualsRecordedStates drives random change sequences through
// Diff as the drains do (creation, updates, deletion, restoration, fields
// added later) and checks that reconstructing the record at every moment,
// from the last stored state and the stored rows alone, gives back exactly
// the state that was current then.
func TestStateAtEqualsRecordedStates(t *testing.T) {
	for seed := range uint64(400) {
		r := rand.New(rand.NewPCG(seed, 7))
		checkSequence(t, seed, r)
	}
}

func checkSequence(t *testing.T, seed uint64, r *rand.Rand) {
	t.Helper()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	names := make([]string, 0, len(asofSchema.Fields))
	for n := range asofSchema.Fields {
		if !slices.Contains(lateFields, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	cur := Snapshot{}
	for _, n := range names {
		cur[n] = randomValue(r, n, nil)
	}
	created := r.IntN(2) == 0
	var (
		steps   []Step // oldest first while recording
		learned = map[string]time.Time{}
		moments = []moment{{at: base, snap: cur, exists: true, created: created}}
		gone    bool
		around  = map[int64][2]int{} // step ID → the moments just before and just after it (-1: none)
	)
	record := func(s Step, before, after int) {
		s.ID = int64(len(steps) + 1)
		steps = append(steps, storedStep(t, s))
		around[s.ID] = [2]int{before, after}
	}
	if created {
		record(Step{Action: Created, At: base, Changes: NewCreation(asofSchema, cur).Changes}, -1, 0)
	}
	for i := 1; i <= 12; i++ {
		at := base.Add(time.Duration(i) * time.Minute)
		if !gone && r.IntN(10) == 0 {
			record(Step{Action: Deleted, At: at, Changes: NewDeletion(asofSchema, cur).Changes}, len(moments)-1, len(moments))
			gone = true
			moments = append(moments, moment{at: at, snap: cur})
			continue
		}
		next := Snapshot{}
		for k, v := range cur {
			next[k] = v
			if r.IntN(3) == 0 {
				next[k] = randomValue(r, k, v)
			}
		}
		next["DATE_MODIFY"] = json.RawMessage(fmt.Sprintf("%q", at.Format(time.RFC3339)))
		if i > 4 {
			for _, late := range lateFields {
				if _, ok := next[late]; !ok && r.IntN(3) == 0 {
					next[late] = randomValue(r, late, nil)
				}
			}
		}
		for k := range next {
			if _, ok := cur[k]; !ok {
				learned[k] = at
			}
		}
		if gone { // a restoration leaves rows only when a tracked field changed
			next["TITLE"] = json.RawMessage(fmt.Sprintf("%q", "restored "+at.String()))
		}
		if cs := Diff(asofSchema, cur, next); len(cs) > 0 {
			record(Step{Action: Updated, At: at, Changes: cs}, len(moments)-1, len(moments))
		}
		cur, gone = next, false
		moments = append(moments, moment{at: at, snap: cur, exists: true})
	}
	slices.Reverse(steps)
	now := Values(asofSchema, cur)
	for _, m := range moments {
		for _, at := range []time.Time{m.at, m.at.Add(30 * time.Second)} {
			got := StateAt(now, steps, learned, Moment{At: at})
			if got.Gone != !m.exists {
				t.Fatalf("seed %d at %s: gone = %v, want %v", seed, at, got.Gone, !m.exists)
			}
			if diff := stateDiff(m.snap, learned, at, got); diff != "" {
				t.Fatalf("seed %d at %s: reconstruction differs from the recorded state:\n%s", seed, at, diff)
			}
		}
	}
	// Cut by change instead of by time: just before and just after each.
	for _, s := range steps {
		for side, m := range []Moment{{At: s.At.Add(-time.Microsecond), Until: s.ID}, {At: s.At, Until: s.ID + 1}} {
			i := around[s.ID][side]
			got := StateAt(now, steps, learned, m)
			if i < 0 {
				if !got.NotYet {
					t.Fatalf("seed %d: before the creation NotYet is false", seed)
				}
				continue
			}
			if diff := stateDiff(moments[i].snap, learned, m.At, got); diff != "" || got.Gone != !moments[i].exists {
				t.Fatalf("seed %d, side %d of step %d: gone = %v; differs:\n%s", seed, side, s.ID, got.Gone, diff)
			}
		}
	}
	if before := StateAt(now, steps, learned, Moment{At: base.Add(-time.Second)}); before.NotYet != created {
		t.Fatalf("seed %d: before the first state NotYet = %v, want %v", seed, before.NotYet, created)
	}
}

func storedStep(t *testing.T, s Step) Step {
	for i, c := range s.Changes {
		s.Changes[i] = stored(t, c)
	}
	return s
}

// stateDiff compares a reconstruction with the state recorded then: every
// field the recorded state knew has its value, every field it did not know
// is Unknown.
func stateDiff(want Snapshot, learned map[string]time.Time, at time.Time, got State) string {
	var out []string
	wantValues := Values(asofSchema, want)
	for name := range asofSchema.Fields {
		if IsSystemField(name) {
			continue
		}
		w, known := wantValues[name]
		if !known {
			w = Unknown
		}
		g, ok := got.Fields[name]
		if !ok && known {
			g = Value{}
		}
		if !ok && !known {
			continue // never known: absent is as good as Unknown
		}
		if !SameValue(w, g) {
			out = append(out, fmt.Sprintf("  %s: got %v, want %v (learned %v)", name, g, w, learned[name]))
		}
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

func TestStateAtMarksStatesOutsideTheRecordsLife(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	title := func(s string) Value { return Value{Kind: KindText, Text: s} }
	steps := []Step{ // newest first
		{Action: Deleted, At: t0.Add(2 * time.Hour), Changes: []Change{{Field: "TITLE", Old: title("B")}}},
		{Action: Updated, At: t0.Add(time.Hour), Changes: []Change{{Field: "TITLE", Old: title("A"), New: title("B")}}},
		{Action: Created, At: t0, Changes: []Change{{Field: "TITLE", New: title("A")}}},
	}
	cur := map[string]Value{"TITLE": title("B")}
	cases := []struct {
		at           time.Duration
		title        Value
		gone, notYet bool
	}{
		{-time.Second, Value{}, false, true},
		{0, title("A"), false, false},
		{time.Hour - time.Microsecond, title("A"), false, false},
		{time.Hour, title("B"), false, false},
		{2 * time.Hour, title("B"), true, false},
		{3 * time.Hour, title("B"), true, false},
	}
	for _, c := range cases {
		got := StateAt(cur, steps, nil, Moment{At: t0.Add(c.at)})
		if !SameValue(got.Fields["TITLE"], c.title) || got.Gone != c.gone || got.NotYet != c.notYet {
			t.Errorf("at +%v: got %v gone=%v notYet=%v, want %v gone=%v notYet=%v",
				c.at, got.Fields["TITLE"], got.Gone, got.NotYet, c.title, c.gone, c.notYet)
		}
	}
	if !cur["TITLE"].Equal(title("B")) {
		t.Errorf("StateAt changed the current state it was given: %v", cur["TITLE"])
	}
}
