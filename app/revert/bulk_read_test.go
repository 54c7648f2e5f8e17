package revert

import (
	"slices"
	"testing"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// TestChunkSize: without per-record reads one request reads 2,500 records
// (50 list commands of 50); with them, the list command and the records'
// own commands fit one batch.
func TestChunkSize(t *testing.T) {
	for _, c := range []struct {
		links, rows bool
		want        int
	}{{false, false, 2500}, {true, false, 49}, {false, true, 49}, {true, true, 24}} {
		if got := chunkSize(c.links, c.rows); got != c.want {
			t.Errorf("chunkSize(%v, %v) = %d, want %d", c.links, c.rows, got, c.want)
		}
	}
}

// TestListFields: the list selects the ID and every field the changes
// touch, by name (multi-fields too), but the links and the product rows,
// which are read apart.
func TestListFields(t *testing.T) {
	sel := map[int64][]db.HistoryRow{
		1: {{Field: "TITLE"}, {Field: "PHONE"}, {Field: "CONTACT_IDS"}},
		2: {{Field: history.ProductRows}, {Field: "UF_CRM_1"}, {Field: "TITLE"}},
	}
	if got, want := listFields(crm.Deal, sel), []string{"ID", "PHONE", "TITLE", "UF_CRM_1"}; !slices.Equal(got, want) {
		t.Errorf("listFields = %v, want %v", got, want)
	}
}
