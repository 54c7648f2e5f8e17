package b24test

import "strings"

// The user fields an application reads with the narrow user scopes: with
// user_brief or user_basic every user-reading method returns only these
// (https://apidocs.bitrix24.com/api-reference/user/user-scope.html).
var (
	userBriefFields = fieldSet(`ID XML_ID ACTIVE NAME LAST_NAME SECOND_NAME TITLE IS_ONLINE TIME_ZONE
		PERSONAL_PHOTO TIMESTAMP_X DATE_REGISTER PERSONAL_PROFESSION PERSONAL_GENDER PERSONAL_BIRTHDAY
		PERSONAL_CITY PERSONAL_STATE PERSONAL_COUNTRY WORK_POSITION WORK_CITY WORK_STATE WORK_COUNTRY
		LAST_ACTIVITY_DATE UF_EMPLOYMENT_DATE UF_TIMEMAN UF_SKILLS UF_INTERESTS UF_DEPARTMENT UF_PHONE_INNER`)
	userBasicFields = fieldSet(`ID XML_ID ACTIVE NAME LAST_NAME SECOND_NAME TITLE EMAIL PERSONAL_PHONE
		WORK_PHONE WORK_POSITION WORK_COMPANY IS_ONLINE TIME_ZONE TIMESTAMP_X DATE_REGISTER
		LAST_ACTIVITY_DATE PERSONAL_PROFESSION PERSONAL_GENDER PERSONAL_BIRTHDAY PERSONAL_PHOTO
		PERSONAL_FAX PERSONAL_MOBILE PERSONAL_PAGER PERSONAL_STREET PERSONAL_MAILBOX PERSONAL_CITY
		PERSONAL_STATE PERSONAL_ZIP PERSONAL_COUNTRY PERSONAL_NOTES WORK_DEPARTMENT WORK_WWW WORK_FAX
		WORK_PAGER WORK_STREET WORK_MAILBOX WORK_CITY WORK_STATE WORK_ZIP WORK_COUNTRY WORK_PROFILE
		WORK_LOGO WORK_NOTES UF_DEPARTMENT UF_DISTRICT UF_SKYPE UF_SKYPE_LINK UF_ZOOM UF_TWITTER
		UF_FACEBOOK UF_LINKEDIN UF_XING UF_WEB_SITES UF_PHONE_INNER UF_EMPLOYMENT_DATE UF_TIMEMAN
		UF_SKILLS UF_INTERESTS`)
)

func fieldSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, f := range strings.Fields(s) {
		m[f] = true
	}
	return m
}

// userView renders a user as the caller may read it: webhooks and
// applications with the full user scope see every field; otherwise the
// widest narrow scope granted applies (which one wins when several are
// granted is not documented).
func (c *call) userView(u *user) *obj {
	o := userObj(u)
	if !c.app {
		return o
	}
	var allowed map[string]bool
	for _, s := range c.portal.srv.appScopes() {
		switch {
		case s == "user":
			return o
		case s == "user_basic":
			allowed = userBasicFields
		case s == "user_brief" && allowed == nil:
			allowed = userBriefFields
		}
	}
	out := newObj()
	for _, k := range o.keys {
		if allowed[k] {
			out.set(k, o.m[k])
		}
	}
	return out
}
