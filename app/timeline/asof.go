package timeline

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// Past is what Trail holds of one record to show it as it was at any
// moment since Began: its last state and every recorded change.
type Past struct {
	Entity crm.Type
	ID     int64
	// Began is the earliest moment shown exactly: when tracking began (or
	// the recorded creation, if earlier), and no earlier than the history
	// the portal's retention keeps.
	Began time.Time
	// BeforeRetention: Began is where the retention period cuts the
	// history, not where tracking began.
	BeforeRetention bool

	current map[string]history.Value
	steps   []history.Step
	learned map[string]time.Time
	ignored func(string) bool
}

// LoadPast reads a record's last state and history; db.ErrNotFound when
// Trail has never tracked it. now bounds what the retention keeps.
func LoadPast(ctx context.Context, q bun.IDB, portalID int64, entity crm.Type, id int64, schema *history.Schema, now time.Time) (*Past, error) {
	snap, err := db.SnapshotOf(ctx, q, portalID, entity, id)
	if err != nil {
		return nil, err
	}
	set, err := db.LoadSettings(ctx, q, portalID)
	if err != nil {
		return nil, err
	}
	rows, err := db.RecordSteps(ctx, q, portalID, entity, id)
	if err != nil {
		return nil, err
	}
	cur, err := history.ParseSnapshot(snap.Data)
	if err != nil {
		cur = history.Snapshot{}
	}
	cur = history.Upgrade(schema, history.Format(snap.Format), cur)
	p := &Past{Entity: entity, ID: id, Began: snap.TrackedSince,
		current: history.Values(schema, cur), steps: Steps(rows), learned: snap.Learned,
		ignored: func(field string) bool { return set.Ignores(entity, field) }}
	if n := len(p.steps); n > 0 && p.steps[n-1].At.Before(p.Began) {
		p.Began = p.steps[n-1].At
	}
	if kept := now.AddDate(0, 0, -set.RetentionDays); set.RetentionDays > 0 && kept.After(p.Began) {
		p.Began, p.BeforeRetention = kept, true
	}
	return p, nil
}

// At is the record's state at moment m (see history.StateAt).
func (p *Past) At(m history.Moment) history.State {
	return history.StateAt(p.current, p.steps, p.learned, m)
}

// Tracked reports whether the admin tracks a field of the record.
func (p *Past) Tracked(field string) bool { return !p.ignored(field) }

// ChangedSince lists the fields changed after m by anyone but author (see
// history.ChangedSince).
func (p *Past) ChangedSince(m history.Moment, author int64) map[string]bool {
	return history.ChangedSince(p.steps, m, author)
}

// Has reports whether change is one of the record's changes.
func (p *Past) Has(change int64) bool {
	return slices.ContainsFunc(p.steps, func(s history.Step) bool { return s.ID == change })
}

// Steps groups a record's rows (newest change first, as db.RecordSteps
// returns them) into the steps history.StateAt undoes.
func Steps(rows []db.HistoryRow) []history.Step {
	var out []history.Step
	for i, r := range rows {
		if i == 0 || rows[i-1].ChangeID != r.ChangeID {
			s := history.Step{ID: r.ChangeID, At: r.ChangedAt}
			if r.AuthorID != nil {
				s.Author = *r.AuthorID
			}
			_ = s.Action.UnmarshalText([]byte(r.Action))
			out = append(out, s)
		}
		if r.Field == "" {
			continue
		}
		c := history.Change{Field: r.Field, Old: decode(r.OldValue), New: decode(r.NewValue)}
		_ = c.Kind.UnmarshalText([]byte(r.ChangeKind))
		s := &out[len(out)-1]
		s.Changes = append(s.Changes, c)
	}
	return out
}

// ShownField is one field of a record at a moment, as a person reads it.
type ShownField struct {
	Field, Title string
	Text         string
	Empty        bool
	Unknown      bool // Trail did not know the field at that moment
	Files        []FileLink
	Rows         []string // product rows, one line each
}

