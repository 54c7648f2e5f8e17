package jobs

import (
	"slices"
	"testing"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// TestListSelectNamesMultipleFields: the legacy masks leave multiple fields
// out, so the baseline names the multiple user fields and multi-fields the
// portal's field list has.
func TestListSelectNamesMultipleFields(t *testing.T) {
	schema := &history.Schema{Fields: map[string]history.Field{
		"TITLE":       {Name: "TITLE", Type: history.TypeString},
		"PHONE":       {Name: "PHONE", Type: history.TypeMultifield, Multiple: true},
		"LINK":        {Name: "LINK", Type: history.TypeMultifield, Multiple: true},
		"COMPANY_IDS": {Name: "COMPANY_IDS", Type: history.TypeCompany, Multiple: true},
		"UF_CRM_B":    {Name: "UF_CRM_B", Type: history.TypeString, Multiple: true, Custom: true},
		"UF_CRM_A":    {Name: "UF_CRM_A", Type: history.TypeEnumeration, Multiple: true, Custom: true},
		"UF_CRM_C":    {Name: "UF_CRM_C", Type: history.TypeString, Custom: true},
	}}
	for _, tt := range []struct {
		entity crm.Type
		schema *history.Schema
		want   []string
	}{
		{crm.Contact, schema, []string{"*", "UF_*", "PHONE", "EMAIL", "WEB", "IM", "LINK", "UF_CRM_A", "UF_CRM_B"}},
		{crm.Deal, schema, []string{"*", "UF_*", "LINK", "PHONE", "UF_CRM_A", "UF_CRM_B"}},
		{crm.Deal, nil, []string{"*", "UF_*"}},
	} {
		if got := listSelect(tt.entity, tt.schema); !slices.Equal(got, tt.want) {
			t.Errorf("listSelect(%s) = %v, want %v", tt.entity, got, tt.want)
		}
	}
}

// TestSyncCopiesTheBaseline: a sync stores every record as a snapshot
// without history and ends done, with the total it copied; a full resync
// copies them again.
func TestSyncCopiesTheBaseline(t *testing.T) {
	t.Parallel()
	b := newBench(t, b24test.Options{Deals: 30})
	b.done(t, SyncArgs{PortalID: b.portal, Entity: crm.Deal})
	check := func() {
		t.Helper()
		if n := b.count(t, `SELECT count(*) FROM snapshots WHERE portal_id = $1 AND entity = 2 AND format = 2`, b.portal); n != 30 {
			t.Errorf("%d snapshots, want 30", n)
		}
		if n := b.count(t, `SELECT count(*) FROM history`); n != 0 {
			t.Errorf("%d history rows from a baseline", n)
		}
		st, err := db.LoadSyncState(b.ctx, b.d.Bun, b.portal, crm.Deal)
		if err != nil {
			t.Fatal(err)
		}
		if st.State != db.SyncDone || st.Done != 30 || st.Total != 30 || st.Watermark == nil {
			t.Errorf("sync state %s, %d of %d, watermark %v", st.State, st.Done, st.Total, st.Watermark)
		}
	}
	check()
	b.done(t, SyncArgs{PortalID: b.portal, Entity: crm.Deal, Full: true})
	check()
}
