package stats

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// Charts are drawn on the server as plain SVG: no script, no CDN.

// series is one set of values of a chart.
type series struct {
	name   string
	color  string
	values []float64
}

const (
	chartW, chartH         = 900, 320
	padL, padR, padT, padB = 60, 20, 40, 70
	plotW, plotH           = chartW - padL - padR, chartH - padT - padB
)

// niceMax rounds up to a readable axis maximum.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if v <= m*mag {
			return m * mag
		}
	}
	return 10 * mag
}

func svgStart(b *strings.Builder, title, unit string, top float64) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" font-family="sans-serif" font-size="13">`,
		chartW, chartH, chartW, chartH, html.EscapeString(title))
	fmt.Fprintf(b, `<rect width="%d" height="%d" fill="#fff"/><text x="%d" y="22" font-size="16" font-weight="bold">%s</text>`, chartW, chartH, padL, html.EscapeString(title))
	for i := 0; i <= 4; i++ {
		y := padT + plotH - plotH*i/4
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#ddd"/><text x="%d" y="%d" text-anchor="end" fill="#444">%s</text>`,
			padL, y, padL+plotW, y, padL-6, y+4, html.EscapeString(fmt.Sprintf("%g%s", top*float64(i)/4, unit)))
	}
}

func label(b *strings.Builder, x int, text string, many bool) {
	if many {
		fmt.Fprintf(b, `<text transform="translate(%d,%d) rotate(-50)" text-anchor="end" fill="#222">%s</text>`, x, padT+plotH+14, html.EscapeString(text))
		return
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" fill="#222">%s</text>`, x, padT+plotH+18, html.EscapeString(text))
}

func legend(b *strings.Builder, ss []series) {
	x := chartW - padR
	for i := len(ss) - 1; i >= 0; i-- {
		w := 14 + 8*len([]rune(ss[i].name))
		x -= w + 12
		fmt.Fprintf(b, `<rect x="%d" y="10" width="10" height="10" fill="%s"/><text x="%d" y="20">%s</text>`, x, ss[i].color, x+14, html.EscapeString(ss[i].name))
	}
}

// barChart draws grouped bars, one group per label.
func barChart(title, unit string, labels []string, ss []series) string {
	var top float64
	for _, s := range ss {
		for _, v := range s.values {
			top = math.Max(top, v)
		}
	}
	top = niceMax(top)
	var b strings.Builder
	svgStart(&b, title, unit, top)
	legend(&b, ss)
	n := max(1, len(labels))
	group := float64(plotW) / float64(n)
	bar := group * 0.8 / float64(max(1, len(ss)))
	for i, l := range labels {
		x0 := float64(padL) + group*float64(i) + group*0.1
		for j, s := range ss {
			v := 0.0
			if i < len(s.values) {
				v = s.values[i]
			}
			h := float64(plotH) * v / top
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %g%s</title></rect>`,
				x0+bar*float64(j), float64(padT+plotH)-h, math.Max(1, bar-1), h, s.color, html.EscapeString(l), html.EscapeString(s.name), v, html.EscapeString(unit))
		}
		label(&b, int(x0+group*0.4), l, n > 12)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// lineChart draws one line over the labels, with its points.
func lineChart(title, unit string, labels []string, s series) string {
	var top float64
	for _, v := range s.values {
		top = math.Max(top, v)
	}
	top = niceMax(top)
	var b strings.Builder
	svgStart(&b, title, unit, top)
	legend(&b, []series{s})
	n := len(labels)
	step := float64(plotW) / float64(max(1, n))
	var pts []string
	for i, v := range s.values {
		x := float64(padL) + step*(float64(i)+0.5)
		y := float64(padT+plotH) - float64(plotH)*v/top
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>%s: %g%s</title></circle>`, x, y, s.color, html.EscapeString(labels[i]), v, html.EscapeString(unit))
	}
	fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2.5"/>`, strings.Join(pts, " "), s.color)
	for i, l := range labels {
		if n > 16 && i%((n+15)/16) != 0 {
			continue
		}
		label(&b, int(float64(padL)+step*(float64(i)+0.5)), l, n > 12)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// Charts are the report's three charts: waiting time per hour, cases per
// concern, no-show rate over time.
func Charts(r Report, words map[string]string) []string {
	var hours []string
	var median, p90 []float64
	for _, row := range r.Hours {
		hours = append(hours, row.Key+" Uhr")
		median = append(median, math.Round(row.Figures.Wait.Median.Minutes()*10)/10)
		p90 = append(p90, math.Round(row.Figures.Wait.P90.Minutes()*10)/10)
	}
	var concerns []string
	var appts, walkins []float64
	for _, row := range r.Concerns {
		concerns = append(concerns, row.Name)
		appts = append(appts, float64(row.Figures.Appointments))
		walkins = append(walkins, float64(row.Figures.WalkIns))
	}
	var periods []string
	var rate []float64
	for _, row := range r.Periods {
		periods = append(periods, row.Key)
		rate = append(rate, math.Round(row.Figures.NoShowRate()*1000)/10)
	}
	return []string{
		barChart(words["StatsChartWait"], " min", hours, []series{{words["StatsMedian"], "#005ea8", median}, {"90 %", "#f2a900", p90}}),
		barChart(words["StatsChartConcerns"], "", concerns, []series{{words["StatsAppointments"], "#005ea8", appts}, {words["StatsWalkIns"], "#7fb800", walkins}}),
		lineChart(words["StatsChartNoShows"], " %", periods, series{words["StatsRate"], "#c0392b", rate}),
	}
}
