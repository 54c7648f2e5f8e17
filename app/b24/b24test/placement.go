package b24test

import (
	"net/http"
	"strings"
)

// placementBinding is one placement.bind registration.
type placementBinding struct {
	code, handler, title, description, group string
	langAll                                  *obj
	options                                  *obj
	userID                                   int
}

// Placement is a bound widget, for the portal pages to render.
type Placement struct {
	Code        string
	Handler     string
	Title       string
	Description string
	// Titles are LANG_ALL's titles by language.
	Titles map[string]string
}

// TitleIn is the placement's title in lang: LANG_ALL's, else TITLE.
func (pl Placement) TitleIn(lang string) string {
	if t := pl.Titles[lang]; t != "" {
		return t
	}
	return pl.Title
}

// langTitles reads the titles out of a LANG_ALL parameter.
func langTitles(langAll *obj) map[string]string {
	if langAll == nil {
		return nil
	}
	out := map[string]string{}
	for _, k := range langAll.keys {
		v, _ := langAll.get(k)
		if o, ok := v.(*obj); ok {
			if t, ok := o.m["TITLE"].(string); ok {
				out[k] = t
			}
		}
	}
	return out
}

// placementCodes are the placements the emulator accepts.
var placementCodes = []string{
	"CRM_LEAD_DETAIL_TAB", "CRM_DEAL_DETAIL_TAB", "CRM_CONTACT_DETAIL_TAB", "CRM_COMPANY_DETAIL_TAB",
	"CRM_LEAD_LIST_MENU", "CRM_DEAL_LIST_MENU", "CRM_CONTACT_LIST_MENU", "CRM_COMPANY_LIST_MENU",
	"CRM_LEAD_DETAIL_ACTIVITY", "CRM_DEAL_DETAIL_ACTIVITY", "LEFT_MENU", "REST_APP_URI", "PAGE_BACKGROUND_WORKER",
}

func init() {
	register(
		&method{name: "placement.bind", scope: "placement", appOnly: true, fn: placementBind},
		&method{name: "placement.unbind", scope: "placement", appOnly: true, fn: placementUnbind},
		&method{name: "placement.get", scope: "placement", appOnly: true, fn: placementGet},
		&method{name: "placement.list", scope: "placement", appOnly: true, fn: placementList},
	)
}

func knownPlacement(code string, c *call) bool {
	for _, p := range placementCodes {
		if p == code {
			return !strings.HasPrefix(code, "CRM_") || c.hasScope("crm")
		}
	}
	return c.portal.typePlacement(code) && c.hasScope("crm")
}

func placementBind(c *call) (callResult, *apiError) {
	if !c.user.admin.Load() {
		return callResult{}, errAccessDenied
	}
	code := strings.ToUpper(c.str("PLACEMENT"))
	if code == "" {
		return callResult{}, errArgument("Wrong placement", "PLACEMENT")
	}
	if !knownPlacement(code, c) {
		return callResult{}, newErr(http.StatusBadRequest, "ERROR_PLACEMENT_NOT_FOUND", "Placement not found")
	}
	handler := c.str("HANDLER")
	if handler == "" {
		return callResult{}, errArgument("Wrong handler", "HANDLER")
	}
	if aerr := handlerError(handler); aerr != nil {
		return callResult{}, aerr
	}
	b := &placementBinding{code: code, handler: handler, title: c.str("TITLE"), description: c.str("DESCRIPTION"), group: c.str("GROUP_NAME"), langAll: c.obj("LANG_ALL"), options: c.obj("OPTIONS")}
	c.portal.mu.Lock()
	defer c.portal.mu.Unlock()
	inst := c.portal.inst
	if inst == nil {
		return callResult{}, errInvalidToken
	}
	for _, x := range inst.placements {
		if x.code == code && x.handler == handler {
			return callResult{}, newErr(http.StatusBadRequest, "ERROR_CORE", "Unable to set placement handler: Handler already binded")
		}
	}
	inst.placements = append(inst.placements, b)
	return ok(true)
}

func placementUnbind(c *call) (callResult, *apiError) {
	if !c.user.admin.Load() {
		return callResult{}, errAccessDenied
	}
	code := strings.ToUpper(c.str("PLACEMENT"))
	if code == "" {
		return callResult{}, errArgument("Wrong placement", "PLACEMENT")
	}
	handler := c.str("HANDLER")
	c.portal.mu.Lock()
	defer c.portal.mu.Unlock()
	n := 0
	if inst := c.portal.inst; inst != nil {
		kept := inst.placements[:0]
		for _, b := range inst.placements {
			if b.code == code && (handler == "" || b.handler == handler) {
				n++
				continue
			}
			kept = append(kept, b)
		}
		inst.placements = kept
	}
	return ok(objOf("count", n))
}

func placementGet(c *call) (callResult, *apiError) {
	if !c.user.admin.Load() {
		return callResult{}, errAccessDenied
	}
	c.portal.mu.Lock()
	defer c.portal.mu.Unlock()
	out := listOf()
	if inst := c.portal.inst; inst != nil {
		for _, b := range inst.placements {
			lang := b.langAll
			if lang == nil {
				lang = newObj()
			}
			opts := b.options
			if opts == nil {
				opts = newObj()
			}
			out.push(objOf("placement", b.code, "userId", b.userID, "handler", b.handler, "options", opts, "title", b.title, "description", b.description, "langAll", lang))
		}
	}
	return ok(out)
}

func placementList(c *call) (callResult, *apiError) {
	out := listOf()
	for _, code := range append(placementCodes, c.portal.typePlacements()...) {
		if knownPlacement(code, c) {
			out.push(code)
		}
	}
	return ok(out)
}

// Placements lists the widgets bound on the portal.
func (p *Portal) Placements() []Placement {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Placement
	if p.inst != nil {
		for _, b := range p.inst.placements {
			out = append(out, Placement{Code: b.code, Handler: b.handler, Title: b.title, Description: b.description, Titles: langTitles(b.langAll)})
		}
	}
	return out
}
