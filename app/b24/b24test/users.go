package b24test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// user is a portal employee.
type user struct {
	id         int
	name, last string
	email      string
	admin      atomic.Bool // changed by SetAdmin while requests are served
	ownRecords bool        // CRM read right "own records only"
	noRead     sync.Map    // entityTypeId → true: the role may not read the type (DenyRead)
	gender     string
	timeZone   atomicString // "" means the portal's default, as Bitrix24 reports it
	lang       atomicString // "" means the portal's language
}

// userZones gives some users a time zone of their own, so that apps can be
// checked to show times in the user's zone.
var userZones = []string{"", "Europe/Moscow", "Europe/Berlin", "", "Asia/Almaty", "America/New_York"}

const (
	adminID          = 1
	ownRecordsUserID = 4
	userCount        = 6
)

var (
	firstNames = []string{"Anna", "Boris", "Clara", "Dmitry", "Elena", "Felix", "Galina", "Hugo", "Irina", "Jonas", "Katya", "Lukas", "Maria", "Nikolai", "Olga", "Pavel"}
	lastNames  = []string{"Ivanova", "Schmidt", "Novak", "Petrov", "Weber", "Kowalski", "Smirnova", "Fischer", "Horvat", "Meyer", "Sokolov", "Braun", "Popescu", "Keller"}
)

func newUsers(r *rand.Rand) []*user {
	users := make([]*user, userCount)
	for i := range users {
		first := firstNames[r.IntN(len(firstNames))]
		last := lastNames[r.IntN(len(lastNames))]
		users[i] = &user{
			id:         i + 1,
			name:       first,
			last:       last,
			email:      lowerASCII(first) + "." + lowerASCII(last) + "@example.com",
			ownRecords: i+1 == ownRecordsUserID,
			gender:     []string{"F", "M"}[r.IntN(2)],
		}
		users[i].admin.Store(i+1 == adminID)
		users[i].timeZone.Store(userZones[i%len(userZones)])
	}
	return users
}

// SetAdmin makes a user an administrator of the portal or takes that away
// (as an administrator does on the portal's users page); user.admin and
// everything else the portal checks follow at once.
func (p *Portal) SetAdmin(userID int, admin bool) error {
	u := p.user(userID)
	if u == nil {
		return fmt.Errorf("no user %d", userID)
	}
	u.admin.Store(admin)
	return nil
}

func (p *Portal) user(id int) *user {
	if id < 1 || id > len(p.users) {
		return nil
	}
	return p.users[id-1]
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// User describes a portal user, for the portal pages and tests.
type User struct {
	ID       int    `json:"id"`
	Name     string `json:"name"`
	LastName string `json:"last_name"`
	Email    string `json:"email"`
	Admin    bool   `json:"admin"`
	// OwnRecordsOnly is the CRM read right "own records only".
	OwnRecordsOnly bool `json:"own_records_only"`
}

// Users lists the portal's users, the administrator first.
func (p *Portal) Users() []User {
	out := make([]User, len(p.users))
	for i, u := range p.users {
		out[i] = User{ID: u.id, Name: u.name, LastName: u.last, Email: u.email, Admin: u.admin.Load(), OwnRecordsOnly: u.ownRecords}
	}
	return out
}
