package b24test_test

import (
	"encoding/json"
	"fmt"
	"log"
	"net/url"

	"github.com/trailhq/trail/app/b24/b24test"
)

// A test starts an emulator with the app registered, installs it on the
// portal, takes the admin's tokens and calls the portal's REST API on its
// own domain through srv.Client().
func Example() {
	srv, err := b24test.NewServer(b24test.Options{
		Deals: 120,
		Seed:  42,
		App:   &b24test.App{ClientID: "app.1", ClientSecret: "secret", Scopes: []string{"crm", "placement", "user_brief"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	portal := srv.Portals()[0]
	if _, err := portal.Install(); err != nil {
		log.Fatal(err)
	}
	tok, err := portal.IssueTokens(portal.AdminID())
	if err != nil {
		log.Fatal(err)
	}

	resp, err := srv.Client().PostForm(portal.ClientEndpoint()+"crm.deal.list", url.Values{
		"auth":        {tok.AccessToken},
		"filter[>ID]": {"100"},
		"select[]":    {"ID", "TITLE"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Result []map[string]string `json:"result"`
		Total  int                 `json:"total"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode, page.Total, page.Result[0]["ID"])
	// Output: 200 20 101
}
