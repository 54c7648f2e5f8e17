package b24test

import "net/http"

type App struct{ ClientID, ClientSecret string; Scopes []string }
type installation struct{}
type Faults struct{ InvalidToken bool }
func (f Faults) active() bool { return false }
func (p *Portal) currentFaults() Faults { return Faults{} }
func (s *Server) applyFaults(w http.ResponseWriter, r *http.Request, p *Portal, f Faults) bool { return false }
type deliveryLog struct{}
type dispatcher struct{}
func newDispatcher(s *Server, n int, t any) *dispatcher { return &dispatcher{} }
func (d *dispatcher) close() {}
func (s *Server) RegisterApp(a App) {}
func (s *Server) appScopes() []string { return []string{"crm","user","placement"} }
func methodAppInfo(c *call) (callResult, *apiError) { return ok(nil) }
func (p *Portal) changed(ch change) {}
func (s *Server) control() http.Handler { return http.NotFoundHandler() }
func (s *Server) serveOAuth(w http.ResponseWriter, r *http.Request) {}
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request, p *Portal) {}
func (p *Portal) IssueTokens(uid int) (Tokens, error) { return Tokens{}, nil }
