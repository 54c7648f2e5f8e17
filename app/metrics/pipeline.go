package metrics

import "github.com/prometheus/client_golang/prometheus"

// Pipeline holds the instruments of the event pipeline: intake, jobs, the
// inbox, and calls to portals. Every label is a small fixed set.
type Pipeline struct {
	Events *prometheus.CounterVec // result

	Jobs        *prometheus.CounterVec   // queue, kind, outcome
	JobRun      *prometheus.HistogramVec // queue, kind
	JobWait     *prometheus.HistogramVec // queue
	JobsWaiting *prometheus.GaugeVec     // queue, state

	InboxRows    prometheus.Gauge
	InboxPortals prometheus.Gauge
	InboxOldest  prometheus.Gauge

	Calls         *prometheus.CounterVec   // family, status, code
	CallDuration  *prometheus.HistogramVec // family
	LimitWait     *prometheus.CounterVec   // reason
	Refreshes     *prometheus.CounterVec   // outcome
	APILogDropped prometheus.CounterFunc
}

// Event intake results.
const (
	EventAccepted     = "accepted"     // stored in the inbox, or a lifecycle event handled
	EventIgnored      = "ignored"      // an event Trail does not track, acknowledged
	EventUnauthorized = "unauthorized" // unknown portal or wrong application token
	EventMalformed    = "malformed"    // parsed, but not a valid event of its kind
	EventUnavailable  = "unavailable"  // the authorization server could not be asked
	EventError        = "error"        // Trail failed (database): the portal retries
)

var latency = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}

func newPipeline() *Pipeline {
	return &Pipeline{
		Events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trail_events_received_total",
			Help: "Deliveries to the events handlers that reached verification, by result.",
		}, []string{"result"}),
		Jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trail_jobs_total",
			Help: "Job runs finished by this process, by queue, kind and outcome (completed, failed, snoozed, cancelled).",
		}, []string{"queue", "kind", "outcome"}),
		JobRun: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "trail_job_run_seconds", Help: "Time a job run took, by queue and kind.", Buckets: latency,
		}, []string{"queue", "kind"}),
		JobWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "trail_job_queue_wait_seconds", Help: "Time a job waited, available, before a worker took it.", Buckets: latency,
		}, []string{"queue"}),
		JobsWaiting: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "trail_jobs", Help: "Jobs not yet finished, by queue and state (sampled).",
		}, []string{"queue", "state"}),
		InboxRows: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "trail_inbox_rows", Help: "Changes heard of and not yet turned into history (sampled).",
		}),
		InboxPortals: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "trail_inbox_portals", Help: "Portals with changes waiting in the inbox (sampled).",
		}),
		InboxOldest: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "trail_inbox_oldest_seconds", Help: "Age of the oldest inbox row (sampled); 0 when empty.",
		}),
		Calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trail_b24_requests_total",
			Help: "Requests to portals and the OAuth server, by method family, HTTP status class and error class.",
		}, []string{"family", "status", "error"}),
		CallDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "trail_b24_request_seconds", Help: "Round trip of a request to a portal, by method family.", Buckets: latency,
		}, []string{"family"}),
		LimitWait: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trail_b24_wait_seconds_total",
			Help: "Time calls waited before sending: rate (the portal's request bucket) or operating (a method's time budget).",
		}, []string{"reason"}),
		Refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trail_b24_token_refreshes_total", Help: "OAuth token refreshes, by outcome (ok, failed).",
		}, []string{"outcome"}),
	}
}

func (p *Pipeline) collectors() []prometheus.Collector {
	return []prometheus.Collector{
		p.Events, p.Jobs, p.JobRun, p.JobWait, p.JobsWaiting, p.InboxRows, p.InboxPortals, p.InboxOldest,
		p.Calls, p.CallDuration, p.LimitWait, p.Refreshes,
	}
}

// WatchAPILog exports how many API log rows were dropped (buffer full or
// write failed).
func (m *Metrics) WatchAPILog(dropped func() int64) {
	m.APILogDropped = prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "trail_api_log_dropped_total", Help: "API call log rows dropped: buffer full or write failed.",
	}, func() float64 { return float64(dropped()) })
	m.Registry.MustRegister(m.APILogDropped)
}
