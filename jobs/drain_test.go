package jobs

import (
	"testing"
	"time"

	"github.com/trailhq/trail/db"
)

// TestCoalesceVouchesForDeletions: a deleter comes only from an offline
// delete record (read by Trail with its own grant), never from an online
// delivery or from a record of another kind; the time is when Trail
// received the first delete event.
func TestCoalesceVouchesForDeletions(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	uid := func(n int64) *int64 { return &n }
	row := func(id int64, kind, origin string, actor *int64, after time.Duration) db.InboxRow {
		return db.InboxRow{ID: id, Entity: "deal", EntityID: 5, Kind: kind, Origin: origin, ActorID: actor, ReceivedAt: t0.Add(after)}
	}
	tests := []struct {
		name  string
		rows  []db.InboxRow
		kind  string
		heard time.Time
		by    *int64
	}{
		{"online delete", []db.InboxRow{row(1, "delete", db.OriginOnline, uid(666), 0)}, "delete", t0, nil},
		{"offline delete", []db.InboxRow{row(1, "delete", db.OriginOffline, uid(3), 0)}, "delete", t0, uid(3)},
		{"offline update, online delete", []db.InboxRow{
			row(1, "update", db.OriginOffline, uid(3), 0), row(2, "delete", db.OriginOnline, nil, time.Second),
		}, "delete", t0.Add(time.Second), nil},
		{"online delete, later offline delete", []db.InboxRow{
			row(1, "delete", db.OriginOnline, nil, 0), row(2, "delete", db.OriginOffline, uid(4), time.Minute),
		}, "delete", t0, uid(4)},
		{"no delete", []db.InboxRow{row(1, "update", db.OriginOffline, uid(3), 0)}, "update", time.Time{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs := coalesce(tt.rows, 10)
			if len(recs) != 1 {
				t.Fatalf("%d records", len(recs))
			}
			p := recs[0]
			if p.kind != tt.kind || !p.deletion.heard.Equal(tt.heard) {
				t.Errorf("kind %s heard %s, want %s %s", p.kind, p.deletion.heard, tt.kind, tt.heard)
			}
			if (p.deletion.by == nil) != (tt.by == nil) || p.deletion.by != nil && *p.deletion.by != *tt.by {
				t.Errorf("deleter %v, want %v", p.deletion.by, tt.by)
			}
		})
	}
}

func TestDeletedAt(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name  string
		heard time.Time
		want  time.Time
	}{
		{"no delete event: when Trail found it gone", time.Time{}, now},
		{"when Trail received the delete event", now.Add(-time.Hour), now.Add(-time.Hour)},
		{"never after now", now.Add(time.Hour), now},
	} {
		if got := deletedAt(deletion{heard: tt.heard}, now); !got.Equal(tt.want) {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}
