package stats

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
)

// Tables are the CSV tables a report can be exported as. Every table has
// a header line; times are minutes with one decimal; percentiles are
// nearest-rank; a wait runs from the ticket (walk-in) or from the later of
// the appointment time and the check-in (appointment) to the first call;
// a service from the citizen's arrival at the counter (else the call) to
// "done".
//
//	periods:  period, appointments, walk_ins, served, no_shows, expired, cancelled, no_show_rate,
//	          wait_n, wait_median_min, wait_p90_min, wait_max_min, service_n, service_median_min,
//	          booked_min, available_min, utilisation
//	concerns: concern, name, appointments, walk_ins, served, no_shows, expired, cancelled,
//	          wait_n, wait_median_min, wait_p90_min, wait_max_min,
//	          service_n, service_mean_min, service_median_min, configured_min
//	counters: counter, name, served, wait_n, wait_median_min, wait_p90_min, service_n, service_median_min
//	hours:    hour, appointments, walk_ins, wait_n, wait_median_min, wait_p90_min, wait_max_min
//	offices:  office, name, appointments, walk_ins, served, no_shows, expired, cancelled, no_show_rate,
//	          wait_n, wait_median_min, wait_p90_min, utilisation (a town's; the last row is the town)
var Tables = []string{"periods", "concerns", "counters", "hours"}

func minutes(d time.Duration) string { return strconv.FormatFloat(d.Minutes(), 'f', 1, 64) }

func ratio(f float64) string { return strconv.FormatFloat(f, 'f', 3, 64) }

// WriteCSV writes one table of the report.
func WriteCSV(w io.Writer, r Report, table string) error {
	cw := csv.NewWriter(w)
	itoa := strconv.Itoa
	switch table {
	case "periods":
		cw.Write([]string{"period", "appointments", "walk_ins", "served", "no_shows", "expired", "cancelled", "no_show_rate",
			"wait_n", "wait_median_min", "wait_p90_min", "wait_max_min", "service_n", "service_median_min", "booked_min", "available_min", "utilisation",
			"staff_appointments", "staff_booked_min", "staff_available_min", "online_share_use", "staff_share_use"})
		for _, row := range r.Periods {
			f := row.Figures
			online, staff := f.ShareUse()
			cw.Write([]string{row.Key, itoa(f.Appointments), itoa(f.WalkIns), itoa(f.Served), itoa(f.NoShows), itoa(f.Expired), itoa(f.Cancelled),
				ratio(f.NoShowRate()), itoa(f.Wait.N), minutes(f.Wait.Median), minutes(f.Wait.P90), minutes(f.Wait.Max),
				itoa(f.Service.N), minutes(f.Service.Median), itoa(f.BookedMinutes), itoa(f.AvailableMinutes), ratio(f.Utilisation()),
				itoa(f.StaffAppointments), itoa(f.StaffBookedMinutes), itoa(f.StaffAvailableMinutes), ratio(online), ratio(staff)})
		}
	case "concerns":
		cw.Write([]string{"concern", "name", "appointments", "walk_ins", "served", "no_shows", "expired", "cancelled",
			"wait_n", "wait_median_min", "wait_p90_min", "wait_max_min", "service_n", "service_mean_min", "service_median_min", "configured_min"})
		for _, row := range r.Concerns {
			f := row.Figures
			cw.Write([]string{row.Key, row.Name, itoa(f.Appointments), itoa(f.WalkIns), itoa(f.Served), itoa(f.NoShows), itoa(f.Expired), itoa(f.Cancelled),
				itoa(f.Wait.N), minutes(f.Wait.Median), minutes(f.Wait.P90), minutes(f.Wait.Max),
				itoa(f.Service.N), minutes(f.Service.Mean), minutes(f.Service.Median), itoa(row.ConfiguredMinutes)})
		}
	case "counters":
		cw.Write([]string{"counter", "name", "served", "wait_n", "wait_median_min", "wait_p90_min", "service_n", "service_median_min"})
		for _, row := range r.Counters {
			f := row.Figures
			cw.Write([]string{row.Key, row.Name, itoa(f.Served), itoa(f.Wait.N), minutes(f.Wait.Median), minutes(f.Wait.P90),
				itoa(f.Service.N), minutes(f.Service.Median)})
		}
	case "hours":
		cw.Write([]string{"hour", "appointments", "walk_ins", "wait_n", "wait_median_min", "wait_p90_min", "wait_max_min"})
		for _, row := range r.Hours {
			f := row.Figures
			cw.Write([]string{row.Key, itoa(f.Appointments), itoa(f.WalkIns), itoa(f.Wait.N), minutes(f.Wait.Median), minutes(f.Wait.P90), minutes(f.Wait.Max)})
		}
	case "offices":
		cw.Write([]string{"office", "name", "appointments", "walk_ins", "served", "no_shows", "expired", "cancelled", "no_show_rate",
			"wait_n", "wait_median_min", "wait_p90_min", "utilisation"})
		for _, row := range append(slices.Clone(r.Offices), Row{Key: "town", Figures: r.Total}) {
			f := row.Figures
			cw.Write([]string{row.Key, row.Name, itoa(f.Appointments), itoa(f.WalkIns), itoa(f.Served), itoa(f.NoShows), itoa(f.Expired),
				itoa(f.Cancelled), ratio(f.NoShowRate()), itoa(f.Wait.N), minutes(f.Wait.Median), minutes(f.Wait.P90), ratio(f.Utilisation())})
		}
	default:
		return fmt.Errorf("table %q: use periods, concerns, counters, hours or offices", table)
	}
	cw.Flush()
	return cw.Error()
}
