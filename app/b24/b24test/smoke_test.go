package b24test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestSmoke(t *testing.T) {
	s, err := NewServer(Options{Deals: 120, Contacts: 10, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := s.Portals()[0]
	for i, u := range []string{
		p.WebhookURL() + "crm.deal.list?start=100&select[]=*&select[]=UF_*",
		p.WebhookURL() + "crm.deal.get.json?id=3",
		p.WebhookURL() + "crm.contact.get.json?id=3",
		p.WebhookURL() + "crm.item.list?entityTypeId=3&filter[>id]=8&select[]=*",
		p.WebhookURL() + "crm.deal.list?filter[>ID]=5&filter[STAGE_ID]=NEW&start=-1&select[]=ID&select[]=STAGE_ID",
		p.WebhookURL() + "batch?cmd[a]=" + url.QueryEscape("crm.deal.list?select[]=ID&start=-1") + "&cmd[b]=" + url.QueryEscape("crm.deal.list?select[]=ID&start=-1&filter[>ID]=$result[a][49][ID]"),
		p.WebhookURL() + "nope.nope",
	} {
		resp, err := s.Client().Get(u)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := http.StatusOK
		if i == 6 {
			want = http.StatusNotFound
		}
		if resp.StatusCode != want {
			t.Errorf("%s → %d %s", u, resp.StatusCode, b)
		}
	}
	resp, _ := http.Post(p.WebhookURL()+"crm.deal.update", "application/json", strings.NewReader(`{"id":3,"fields":{"TITLE":"x","STAGE_ID":"WON"}}`))
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), `"error":""`) {
		t.Errorf("update to a stage of another pipeline = %d %s", resp.StatusCode, b)
	}
}
