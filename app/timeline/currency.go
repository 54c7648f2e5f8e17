package timeline

import (
	"context"
	"encoding/json"
	"time"

	"github.com/uptrace/bun"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// currencyTrail is what one record's currency fields held over time: their
// recorded changes, oldest first, and their values in the record's last
// known state. An amount is shown in the currency the record had when the
// amount changed, which the amount's own row does not carry.
type currencyTrail struct {
	changes []db.HistoryRow
	now     map[string]string // "CURRENCY_ID" -> "USD"
}

// LoadCurrencies reads the currency history of the record whose rows these
// are, when one of the rows changes an amount.
func (l *Labels) LoadCurrencies(ctx context.Context, q bun.IDB, portalID int64, entity crm.Type, id int64, rows []db.HistoryRow) error {
	needed := false
	for _, r := range rows {
		needed = needed || history.CurrencyField(r.Field) != ""
	}
	if !needed {
		return nil
	}
	changes, err := db.FieldHistory(ctx, q, portalID, entity, id, history.CurrencyFields())
	if err != nil {
		return err
	}
	tr := &currencyTrail{changes: changes, now: map[string]string{}}
	if snap, err := db.SnapshotOf(ctx, q, portalID, entity, id); err == nil {
		var fields map[string]any
		if json.Unmarshal(snap.Data, &fields) == nil {
			for _, f := range history.CurrencyFields() {
				if s, ok := fields[f].(string); ok {
					tr.now[f] = s
				}
			}
		}
	}
	l.record = tr
	return nil
}

// around is the currency field held just before and just after the change
// (at, changeID): the change's own values when it changed the currency too,
// else what the next change of the currency found, else the record's last
// known state. "" when nothing says.
func (tr *currencyTrail) around(field string, at time.Time, changeID int64) (before, after string) {
	if tr == nil {
		return "", ""
	}
	for _, r := range tr.changes {
		if r.Field != field {
			continue
		}
		if r.ChangeID == changeID {
			return currencyCode(r.OldValue), currencyCode(r.NewValue)
		}
		if r.ChangedAt.After(at) || r.ChangedAt.Equal(at) && r.ChangeID > changeID {
			cur := currencyCode(r.OldValue)
			return cur, cur
		}
	}
	return tr.now[field], tr.now[field]
}

func currencyCode(raw json.RawMessage) string {
	v := decode(raw)
	if v.Kind != history.KindID && v.Kind != history.KindText {
		return ""
	}
	return v.Text
}

// withCurrency adds the currency to a shown amount.
func withCurrency(shown string, raw json.RawMessage, currency string) string {
	if currency == "" || decode(raw).Kind != history.KindNumber {
		return shown
	}
	return shown + " " + currency
}
