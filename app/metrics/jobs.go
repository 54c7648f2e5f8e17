package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// JobMiddleware records every job run of the process it is installed in
// (River's Config.Middleware): its outcome, how long it ran, and how long
// it waited to be taken. Measured around the worker, it sees each run as
// it ends, unlike River's event stream, which follows the completer.
func (m *Metrics) JobMiddleware() rivertype.WorkerMiddleware { return &jobMiddleware{m: m} }

type jobMiddleware struct {
	river.MiddlewareDefaults
	m *Metrics
}

func (j *jobMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	start := time.Now()
	err := doInner(ctx)
	run := time.Since(start)
	var snooze *rivertype.JobSnoozeError
	var cancel *rivertype.JobCancelError
	outcome := "completed"
	switch {
	case err == nil:
	case errors.As(err, &snooze):
		outcome = "snoozed"
	case errors.As(err, &cancel):
		outcome = "cancelled"
	default:
		outcome = "failed"
	}
	j.m.Jobs.WithLabelValues(job.Queue, job.Kind, outcome).Inc()
	j.m.JobRun.WithLabelValues(job.Queue, job.Kind).Observe(run.Seconds())
	if job.AttemptedAt != nil && job.AttemptedAt.After(job.ScheduledAt) {
		j.m.JobWait.WithLabelValues(job.Queue).Observe(job.AttemptedAt.Sub(job.ScheduledAt).Seconds())
	}
	return err
}
