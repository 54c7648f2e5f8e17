package b24test

import (
	"strconv"
	"strings"
)

func init() {
	register(
		&method{name: "user.current", scope: "user", fn: methodUserCurrent},
		&method{name: "user.get", scope: "user", fn: methodUserGet},
		&method{name: "user.admin", fn: func(c *call) (callResult, *apiError) { return ok(c.user.admin.Load()) }},
		&method{name: "profile", fn: methodProfile},
	)
}

// userObj renders a user as user.current and user.get do.
func userObj(u *user) *obj {
	return objOf(
		"ID", strconv.Itoa(u.id),
		"XML_ID", "",
		"ACTIVE", true,
		"NAME", u.name,
		"LAST_NAME", u.last,
		"SECOND_NAME", "",
		"EMAIL", u.email,
		"LAST_LOGIN", "2024-08-05T09:02:13+00:00",
		"DATE_REGISTER", "2022-01-10T00:00:00+00:00",
		"IS_ONLINE", "N",
		"TIME_ZONE", u.timeZone.Load(),
		"PERSONAL_GENDER", u.gender,
		"PERSONAL_PHOTO", "",
		"WORK_POSITION", map[bool]string{true: "Administrator", false: "Sales manager"}[u.admin.Load()],
		"UF_DEPARTMENT", listOf(1),
		"USER_TYPE", "employee",
	)
}

func methodUserCurrent(c *call) (callResult, *apiError) { return ok(c.userView(c.user)) }

// methodUserGet lists users, filtered by FILTER/filter on ID, NAME,
// LAST_NAME, EMAIL or ACTIVE, 50 per page.
func methodUserGet(c *call) (callResult, *apiError) {
	f := c.obj("FILTER")
	if f == nil {
		f = c.obj("filter")
	}
	var rows []any
	for _, u := range c.portal.users {
		if userMatches(u, f, c.params) {
			rows = append(rows, c.userView(u))
		}
	}
	start, _ := strconv.Atoi(c.str("start"))
	return pageOf(rows, start), nil
}

func userMatches(u *user, f *obj, params *obj) bool {
	want := map[string]string{}
	if f != nil {
		for _, k := range f.keys {
			want[strings.ToUpper(k)] = str(f.m[k])
		}
	}
	// user.get also accepts filter fields as top-level parameters.
	for _, k := range []string{"ID", "EMAIL", "NAME", "LAST_NAME"} {
		if v, ok := params.get(k); ok {
			want[k] = str(v)
		}
	}
	fields := map[string]string{"ID": strconv.Itoa(u.id), "NAME": u.name, "LAST_NAME": u.last, "EMAIL": u.email, "ACTIVE": "1"}
	for k, v := range want {
		got, known := fields[k]
		if !known {
			continue
		}
		if k == "ACTIVE" && (v == "Y" || v == "true") {
			v = "1"
		}
		if !strings.EqualFold(got, v) {
			return false
		}
	}
	return true
}

// pageOf slices a ready list into the 50-row page starting at start.
func pageOf(rows []any, start int) callResult {
	if start < 0 {
		start = 0
	}
	end := min(start+pageSize, len(rows))
	page := listOf()
	if start < len(rows) {
		page = listOf(rows[start:end]...)
	}
	r := callResult{value: page, total: len(rows), hasTotal: true}
	if end < len(rows) {
		r.next, r.hasNext = end, true
	}
	return r
}

func methodProfile(c *call) (callResult, *apiError) {
	u := c.user
	return ok(objOf(
		"ID", strconv.Itoa(u.id),
		"ADMIN", u.admin.Load(),
		"NAME", u.name,
		"LAST_NAME", u.last,
		"PERSONAL_GENDER", u.gender,
		"TIME_ZONE", u.timeZone.Load(),
	))
}
