package stats

import (
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"buergerbuero/internal/web"
	"buergerbuero/office"
)

//go:embed page.html
var pageHTML string

// Texts gives the page's words from the catalogue, in the language the
// browser asks for.
type Texts interface {
	Text(langHint, id string, kv ...any) string
}

// pageWords are the ids of the page's words.
var pageWords = []string{"StatsTitle", "StatsFrom", "StatsTo", "StatsPer", "StatsShow", "StatsAppointments", "StatsWalkIns", "StatsServed",
	"StatsNoShows", "StatsCancelled", "StatsWaitMedian", "StatsWaitP90", "StatsUtilisation", "StatsOnlineShare", "StatsStaffShare", "StatsConcernsTitle", "StatsConcern",
	"StatsCases", "StatsMean", "StatsMedian", "StatsConfigured", "StatsNoCases", "StatsExport", "StatsDay", "StatsWeek", "StatsMonth",
	"StatsChartWait", "StatsChartConcerns", "StatsChartNoShows", "StatsRate", "StatsOfficesTitle", "StatsOffice", "StatsTownTotal"}

// Handler serves the statistics page (charts and tables) at / and the CSV
// tables at /<table>.csv, each for ?from=YYYY-MM-DD&to=YYYY-MM-DD&period=,
// in the browser's language (texts). Put it behind the admin's
// authentication.
func Handler(log Events, cfg *office.Config, now func() time.Time, texts Texts) http.Handler {
	return handler(cfg.Office.Name, cfg, Tables, func(ctx context.Context, from, to time.Time, p Period) (Report, error) {
		return Compute(ctx, log, cfg, from, to, p)
	}, now, texts)
}

// TownHandler serves a town's statistics as Handler does one office's,
// with the offices side by side and the town's total (the offices table).
func TownHandler(town string, offices []OfficeLog, now func() time.Time, texts Texts) http.Handler {
	return handler(town, offices[0].Config, append(slices.Clone(Tables), "offices"), func(ctx context.Context, from, to time.Time, p Period) (Report, error) {
		return ComputeTown(ctx, offices, from, to, p)
	}, now, texts)
}

// handler serves the reports compute makes; cfg gives the calendar.
func handler(office string, cfg *office.Config, tables []string, compute func(ctx context.Context, from, to time.Time, p Period) (Report, error),
	now func() time.Time, texts Texts) http.Handler {
	page := template.Must(template.New("page").Parse(pageHTML))
	mux := http.NewServeMux()
	query := func(r *http.Request) (time.Time, time.Time, Period, error) {
		today := cfg.Day(now())
		from, to := today.AddDate(0, 0, -30), today
		var err error
		if v := r.URL.Query().Get("from"); v != "" {
			if from, err = time.ParseInLocation(time.DateOnly, v, cfg.Location()); err != nil {
				return from, to, "", fmt.Errorf("from %q is not a date like 2026-11-01", v)
			}
		}
		if v := r.URL.Query().Get("to"); v != "" {
			if to, err = time.ParseInLocation(time.DateOnly, v, cfg.Location()); err != nil {
				return from, to, "", fmt.Errorf("to %q is not a date like 2026-11-30", v)
			}
		}
		if to.Before(from) || to.Sub(from) > 3*366*24*time.Hour {
			return from, to, "", fmt.Errorf("the span from %s to %s is not possible (at most three years)", from.Format(time.DateOnly), to.Format(time.DateOnly))
		}
		p, err := ParsePeriod(r.URL.Query().Get("period"))
		return from, to, p, err
	}
	// report computes the report the request asks for, or answers the error.
	report := func(w http.ResponseWriter, r *http.Request) (Report, bool) {
		from, to, p, err := query(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return Report{}, false
		}
		rep, err := compute(r.Context(), from, to, p)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return Report{}, false
		}
		return rep, true
	}
	mux.HandleFunc("GET /{table}", func(w http.ResponseWriter, r *http.Request) {
		table, ok := strings.CutSuffix(r.PathValue("table"), ".csv")
		if !ok {
			http.NotFound(w, r)
			return
		}
		rep, ok := report(w, r)
		if !ok {
			return
		}
		from, to := rep.From, rep.To
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s_%s_%s.csv"`, table, from.Format("20060102"), to.Format("20060102")))
		if err := WriteCSV(w, rep, table); err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
		}
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		rep, ok := report(w, r)
		if !ok {
			return
		}
		from, to, p := rep.From, rep.To, rep.Period
		type concernRow struct {
			Name                     string
			Cases, Served            int
			Mean, Median, Configured string
		}
		var concerns []concernRow
		for _, row := range rep.Concerns {
			f := row.Figures
			concerns = append(concerns, concernRow{row.Name, f.Appointments + f.WalkIns, f.Served, minutes(f.Service.Mean) + " min",
				minutes(f.Service.Median) + " min", fmt.Sprintf("%d min", row.ConfiguredMinutes)})
		}
		lang := r.Header.Get("Accept-Language")
		words := map[string]string{}
		for _, id := range pageWords {
			words[id] = texts.Text(lang, id)
		}
		online, staff := rep.Total.ShareUse()
		var charts []template.HTML
		for _, c := range Charts(rep, words) {
			charts = append(charts, template.HTML(c)) // built by svg.go with every text escaped
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'")
		page.Execute(w, map[string]any{
			"Office": office, "Offices": officeRows(rep), "From": from.Format(time.DateOnly), "To": to.Format(time.DateOnly), "Period": p,
			"PeriodChoices": []Period{Day, Week, Month}, "PeriodNames": map[Period]string{Day: words["StatsDay"], Week: words["StatsWeek"], Month: words["StatsMonth"]},
			"W": words, "Lang": web.Lang(r), "Total": rep.Total, "NoShows": rep.Total.NoShows + rep.Total.Expired,
			"WaitMedian": minutes(rep.Total.Wait.Median), "WaitP90": minutes(rep.Total.Wait.P90),
			"Utilisation": fmt.Sprintf("%.0f", rep.Total.Utilisation()*100), "Charts": charts, "Concerns": concerns,
			"OnlineUse": fmt.Sprintf("%.0f", online*100), "StaffUse": fmt.Sprintf("%.0f", staff*100), "StaffShare": rep.Total.StaffAvailableMinutes > 0,
			"Tables": tables, "CSVBase": "",
		})
	})
	return mux
}

// officeRow is a town's office (or the town) as the page shows it.
type officeRow struct {
	Name                                           string
	Appointments, WalkIns, Served, NoShows, Cancel int
	WaitMedian, WaitP90, Utilisation               string
}

// officeRows are the offices side by side and, last, the town (none for
// one office).
func officeRows(r Report) []officeRow {
	if len(r.Offices) == 0 {
		return nil
	}
	var out []officeRow
	for _, row := range append(slices.Clone(r.Offices), Row{Figures: r.Total}) {
		f := row.Figures
		out = append(out, officeRow{Name: row.Name, Appointments: f.Appointments, WalkIns: f.WalkIns, Served: f.Served, NoShows: f.NoShows + f.Expired,
			Cancel: f.Cancelled, WaitMedian: minutes(f.Wait.Median), WaitP90: minutes(f.Wait.P90), Utilisation: fmt.Sprintf("%.0f", f.Utilisation()*100)})
	}
	return out
}