// Show lists the tracked fields of a state under the portal's titles,
// sorted by title. LoadStateLinks names the records they point at.
func (l *Labels) Show(p *Past, st history.State, pr Printer) []ShownField {
	pr = pr.ForOffset(nil)
	out := make([]ShownField, 0, len(st.Fields))
	for name, v := range st.Fields {
		if p.ignored(name) {
			continue
		}
		out = append(out, l.shown(p, st, name, v, pr))
	}
	slices.SortFunc(out, func(a, b ShownField) int {
		return strings.Compare(a.Title+"\x00"+a.Field, b.Title+"\x00"+b.Field)
	})
	return out
}

func (l *Labels) shown(p *Past, st history.State, name string, v history.Value, pr Printer) ShownField {
	f := ShownField{Field: name, Title: l.Title(name)}
	if name == history.ProductRows {
		f.Title = pr.rowWords().Product // the portal's field lists do not name them
	}
	switch {
	case v.Kind == history.KindUnknown:
		f.Unknown, f.Text = true, pr.Unknown
		return f
	case v.IsEmpty():
		f.Empty, f.Text = true, pr.Empty
		return f
	}
	raw, _ := json.Marshal(v)
	f.Text = l.Display(name, raw, pr)
	f.Files = fileLinks(p.Entity, p.ID, name, raw)
	if name == history.ProductRows {
		for _, e := range flatten(v) {
			if r, ok := history.ParseRow(e); ok {
				f.Rows = append(f.Rows, rowLine(r, pr))
			}
		}
	}
	if cf := history.CurrencyField(name); cf != "" && v.Kind == history.KindNumber {
		if c := st.Fields[cf]; c.Kind == history.KindID || c.Kind == history.KindText {
			f.Text += " " + c.Text
		}
	}
	return f
}

// rowLine is one product row: its name, then quantity, price, discount and
// tax.
func rowLine(r history.ProductRow, p Printer) string {
	w := p.rowWords()
	parts := []string{strings.TrimSpace(w.Quantity + " " + formatNumber(r.Quantity) + unit(r.Unit)),
		strings.TrimSpace(w.Price + " " + formatNumber(r.Price))}
	if r.Discount != "" {
		parts = append(parts, w.Discount+" "+r.Discount)
	}
	if t := tax(r, w); t != "" {
		parts = append(parts, w.Tax+" "+t)
	}
	return r.Name + ": " + strings.Join(parts, ", ")
}

// StateRefs lists the records the states' values point at, for LoadLinks.
func StateRefs(l *Labels, states ...history.State) map[string][]int64 {
	refs := map[string][]int64{}
	for _, st := range states {
		for name, v := range st.Fields {
			f := l.field(name)
			for _, e := range flatten(v) {
				if entity, id, ok := recordRef(f, e.Text); ok {
					refs[entity] = append(refs[entity], id)
				}
			}
		}
	}
	return refs
}

// ComparedField is one field at two moments.
type ComparedField struct {
	From, To ShownField
	Differs  bool
}

// Compare lists the tracked fields of two states side by side, the fields
// that differ first, each group sorted by title.
func (l *Labels) Compare(p *Past, from, to history.State, pr Printer) []ComparedField {
	differ := map[string]bool{}
	for _, name := range history.Differing(from.Fields, to.Fields) {
		differ[name] = true
	}
	shownTo := map[string]ShownField{}
	for _, f := range l.Show(p, to, pr) {
		shownTo[f.Field] = f
	}
	var out []ComparedField
	add := func(f ShownField) {
		t, ok := shownTo[f.Field]
		if !ok {
			t = l.shown(p, to, f.Field, history.Value{}, pr.ForOffset(nil))
		}
		out = append(out, ComparedField{From: f, To: t, Differs: differ[f.Field]})
		delete(shownTo, f.Field)
	}
	for _, f := range l.Show(p, from, pr) {
		add(f)
	}
	for _, f := range l.Show(p, to, pr) {
		if _, left := shownTo[f.Field]; left {
			out = append(out, ComparedField{From: l.shown(p, from, f.Field, history.Value{}, pr.ForOffset(nil)), To: f, Differs: differ[f.Field]})
		}
	}
	slices.SortStableFunc(out, func(a, b ComparedField) int {
		switch {
		case a.Differs == b.Differs:
			return strings.Compare(a.From.Title+"\x00"+a.From.Field, b.From.Title+"\x00"+b.From.Field)
		case a.Differs:
			return -1
		}
		return 1
	})
	return out
}
