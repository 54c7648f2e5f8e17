package admin

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
)

// readFields stores the portal's field list of t, as setup does.
func (f *fixture) readFields(t *testing.T, typ crm.Type) {
	t.Helper()
	ctx := context.Background()
	c, err := f.svc.Portals.For(f.in)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Call(ctx, typ.Method("fields"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveMeta(ctx, f.DB.Bun, f.in.ID, db.MetaFields(typ), resp.Result); err != nil {
		t.Fatal(err)
	}
}

func TestFieldChoicesLeaveSystemFieldsOutAndSortByTitle(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	if fields, err := f.svc.FieldChoices(ctx, f.in.ID, crm.Deal); err != nil || fields != nil {
		t.Fatalf("before setup read the fields: %v, %v; want none", fields, err)
	}
	f.readFields(t, crm.Deal)
	fields, err := f.svc.FieldChoices(ctx, f.in.ID, crm.Deal)
	if err != nil || len(fields) == 0 {
		t.Fatalf("FieldChoices = %v, %v", fields, err)
	}
	var codes []string
	for i, fl := range fields {
		codes = append(codes, fl.Name)
		if i > 0 && strings.ToLower(fl.Title) < strings.ToLower(fields[i-1].Title) {
			t.Errorf("%q comes after %q: not by title", fl.Title, fields[i-1].Title)
		}
	}
	if !slices.Contains(codes, "TITLE") || slices.Contains(codes, "DATE_MODIFY") {
		t.Errorf("choices %v: want TITLE, not the system field DATE_MODIFY", codes)
	}
}

func TestSaveFieldsIgnoresTheFieldsLeftOut(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.readFields(t, crm.Deal)
	fields, err := f.svc.FieldChoices(ctx, f.in.ID, crm.Deal)
	if err != nil {
		t.Fatal(err)
	}
	var keep []string
	for _, fl := range fields {
		if fl.Name != "TITLE" {
			keep = append(keep, fl.Name)
		}
	}
	known, err := f.svc.SaveFields(ctx, f.in.ID, crm.Deal, keep)
	if err != nil || known != len(fields) {
		t.Fatalf("SaveFields = %d, %v; want %d known", known, err, len(fields))
	}
	if set := f.settings(t); !set.Ignores(crm.Deal, "TITLE") || set.Ignores(crm.Deal, keep[0]) {
		t.Errorf("ignored %v, want TITLE alone", set.IgnoredFields)
	}
	// Every field tracked again: nothing of deals is ignored.
	if _, err := f.svc.SaveFields(ctx, f.in.ID, crm.Deal, append(keep, "TITLE")); err != nil {
		t.Fatal(err)
	}
	if set := f.settings(t); len(set.IgnoredOf(crm.Deal)) != 0 {
		t.Errorf("still ignored: %v", set.IgnoredFields)
	}
}

func TestSaveFieldsRefusesWhatThePortalDoesNotName(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.SaveFields(ctx, f.in.ID, crm.Lead, []string{"TITLE"}); !errors.Is(err, ErrNoFieldList) {
		t.Errorf("without a field list: %v, want ErrNoFieldList", err)
	}
	f.readFields(t, crm.Lead)
	_, err := f.svc.SaveFields(ctx, f.in.ID, crm.Lead, []string{"TITLE", "UF_NOT_THERE"})
	var unknown *UnknownFieldError
	if !errors.As(err, &unknown) || unknown.Code != "UF_NOT_THERE" {
		t.Errorf("unknown field: %v, want UnknownFieldError naming UF_NOT_THERE", err)
	}
	if set := f.settings(t); len(set.IgnoredOf(crm.Lead)) != 0 {
		t.Errorf("a refused save stored %v", set.IgnoredFields)
	}
}
