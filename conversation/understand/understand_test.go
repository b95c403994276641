package understand

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"buergerbuero/office"
)

var berlin, _ = time.LoadLocation("Europe/Berlin")

func demoParser(t testing.TB) *Parser {
	cfg, err := office.DemoConfig()
	if err != nil {
		t.Fatal(err)
	}
	return NewParser(cfg)
}

// parseNow is Tuesday 24.11.2026, 10:00.
var parseNow = time.Date(2026, 11, 24, 10, 0, 0, 0, berlin)

func TestParseConcerns(t *testing.T) {
	p := demoParser(t)
	tests := []struct{ in, want string }{
		{"Perso", "[{personalausweis 1}]"},
		{"Ausweis", "[{personalausweis 1}]"},
		{"Personalausweis beantragen", "[{personalausweis 1}]"},
		{"personalausweiss", "[{personalausweis 1}]"}, // a slip
		{"Pass", "[{reisepass 1}]"},
		{"Reisepass verlängern", "[{reisepass 1}]"},
		{"Auto abmelden", "[{fahrzeug-abmelden 1}]"},
		{"Anmeldung", "[{wohnsitz 1}]"},
		{"Ummeldung nach Umzug", "[{wohnsitz 1}]"},
		{"Führungszeugnis", "[{fuehrungszeugnis 1}]"},
		{"Fuehrungszeugnis", "[{fuehrungszeugnis 1}]"},
		{"Fuhrungszeugnis", "[{fuehrungszeugnis 1}]"},
		{"vorläufiger Personalausweis", "[{vorlaeufiger-ausweis 1}]"},
		{"2 Personalausweise und einen Reisepass", "[{personalausweis 2} {reisepass 1}]"},
		{"drei Ausweise", "[{personalausweis 3}]"},
		{"passport and ID card", "[{reisepass 1} {personalausweis 1}]"}, // in the order named
		{"deregister my car", "[{fahrzeug-abmelden 1}]"},
		{"register my new address and get a certificate of residence", "[{wohnsitz 1} {meldebescheinigung 1}]"},
		{"proof of address", "[{meldebescheinigung 1}]"},
		{"police certificate", "[{fuehrungszeugnis 1}]"},
		{"Kinderreisepass", "[{reisepass 1}]"},
		{"Kompass", "[]"},
		{"Ich möchte meine Adresse ändern", "[{wohnsitz 1}]"},
		{"Pässe", "[{reisepass 1}]"},
		{"2 Pässe", "[{reisepass 2}]"},
		{"Das passt mir gut", "[]"},
		{"Führungszeugnisse", "[{fuehrungszeugnis 1}]"},
		{"Ausweis verloren, ich brauche einen neuen", "[{personalausweis 1}]"}, // lost is not lost property
		{"I lost my passport", "[{reisepass 1}]"},
		{"Ich habe einen Schlüssel gefunden", "[{fundsache 1}]"},
		{"Hallo", "[]"},
		{"Termin am Dienstag", "[]"},
		// Issue 14: several people in one sentence.
		{"Wir brauchen beide einen neuen Personalausweis", "[{personalausweis 2}]"},
		{"Personalausweis für meinen Mann und mich", "[{personalausweis 2}]"},
		{"Reisepass für mich und meine Frau", "[{reisepass 2}]"},
		{"passports for my wife and me", "[{reisepass 2}]"},
		{"we both need an ID card", "[{personalausweis 2}]"},
		{"3 Pässe für meinen Mann und mich", "[{reisepass 3}]"},         // a count said wins
		{"Ich und mein Mann, Auto abmelden", "[{fahrzeug-abmelden 1}]"}, // not a case each person needs
		{"Ummeldung für meine Frau und mich und ein Führungszeugnis", "[{wohnsitz 2} {fuehrungszeugnis 1}]"},
		{"Reisepässe für die Kinder", "[{reisepass 1}]"},
		{"Ich brauche einen Personalausweis und Max und Moritz auch", "[{personalausweis 1}]"}, // names are not family words
	}
	for _, tc := range tests {
		got := fmt.Sprint(p.Understand(tc.in, parseNow).Concerns)
		if got != tc.want {
			t.Errorf("%q: concerns %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestParseDatesAndTimes(t *testing.T) {
	p := demoParser(t)
	tests := []struct {
		in       string
		wantDay  string // "" = none
		wantTime string // "" = none
	}{
		{"morgen", "2026-11-25", ""},
		{"übermorgen", "2026-11-26", ""},
		{"uebermorgen 9 Uhr", "2026-11-26", "09:00"},
		{"heute", "2026-11-24", ""},
		{"tomorrow", "2026-11-25", ""},
		{"Dienstag", "2026-11-24", ""},
		{"nächsten Dienstag", "2026-12-01", ""},
		{"next Monday", "2026-11-30", ""},
		{"Di 14:30", "2026-11-24", "14:30"},
		{"Do., 26.11.", "2026-11-26", ""},
		{"Donnerstag", "2026-11-26", ""},
		{"25.11.", "2026-11-25", ""},
		{"25.11.2026", "2026-11-25", ""},
		{"5.1.27", "2027-01-05", ""},
		{"2026-12-03", "2026-12-03", ""},
		{"3. Dezember um 10:30", "2026-12-03", "10:30"},
		{"December 3rd at 2pm", "2026-12-03", "14:00"},
		{"14:30", "", "14:30"},
		{"geht das morgen um 9?", "2026-11-25", "09:00"},
		{"at 10 please", "", "10:00"},
		{"um 25.11.", "2026-11-25", ""},
		{"14.30", "", "14:30"},
		{"14 Uhr", "", "14:00"},
		{"14h30", "", "14:30"},
		{"2pm", "", "14:00"},
		{"2:30 pm", "", "14:30"},
		{"12am", "", "00:00"},
		{"31.02.", "", ""},
		{"Hallo, wie geht es?", "", ""},
		{"so", "2026-11-29", ""},
		{"so geht das nicht", "", ""},
		{"25:99", "", ""},
		{"morgen 10", "2026-11-25", "10:00"},
		{"Donnerstag 14", "2026-11-26", "14:00"},
		{"Do 9 bitte", "2026-11-26", "09:00"},
		{"Di 12.12.", "2026-12-12", ""},
		{"morgen 2 Ausweise", "2026-11-25", ""},
		{"in 10 Tagen", "2026-12-04", ""},
		// days and times in words
		{"am Ersten", "2026-12-01", ""},
		{"on the first", "2026-12-01", ""},
		{"Anfang Dezember", "2026-12-01", ""},
		{"Mitte Januar", "2027-01-15", ""},
		{"Ende Dezember", "2026-12-25", ""},
		{"Anfang November", "2026-11-24", ""}, // this month: from today
		{"Ende der Woche", "2026-11-26", ""},
		{"Ende nächster Woche", "2026-12-03", ""},
		{"end of next week", "2026-12-03", ""},
		{"am Do um 11", "2026-11-26", "11:00"},
		{"viertel nach zehn", "", "10:15"},
		{"viertel vor drei", "", "14:45"},
		{"half past nine", "", "09:30"},
		{"quarter to 11", "", "10:45"},
		{"3.12 14h", "2026-12-03", "14:00"},
		{"3.12", "", "03:12"}, // alone, a time
		{"ich bin am 15. eingezogen", "", ""},
	}
	for _, tc := range tests {
		u := p.Understand(tc.in, parseNow)
		gotDay, gotTime := "", ""
		if u.HasDay {
			gotDay = u.Day.Format(time.DateOnly)
		}
		if u.HasTime {
			gotTime = fmt.Sprintf("%02d:%02d", u.Minute/60, u.Minute%60)
		}
		if gotDay != tc.wantDay || gotTime != tc.wantTime {
			t.Errorf("%q: day %q time %q, want %q %q", tc.in, gotDay, gotTime, tc.wantDay, tc.wantTime)
		}
	}
}

// Relative days and weeks, and dates that do not exist (named back as written).
func TestParseRelativeAndBadDates(t *testing.T) {
	p := demoParser(t)
	tests := []struct {
		in, wantDay, wantBad string
	}{
		{"in drei Wochen", "2026-12-15", ""},
		{"Montag in drei Wochen", "2026-12-14", ""},
		{"in 2 Wochen am Freitag", "2026-12-11", ""},
		{"nächste Woche", "2026-11-30", ""},
		{"Dienstag nächste Woche", "2026-12-01", ""},
		{"übernächste Woche Mittwoch", "2026-12-09", ""},
		{"next week Thursday", "2026-12-03", ""},
		{"in a week", "2026-12-01", ""},
		{"in 10 Tagen", "2026-12-04", ""},
		{"in einer Woche", "2026-12-01", ""},
		{"gestern", "2026-11-23", ""},
		{"Guten Morgen, ich brauche einen Pass", "", ""},
		{"Guten Morgen, geht es morgen?", "2026-11-25", ""},
		{"31.02.", "", "31.02."},
		{"am 32.12.2026 bitte", "", "32.12.2026"},
		{"2026-13-01", "", "2026-13-01"},
		{"30. Februar", "", "30. februar"},
		{"in der Woche", "", ""},
		{"ich wohne in 2 Straßen Entfernung", "", ""},
	}
	for _, tc := range tests {
		u := p.Understand(tc.in, parseNow)
		gotDay := ""
		if u.HasDay {
			gotDay = u.Day.Format(time.DateOnly)
		}
		if gotDay != tc.wantDay || u.BadDate != tc.wantBad {
			t.Errorf("%q: day %q bad %q, want %q %q", tc.in, gotDay, u.BadDate, tc.wantDay, tc.wantBad)
		}
	}
}

// A greeting alone brings the menu; with a request it is just polite.
func TestParseGreetings(t *testing.T) {
	p := demoParser(t)
	tests := []struct {
		in   string
		want Intent
	}{
		{"Hallo", IntentMenu},
		{"Guten Tag!", IntentMenu},
		{"hi", IntentMenu},
		{"Hallo, ich brauche einen neuen Reisepass", IntentNone}, // the concern says: book
		{"hi, I need to register my new address", IntentNone},
		{"Hallo, morgen um 9?", IntentNone},
		{"Hallo, ich möchte meinen Termin absagen", IntentCancel},
		{"hello, what are your opening hours", IntentHours},
		{"Menü", IntentMenu},
		{"change my address", IntentNone}, // a concern, booked
		{"Ich möchte meine Adresse ändern", IntentNone},
		{"Ich möchte meinen Termin ändern", IntentReschedule},
		{"Termin für Personalausweis verschieben", IntentReschedule},
		{"Wie ist die Adresse?", IntentHours},
	}
	for _, tc := range tests {
		u := p.Understand(tc.in, parseNow)
		if u.Intent != tc.want {
			t.Errorf("%q: intent %q, want %q", tc.in, u.Intent, tc.want)
		}
	}
	if u := p.Understand("hi, I need to register my new address", parseNow); len(u.Concerns) == 0 {
		t.Errorf("concern lost behind a greeting: %+v", u)
	}
}

// Concerns named in the plural without a count are marked, so the dialogue asks how many.
func TestParsePlurals(t *testing.T) {
	p := demoParser(t)
	tests := []struct{ in, want string }{
		{"neue Ausweise", "[personalausweis]"},
		{"Reisepässe", "[reisepass]"},
		{"ID cards and passports", "[personalausweis reisepass]"},
		{"2 Ausweise", "[]"},
		{"einen Ausweis", "[]"},
		{"Führungszeugnisse", "[fuehrungszeugnis]"},
	}
	for _, tc := range tests {
		if got := fmt.Sprint(p.Understand(tc.in, parseNow).Plural); got != tc.want {
			t.Errorf("%q: plural %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestParseIntentsNumbersAndNames(t *testing.T) {
	p := demoParser(t)
	tests := []struct {
		in                string
		intent            Intent
		number, pin, name string
		partFrom, partTo  int
		yes, no           bool
	}{
		{in: "Ich möchte einen Termin", intent: IntentBook},
		{in: "Termin absagen T-042 123456", intent: IntentCancel, number: "T-042", pin: "123456"},
		{in: "t42 123 456", number: "T-042", pin: "123456"},
		{in: "Was muss ich mitbringen?", intent: IntentDocs},
		{in: "Öffnungszeiten", intent: IntentHours},
		{in: "Ich bin da", intent: IntentCheckIn},
		{in: "wo bin ich in der Warteschlange", intent: IntentStatus},
		{in: "zurück", intent: IntentBack},
		{in: "Termin verschieben", intent: IntentReschedule},
		{in: "Termin für Personalausweis am Dienstag vormittags, Max Mustermann", intent: IntentBook, name: "Max Mustermann", partFrom: 0, partTo: 720},
		{in: "Mein Name ist Erika Mustermann", name: "Erika Mustermann"},
		{in: "nachmittags", partFrom: 720, partTo: 1440},
		{in: "ja", intent: IntentYes, yes: true},
		{in: "nein danke", intent: IntentNo, no: true},
		{in: "Ja, bitte buchen.", intent: IntentBook, yes: true},
		{in: "ja nein", intent: IntentYes},
		{in: "?", intent: IntentHelp},
		// Issue 14's list: what citizens type that was not understood.
		{in: "Wo stehe ich?", intent: IntentStatus},
		{in: "Wo stehe ich in der Schlange?", intent: IntentStatus},
		{in: "Wie viele sind vor mir?", intent: IntentStatus},
		{in: "Habt ihr samstags auf?", intent: IntentHours},
		{in: "Ist das Bürgerbüro morgen offen?", intent: IntentHours},
		{in: "Are you open on Saturdays?", intent: IntentHours},
		{in: "Is the office open tomorrow?", intent: IntentHours},
		{in: "How much is a passport?", intent: IntentDocs},
		{in: "Wie viel kostet ein Reisepass?", intent: IntentDocs},
		{in: "Wie wird das Wetter morgen?", intent: IntentOffTopic},
		{in: "Wie wird das Wetter morgen? Ich brauche einen Pass", intent: IntentNone},
	}
	for _, tc := range tests {
		u := p.Understand(tc.in, parseNow)
		if u.Intent != tc.intent || u.Number != tc.number || u.PIN != tc.pin || u.Name != tc.name || u.PartFrom != tc.partFrom || u.PartTo != tc.partTo || u.Yes != tc.yes || u.No != tc.no {
			t.Errorf("%q: got intent %q number %q pin %q name %q part %d-%d yes %v no %v", tc.in, u.Intent, u.Number, u.PIN, u.Name, u.PartFrom, u.PartTo, u.Yes, u.No)
		}
	}
}

func TestOptionNumber(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		bare bool
		want int
		ok   bool
	}{{"2", 3, true, 1, true}, {"2.", 3, true, 1, true}, {"Nr. 3", 3, false, 2, true}, {"#1", 3, false, 0, true}, {"4", 3, true, 0, false},
		{"0", 3, true, 0, false}, {"zwei", 3, true, 0, false}, {"2", 3, false, 0, false}, {"Option 2", 3, false, 1, true}} {
		got, ok := OptionNumber(tc.in, tc.n, tc.bare)
		if got != tc.want || ok != tc.ok {
			t.Errorf("OptionNumber(%q, %d, %v) = %d %v", tc.in, tc.n, tc.bare, got, ok)
		}
	}
}

// FuzzUnderstand: any text, however garbled, is read without a panic, and
// what it finds is sane.
func FuzzUnderstand(f *testing.F) {
	for _, s := range []string{"Perso morgen 14 Uhr", "25.11.2026", "T-042 123456", "2:30 pm", "31.02.", "Di 14:30", "übermorgen vormittags",
		"mein name ist ", ",", "Termin, A B", "\xff\xfe", "12.12.12.12.", "99:99", "next monday 12am", "3x Pass",
		"паспорт завтра о 10", "з 10 до 11 у понеділок", "через 3 дня", "п'ятниця", "Randevumu cumaya erteleyebilir miyim?", "3 gün sonra", "10 ile 11 arası",
		"جواز السفر الثلاثاء القادم الساعة ٩:٣٠", "بين 10 و 11", "و11", "İptal", "ё'", "ال"} {
		f.Add(s)
	}
	p := demoParser(f)
	f.Fuzz(func(t *testing.T, s string) {
		for _, language := range []string{"", "uk", "ru", "tr", "ar"} {
			fuzzOne(t, p, s, language)
		}
	})
}

// fuzzOne checks one reading of s in a conversation held in language.
func fuzzOne(t *testing.T, p *Parser, s, language string) {
	u := p.UnderstandIn(s, language, parseNow)
	if u.HasTime && (u.Minute < 0 || u.Minute >= 24*60) {
		t.Fatalf("%q: time %d", s, u.Minute)
	}
	for _, c := range u.Concerns {
		if c.Count < 1 || c.Count > 100 {
			t.Fatalf("%q: count %d", s, c.Count)
		}
	}
	if u.HasDay && (u.Day.Year() < 2000 || u.Day.Year() > 2200) {
		t.Fatalf("%q: day %s", s, u.Day)
	}
	OptionNumber(s, 5, true)
}

// "für die Kinder" does not say how many: the dialogue asks.
func TestFamilyWithoutACountIsAsked(t *testing.T) {
	p := demoParser(t)
	for _, in := range []string{"Personalausweis für die Kinder", "passport for the whole family"} {
		if u := p.Understand(in, parseNow); fmt.Sprint(u.Plural) != "[personalausweis]" && fmt.Sprint(u.Plural) != "[reisepass]" {
			t.Errorf("%q: plural %v, want the concern asked for a count", in, u.Plural)
		}
	}
}

// Times of year with no day in them are kept as words, so the dialogue can
// ask which day; with a day named they are not.
func TestVagueDays(t *testing.T) {
	p := demoParser(t)
	tests := []struct{ in, want string }{
		{"Perso nach Ostern", "nach ostern"},
		{"zwischen den Jahren", "zwischen den Jahren"},
		{"after Easter", "after easter"},
		{"nach den Sommerferien", "nach den sommerferien"},
		{"nach Ostern, am 7.4.", ""},
		{"Perso morgen", ""},
	}
	for _, tc := range tests {
		if got := p.Understand(tc.in, parseNow).VagueDay; got != tc.want {
			t.Errorf("%q: vague %q, want %q", tc.in, got, tc.want)
		}
	}
}

// How many people a message books for, and compounds that are other things.
func TestPeopleAndCompounds(t *testing.T) {
	p := demoParser(t)
	tests := []struct{ in, want string }{
		{"Personalausweise für mich und meine beiden Kinder", "[{personalausweis 3}]"},
		{"ID cards for me and my two children", "[{personalausweis 3}]"},
		{"Ummeldung für zwei Personen", "[{wohnsitz 2}]"},
		{"Meldebescheinigung für meine Frau und mich", "[{meldebescheinigung 2}]"},
		{"Kinderreisepass", "[{reisepass 1}]"},
		{"Unterschriftsbeglaubigung", "[{beglaubigung 1}]"},
		{"Wohnsitzanmeldung", "[{wohnsitz 1}]"},
		{"Bewohnerparkausweis", "[]"},
		{"Studentenausweis", "[]"},
	}
	for _, tc := range tests {
		if got := fmt.Sprint(p.Understand(tc.in, parseNow).Concerns); got != tc.want {
			t.Errorf("%q: %s, want %s", tc.in, got, tc.want)
		}
	}
}

// Intents a word list alone cannot tell, and names cut where they end.
func TestIntentsInContextAndNames(t *testing.T) {
	p := demoParser(t)
	tests := []struct {
		in     string
		intent Intent
		name   string
	}{
		{"Ich sage meinen Termin ab", IntentCancel, ""},
		{"Geht der Termin auch später?", IntentReschedule, ""},
		{"Ich schaffe es um 10 nicht, geht auch 14 Uhr?", IntentReschedule, ""},
		{"I can't make it", IntentCancel, ""},
		{"Gibt es einen früheren Termin?", IntentEarlier, ""},
		{"Danke, das wars", IntentThanks, ""},
		{"nein danke", IntentNo, ""},
		{"Is registration free?", IntentDocs, ""},
		{"Bis wann seid ihr heute da?", IntentHours, ""},
		{"Habt ihr mittags zu?", IntentHours, ""},
		{"Ich bin da", IntentCheckIn, ""},
		{"Ich heiße Mehmet Yılmaz und brauche einen Reisepass", IntentNone, "Mehmet Yılmaz"},
		{"Mein Name ist Ursula von der Leyen", IntentNone, "Ursula von der Leyen"},
		{"Führungszeugnis bitte. Gruß Klaus Meier", IntentNone, "Klaus Meier"},
	}
	for _, tc := range tests {
		u := p.Understand(tc.in, parseNow)
		if u.Intent != tc.intent || u.Name != tc.name {
			t.Errorf("%q: intent %q name %q, want %q %q", tc.in, u.Intent, u.Name, tc.intent, tc.name)
		}
	}
}

// splitWords keeps every character: words and separators put together
// again are the text, so a translation changes words and nothing else.
func FuzzSplitWords(f *testing.F) {
	for _, s := range []string{"", "a", " a ", "14:30 завтра", "و11", "T-042 123456", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, seps := splitWords(s)
		if len(seps) != len(words)+1 {
			t.Fatalf("%q: %d words, %d separators", s, len(words), len(seps))
		}
		var b strings.Builder
		for i, w := range words {
			b.WriteString(seps[i] + w)
		}
		b.WriteString(seps[len(words)])
		if b.String() != string([]rune(s)) { // an invalid byte reads as U+FFFD
			t.Fatalf("%q put together is %q", s, b.String())
		}
	})
}
