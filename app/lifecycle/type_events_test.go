package lifecycle_test

import (
	"errors"
	"testing"

	"github.com/trailhq/trail/app/installtest"
	"github.com/trailhq/trail/app/lifecycle"
)

// Type and field events make Trail look again, once for a burst, and only
// when the portal's application token signs them; what they claim (the
// type's id) is not read. Estimate and dynamic item events go to the inbox
// under their type.
func TestReceiveTypeEventsAndItemsOfEveryType(t *testing.T) {
	t.Parallel()
	env := installtest.New(t)
	p := env.Portal(0)
	in := env.Install(t, 0)
	env.FinishJobs(t)
	for i := 0; i < 20; i++ {
		for _, name := range []string{"ONCRMTYPEADD", "ONCRMTYPEUSERFIELDSETENUMVALUES", "ONCRMDEALUSERFIELDUPDATE"} {
			if err := deliver(t, env, withRecord(eventForm(p, name, p.ApplicationToken()), 13)); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
	}
	if n := env.Count(t, "SELECT count(*) FROM river_job WHERE kind = 'setup_portal' AND state = 'scheduled'"); n != 1 {
		t.Errorf("%d setups waiting after a burst of type events, want 1", n)
	}
	if err := deliver(t, env, withRecord(eventForm(p, "ONCRMTYPEDELETE", "wrong"), 13)); !errors.Is(err, lifecycle.ErrUnauthorized) {
		t.Errorf("type event with a wrong token: %v", err)
	}
	item := withRecord(eventForm(p, "ONCRMDYNAMICITEMUPDATE", p.ApplicationToken()), 5)
	item.Set("data[FIELDS][ENTITY_TYPE_ID]", "156")
	if err := deliver(t, env, item); err != nil {
		t.Fatal(err)
	}
	if err := deliver(t, env, withRecord(eventForm(p, "ONCRMQUOTEADD", p.ApplicationToken()), 6)); err != nil {
		t.Fatal(err)
	}
	if n := env.Count(t, "SELECT count(*) FROM inbox WHERE portal_id = ? AND ((entity = 156 AND entity_id = 5) OR (entity = 7 AND entity_id = 6))", in.ID); n != 2 {
		t.Errorf("%d inbox rows of the item and the estimate, want 2", n)
	}
}
