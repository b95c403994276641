package webbooking

import (
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"buergerbuero/internal/lang"
	"buergerbuero/internal/webgate"
	"buergerbuero/internal/webguard"
)

// The booking page: concern, then day and time in one view, then the name
// (and e-mail), then booked — three clicks and the name typed. It is plain
// HTML and a small script over the API, in the catalogue's words, usable
// with the keyboard alone and at 320 px. A town shows it at /book/ or
// embeds it into any page of its CMS with embed.js (an iframe the page's
// frame-ancestors allow only for the origins the config names).

//go:embed static
var static embed.FS

type pageData struct {
	Lang, Dir    string
	Others       []otherLanguage
	Title, Intro string
	Office       string
	Logo         string
	Texts        template.JS
	Offices      template.JS
	Steps        map[string]string
	Embedded     bool
}

// otherLanguage is a link to the page in another of the catalogue's
// languages, named as its speakers write it.
type otherLanguage struct{ Code, Name, Dir string }

// otherLanguages are the catalogue's languages but l.
func otherLanguages(l string) []otherLanguage {
	var out []otherLanguage
	for _, code := range lang.All() {
		if code != l {
			out = append(out, otherLanguage{code, lang.Name(code), lang.Dir(code)})
		}
	}
	return out
}

// Page is the booking page and its files, to mount at /book/.
func (wb *Web) Page() http.Handler {
	files, _ := fs.Sub(static, "static")
	tmpl := template.Must(template.ParseFS(files, "book.html"))
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { wb.page(w, r, tmpl) }))
	mux.Handle("GET /pow.js", webgate.Worker())
	mux.HandleFunc("GET /brand.css", wb.brand)
	mux.Handle("GET /embed.js", embedScript(files))
	mux.Handle("GET /", http.FileServerFS(files))
	return webguard.Page(wb.csp(), mux)
}

// csp is the page's Content-Security-Policy: its own files, the logo's
// origin, and framed only by itself and the towns' sites.
func (wb *Web) csp() string {
	img := "'self' data:"
	if u, err := url.Parse(wb.offices[0].Desk.Config().Office.Logo); err == nil && u.Scheme == "https" {
		img += " https://" + u.Host
	}
	return "default-src 'self'; img-src " + img + "; object-src 'none'; base-uri 'none'; form-action 'self'; " +
		strings.TrimSpace("frame-ancestors 'self' "+strings.Join(wb.origins, " "))
}

func (wb *Web) page(w http.ResponseWriter, r *http.Request, tmpl *template.Template) {
	l := wb.lang(r)
	d := wb.offices[0].Desk
	// The catalogue's texts the page uses; "{minutes}" and the like in
	// them are filled by the script.
	placeholders := []any{"Minutes", "{minutes}", "Phone", "{phone}", "Until", "{until}", "When", "{when}", "Number", "{number}"}
	texts := map[string]string{}
	for _, id := range []string{"BookTitle", "BookIntro", "BookStepConcern", "BookStepTime", "BookStepName", "BookMinutes", "BookMoreDays",
		"BookNoTimes", "BookName", "BookEmail", "BookEmailHint", "BookSubmit", "BookHeld", "BookDone", "BookNumber", "BookPIN", "BookPINKeep",
		"BookWhen", "BookPlace", "BookBring", "BookCalendar", "BookManage", "BookNumberLabel", "BookPINLabel", "BookLookUp", "BookCancel",
		"BookCancelled", "BookMove", "BookMoved", "BookOffice", "BookWorking", "BookFee", "BookAgain", "ChannelError"} {
		texts[id] = d.Text(l, id, placeholders...)
	}
	type officeInfo struct {
		ID    string `json:"id"`
		Name  string `json:"name"`
		Phone string `json:"phone"`
	}
	var offices []officeInfo
	for _, o := range wb.offices {
		cfg := o.Desk.Config()
		offices = append(offices, officeInfo{o.ID, cfg.Office.Name, cfg.Office.Phone})
	}
	tj, _ := json.Marshal(texts)
	oj, _ := json.Marshal(map[string]any{"offices": offices, "mail": wb.sendsMail, "lang": l})
	cfg := wb.offices[0].Desk.Config()
	data := pageData{Lang: l, Dir: lang.Dir(l), Others: otherLanguages(l), Title: texts["BookTitle"], Intro: texts["BookIntro"], Office: cfg.Office.Name,
		Logo: cfg.Office.Logo, Texts: template.JS(tj), Offices: template.JS(oj), Embedded: r.URL.Query().Get("embed") != "",
		Steps: map[string]string{"concern": texts["BookStepConcern"], "time": texts["BookStepTime"], "name": texts["BookStepName"],
			"done": texts["BookDone"], "manage": texts["BookManage"]}}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", l)
	w.Header().Set("Cache-Control", "no-store")
	if err := tmpl.Execute(w, data); err != nil {
		wb.log.Warn("booking page", "err", err)
	}
}

// brand is the office's colour as CSS.
func (wb *Web) brand(w http.ResponseWriter, _ *http.Request) {
	color := wb.offices[0].Desk.Config().Office.Color
	if color == "" {
		color = "#0b5cad"
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Write([]byte(":root { --brand: " + color + "; }\n")) // a client gone away has nothing left to read
}

// embedScript serves embed.js to any site (a script tag loads it from
// elsewhere); the frame it makes is what frame-ancestors guards.
func embedScript(files fs.FS) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cross-Origin-Resource-Policy", "cross-origin")
		http.ServeFileFS(w, r, files, "embed.js")
	})
}
