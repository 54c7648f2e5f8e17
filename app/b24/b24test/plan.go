package b24test

import (
	"fmt"
	"net/http"
)

// Plan is a portal's license, as far as the REST features it gates go.
// The zero value is PlanProfessional.
type Plan string

// The commercial plans (REST needs one). Professional and Enterprise have
// every REST feature; Basic and Standard lack reserving offline events
// and auth_connector.
const (
	PlanBasic        Plan = "basic"
	PlanStandard     Plan = "standard"
	PlanProfessional Plan = "professional"
	PlanEnterprise   Plan = "enterprise"
)

// The feature codes feature.get answers for
// (https://apidocs.bitrix24.com/api-reference/common/system/feature-get.html).
const (
	// featureOfflineExtended is event.offline.get with clear=0.
	featureOfflineExtended = "rest_offline_extended"
	// featureAuthConnector is auth_connector on event.* and event.offline.*.
	featureAuthConnector = "rest_auth_connector"
)

// licenseNames are the feature names WRONG_LICENSE quotes.
var licenseNames = map[string]string{
	featureOfflineExtended: "extended offline events handling",
	featureAuthConnector:   "auth_connector",
}

func (p Plan) valid() bool {
	switch p {
	case PlanBasic, PlanStandard, PlanProfessional, PlanEnterprise:
		return true
	}
	return false
}

// has reports whether the plan includes a feature; unknown codes are off.
func (p Plan) has(feature string) bool {
	switch feature {
	case featureOfflineExtended, featureAuthConnector:
		return p == PlanProfessional || p == PlanEnterprise
	}
	return false
}

// SetPlan changes the portal's plan; features follow at once.
func (p *Portal) SetPlan(plan Plan) error {
	if !plan.valid() {
		return fmt.Errorf("b24test: unknown plan %q", plan)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.plan = plan
	return nil
}

// Plan is the portal's current plan.
func (p *Portal) Plan() Plan {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.plan
}

// licenseError is WRONG_LICENSE for a feature the plan lacks.
func licenseError(feature string) *apiError {
	return newErr(http.StatusForbidden, "WRONG_LICENSE", "This feature is not enabled for the current license: "+licenseNames[feature])
}

// connectorLicensed refuses auth_connector where the plan lacks it; p.mu
// must not be held.
func (c *call) connectorLicensed() *apiError {
	if c.str("auth_connector") == "" || c.portal.Plan().has(featureAuthConnector) {
		return nil
	}
	return licenseError(featureAuthConnector)
}

func init() {
	register(&method{name: "feature.get", fn: featureGet})
}

// featureGet answers {"value":"Y"|"N"} for a feature code.
func featureGet(c *call) (callResult, *apiError) {
	code := c.str("CODE")
	if code == "" {
		return callResult{}, errArgument("Argument 'CODE' is null or empty", "CODE")
	}
	return ok(objOf("value", map[bool]string{true: "Y", false: "N"}[c.portal.Plan().has(code)]))
}
