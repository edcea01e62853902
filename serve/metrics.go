package serve

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's Prometheus metrics, in a registry of its own
// (served at /metrics), so that two servers in one process do not clash.
type metrics struct {
	reg                 *prometheus.Registry
	requests            *prometheus.CounterVec
	promptTokens        prometheus.Counter
	genTokens           prometheus.Counter
	tokPerSec           prometheus.Gauge
	queueDepth, busyNow prometheus.Gauge
	ttft                prometheus.Histogram
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gptgo_requests_total",
			Help: "HTTP requests by endpoint and status code."}, []string{"endpoint", "status"}),
		promptTokens: prometheus.NewCounter(prometheus.CounterOpts{Name: "gptgo_prompt_tokens_total",
			Help: "Prompt tokens prefilled."}),
		genTokens: prometheus.NewCounter(prometheus.CounterOpts{Name: "gptgo_generated_tokens_total",
			Help: "Tokens generated."}),
		tokPerSec: prometheus.NewGauge(prometheus.GaugeOpts{Name: "gptgo_decode_tokens_per_second",
			Help: "Aggregate decoding speed of the last batched step (tokens of all slots per second)."}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{Name: "gptgo_queue_depth",
			Help: "Requests waiting for a slot."}),
		busyNow: prometheus.NewGauge(prometheus.GaugeOpts{Name: "gptgo_busy_slots",
			Help: "Slots decoding a sequence."}),
		ttft: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "gptgo_time_to_first_token_seconds",
			Help:    "From a request's arrival to its first generated token (queueing and prefill included).",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14)}),
	}
	m.reg.MustRegister(m.requests, m.promptTokens, m.genTokens, m.tokPerSec, m.queueDepth, m.busyNow, m.ttft)
	return m
}

func (m *metrics) request(endpoint string, status int) {
	m.requests.WithLabelValues(endpoint, itoa(status)).Inc()
}
func (m *metrics) prompt(n int)               { m.promptTokens.Add(float64(n)) }
func (m *metrics) generated(n int)            { m.genTokens.Add(float64(n)) }
func (m *metrics) queued(n int)               { m.queueDepth.Set(float64(n)) }
func (m *metrics) busy(n int)                 { m.busyNow.Set(float64(n)) }
func (m *metrics) firstToken(d time.Duration) { m.ttft.Observe(d.Seconds()) }
func (m *metrics) step(rows int, d time.Duration) {
	if d > 0 {
		m.tokPerSec.Set(float64(rows) / d.Seconds())
	}
}
