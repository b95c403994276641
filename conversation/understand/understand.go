// Package understand reads what citizens type: intents, concerns with
// counts, dates, times and parts of the day, waiting numbers, PINs, names
// and e-mail addresses, in German and English. It is a set of pure
// functions over the office's configuration: no state, no store, so the
// dialogue, the staff bot and the tests share one reading.
package understand

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"buergerbuero/booking"
	"buergerbuero/internal/lang"
	"buergerbuero/office"
)

// Intent is what a typed message asks for, if it says.
type Intent string

// The intents the parser recognises.
const (
	IntentNone       Intent = ""
	IntentBook       Intent = "book"
	IntentCancel     Intent = "cancel"
	IntentReschedule Intent = "reschedule"
	IntentDocs       Intent = "docs"
	IntentHours      Intent = "hours"
	IntentHelp       Intent = "help"
	IntentStatus     Intent = "status"
	IntentCheckIn    Intent = "checkin"
	IntentEarlier    Intent = "earlier"
	IntentMenu       Intent = "menu"
	IntentStop       Intent = "stop"
	IntentBack       Intent = "back"
	IntentLanguage   Intent = "language"
	IntentMore       Intent = "more"
	IntentYes        Intent = "yes"
	IntentNo         Intent = "no"
	IntentWalkIn     Intent = "walkin"   // "Kann ich ohne Termin kommen?"
	IntentEarliest   Intent = "earliest" // "so früh wie möglich": the first free time
	IntentLostPIN    Intent = "lostpin"  // "PIN vergessen"
	IntentThanks     Intent = "thanks"
	IntentOffTopic   Intent = "offtopic" // "Wie wird das Wetter morgen?": not for this service
	IntentPayment    Intent = "payment"  // "Kann ich mit Karte zahlen?"
	IntentParking    Intent = "parking"  // "Wo kann ich parken?"
	IntentAccess     Intent = "access"   // "Ist das barrierefrei?"
)

// Understanding is everything the parser found in one message.
type Understanding struct {
	Intent   Intent
	Concerns []office.ConcernCount
	// Day is set when a date was named (midnight in the office's zone).
	Day    time.Time
	HasDay bool
	// Week is set when the day is only a week's start ("nächste Woche",
	// "in drei Wochen"): the days from there are offered, none taken.
	Week bool
	// ByWeekday is set when the day was named only by its weekday
	// ("Dienstag"): the next one, or the next one on a page of days shown.
	ByWeekday bool
	// VagueDay is a time named in words no date follows from ("nach
	// Ostern", "zwischen den Jahren"), so the answer can ask which day.
	VagueDay string
	// BadDate is a date as written that does not exist ("31.02."), so the
	// answer can say which one.
	BadDate string
	// Minute is a time of day in minutes after midnight, when one was named.
	Minute  int
	HasTime bool
	// PartFrom and PartTo narrow the time of day ("vormittags"), in minutes.
	PartFrom, PartTo int
	HasPart          bool
	// Elsewhere is a matter another office handles (1-based index into
	// the config's Elsewhere), or 0.
	Elsewhere int
	// Plural lists concerns named in the plural without a count
	// ("Ausweise"), so the dialogue can ask how many.
	Plural []string
	Number string // a waiting number, "T-042"
	PIN    string // six digits
	Email  string
	Name   string // "mein Name ist ...", "..., Max Mustermann"
	Lang   string // the language the message asks to switch to ("Türkçe"), or ""
	// Written is the language the message is plainly written in, by its
	// letters and words (lang.OfText), or "" when it says too little.
	Written string
	// Yes and No: the message agrees or declines ("Ja, bitte buchen",
	// "nein danke"); both false when it does neither or both.
	Yes, No bool
	// SaysCancel is set for the English word "cancel", which is both "stop
	// this" and, with nothing going on, "cancel my appointment".
	SaysCancel bool
}

// Parser understands typed answers for one office: its concerns by name,
// keyword and short form, dates and times in German and English.
type Parser struct {
	loc       *time.Location
	phrases   []phrase       // longest first
	maxCounts map[string]int // each concern's most per appointment
	perPerson map[string]bool
	vocab     map[string][]string // each concern's words, for compounds
	elsewhere [][][]string        // per matter handled elsewhere (Config.Elsewhere), its phrases
	lexicon   []lexiconEntry      // the other languages' words in the parser's, longest first
}

type phrase struct {
	concern string
	tokens  []string
}

// NewParser builds a parser for the office's concerns.
func NewParser(cfg *office.Config) *Parser {
	p := &Parser{loc: cfg.Location(), maxCounts: map[string]int{}, perPerson: map[string]bool{}, vocab: map[string][]string{}, lexicon: compileLexicon()}
	for _, c := range cfg.Concerns {
		p.maxCounts[c.ID], p.perPerson[c.ID] = c.MaxCount, c.PerPerson
		texts := append(append([]string{c.ID, strings.ReplaceAll(c.ID, "-", " ")}, c.Name.All()...), c.Keywords...)
		seen := map[string]bool{}
		for _, t := range withFoldedDots(texts) {
			toks := Tokens(Normalize(t))
			key := strings.Join(toks, " ")
			if len(toks) == 0 || seen[key] {
				continue
			}
			seen[key] = true
			p.phrases = append(p.phrases, phrase{concern: c.ID, tokens: toks})
			p.vocab[c.ID] = append(p.vocab[c.ID], toks...)
		}
	}
	sort.SliceStable(p.phrases, func(i, j int) bool { return len(p.phrases[i].tokens) > len(p.phrases[j].tokens) })
	for _, r := range cfg.Elsewhere {
		var phrases [][]string
		for _, k := range r.Keywords {
			if toks := Tokens(Normalize(k)); len(toks) > 0 {
				phrases = append(phrases, toks)
			}
		}
		p.elsewhere = append(p.elsewhere, phrases)
	}
	return p
}

// withFoldedDots adds each text with ü, ö, ä written u, o, a, as
// Turkish (and many a German message) is typed without them.
func withFoldedDots(texts []string) []string {
	out := slices.Clone(texts)
	for _, t := range texts {
		if f := foldDots(t); f != t {
			out = append(out, f)
		}
	}
	return out
}

// elsewhereIn is the matter handled elsewhere the message names
// (1-based index into Config.Elsewhere), or 0.
func (p *Parser) elsewhereIn(toks []string, turkish bool) int {
	for i, phrases := range p.elsewhere {
		for _, ph := range phrases {
			for start := 0; start+len(ph) <= len(toks); start++ {
				if sameWords(toks[start:start+len(ph)], ph, turkish) {
					return i + 1
				}
			}
		}
	}
	return 0
}

// sameWords reports whether got says want word by word, endings allowed
// in the languages that add them (inflects).
func sameWords(got, want []string, turkish bool) bool {
	for i, w := range want {
		if !inflects(got[i], w, turkish) {
			return false
		}
	}
	return true
}

// normalize lower-cases and spells umlauts out, so "Führungszeugnis",
// "Fuehrungszeugnis" and "FÜHRUNGSZEUGNIS" compare equal.
func Normalize(s string) string {
	s = strings.ToLower(s)
	return normalizeScripts(strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss", "é", "e", "’", "'").Replace(s))
}

// tokens splits normalised text into words and numbers.
func Tokens(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// Understand reads one message. now is the clock's time, for relative dates.
func (p *Parser) Understand(text string, now time.Time) Understanding {
	return p.UnderstandIn(text, "", now)
}

// UnderstandIn reads one message of a conversation held in language
// ("uk", "tr", …; "" when not known): a short Turkish message without
// Turkish letters ("Geldim") is read as Turkish in a Turkish conversation.
func (p *Parser) UnderstandIn(text, language string, now time.Time) Understanding {
	if len(text) > 2000 {
		text = text[:2000]
	}
	var u Understanding
	norm := Normalize(text)
	u.Written = lang.OfText(text)
	written := u.Written
	if written == "" || language == "tr" && written != "ar" && written != "uk" && written != "ru" {
		written = language
	}
	turkish := written == "tr"
	asWritten := Tokens(norm) // concerns and matters elsewhere, by the office's names in every language
	if needsTranslation(norm, written) {
		norm = p.translate(norm, turkish)
	}
	toks := Tokens(norm)
	u.Intent = refineIntent(intentOf(norm, toks), toks)
	yes, no := hasWord(toks, IntentYes), hasWord(toks, IntentNo)
	u.Yes, u.No = yes && !no, no && !yes
	u.Lang = languageOf(toks)
	u.SaysCancel = slices.Contains(toks, "cancel")
	u.Concerns, u.Plural = p.concerns(asWritten, turkish)
	if u.Elsewhere = p.elsewhereIn(asWritten, turkish); u.Elsewhere > 0 {
		u.Concerns, u.Plural = nil, nil // "Hundesteuer anmelden" is no registration of address
	}
	p.date(&u, norm, toks, now.In(p.loc))
	if !u.HasDay {
		u.VagueDay = vagueDay(toks)
	}
	timeText := dateISO.ReplaceAllString(dateDMY.ReplaceAllString(norm, " "), " ")
	if _, _, rest, ok := shortDate(timeText); ok {
		timeText = rest // "3.12 14h": the 3.12 was the day
	}
	u.Minute, u.HasTime = clockTime(timeText)
	u.PartFrom, u.PartTo, u.HasPart = dayPart(toks)
	if from, to, ok := clockRange(timeText); ok { // "zwischen 10 und 11": the times in it, not 10:00
		u.PartFrom, u.PartTo, u.HasPart, u.HasTime = from, to, true, false
	}
	if u.HasDay && !u.HasTime {
		u.Minute, u.HasTime = hourAfterDay(norm, toks)
	}
	if (u.Intent == IntentBook || u.Intent == IntentNone) && u.HasDay && mentionsOwn(toks) {
		u.Intent = IntentReschedule // "Randevumu gelecek haftaya alabilir miyim?": my appointment, another day
	}
	if u.Intent == IntentMore && u.HasDay {
		u.Intent = IntentNone // "next Tuesday" names a day; it does not ask for more
	}
	if u.Intent == IntentOffTopic && len(u.Concerns) > 0 {
		u.Intent = IntentNone // the weather and a passport: the passport is what counts
	}
	if u.Intent == IntentReschedule && len(u.Concerns) > 0 && !mentionsAppointment(toks) {
		u.Intent = IntentNone // "change my address" is a concern, not a move of an appointment
	}
	if u.Intent == IntentNone && len(u.Concerns) == 0 && !u.HasDay && !u.HasTime && !u.HasPart && greeted(toks) {
		u.Intent = IntentMenu // a greeting and nothing else
	}
	u.Number = numberRe.FindString(norm)
	if u.Number != "" {
		u.Number = booking.NormalizeNumber(u.Number)
	}
	if m := pinRe.FindStringSubmatch(norm); m != nil {
		u.PIN = m[1] + m[2]
	}
	u.Email = emailRe.FindString(text)
	u.Name = nameIn(text)
	return u
}

var (
	numberRe = regexp.MustCompile(`\b[tw]\s?-?\s?\d{1,5}\b`)
	pinRe    = regexp.MustCompile(`(?:^|[^\d])(\d{3})[ ]?(\d{3})(?:$|[^\d])`)
	emailRe  = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	nameRe   = regexp.MustCompile(`(?i)(?:mein name ist|ich hei(?:ß|ss)e|my name is|i am called|name\s*:|мене звати|мене звуть|меня зовут|моє ім'я|мое имя|benim adım|adım|ismim|اسمي)\s*([\p{L}][\p{L}'\-. ]{1,80})`)
)

// intentWords maps words and phrases (normalised) to intents. Phrases are
// matched on word boundaries; the first match in this order wins.
var intentWords = []struct {
	intent Intent
	words  []string
}{
	{IntentCheckIn, []string{"ich bin da", "bin da", "bin jetzt da", "im wartebereich", "im warteraum", "in the waiting area", "angekommen", "i am here", "i m here", "im here", "arrived", "check in", "checkin", "einchecken",
		"bin vor ort", "sind vor ort", "bin hier", "bin jetzt hier", "sind da", "sind jetzt da", "bin im rathaus", "bin schon im rathaus", "im wartezimmer", "waiting room"}},
	{IntentLostPIN, []string{"pin vergessen", "pin verloren", "pin verlegt", "pin weg", "keine pin", "pin nicht mehr", "lost my pin", "lost pin", "forgot my pin",
		"forgot pin", "forgotten my pin", "forgotten pin", "finde ich meine pin", "meine pin finden", "where is my pin", "where do i find my pin", "dont have the pin", "don t have the pin", "don t have my pin", "dont have my pin",
		"pin geloescht", "keine pin bekommen", "hab keine bekommen", "habe keine bekommen", "never got a pin", "didn t get a pin", "no pin"}},
	{IntentWalkIn, []string{"ohne termin", "ohne einen termin", "brauche ich einen termin", "muss ich einen termin", "so kommen", "do i need an appointment", "without an appointment", "without appointment", "walk in", "walkin", "spontan", "einfach vorbeikommen",
		"vorbeischauen", "offene sprechstunde", "ohne terminvereinbarung", "vorher einen termin", "vorher termin", "drop by", "drop in", "book first", "book beforehand"}},
	{IntentEarliest, []string{"fruehestmoeglich", "so frueh wie moeglich", "so bald wie moeglich", "moeglichst bald", "moeglichst frueh", "schnellstmoeglich",
		"naechster freier", "naechsten freien", "naechste freie", "fruehester", "fruehesten", "frueheste", "earliest", "asap", "as soon as possible",
		"first available", "next available", "first free", "next free"}},
	{IntentPayment, []string{"mit karte", "karte zahlen", "kartenzahlung", "ec karte", "ec-karte", "girocard", "kreditkarte", "bar zahlen", "bar bezahlen", "nur bar",
		"bargeld", "zahlungsmittel", "zahlungsart", "by card", "card payment", "credit card", "credit cards", "debit card", "debit cards", "pay cash", "in cash", "payment method"}},
	{IntentAccess, []string{"barrierefrei", "barrierefreiheit", "rollstuhl", "rollstuhlfahrer", "rollator", "aufzug", "fahrstuhl", "stufenlos", "treppen", "gehbehindert",
		"kinderwagen", "wheelchair", "accessible", "accessibility", "step free", "stairs", "lift", "elevator"}},
	{IntentParking, []string{"parken", "parkplatz", "parkplaetze", "parkhaus", "parkmoeglichkeit", "parkmoeglichkeiten", "parking", "car park", "where to park", "where can i park"}},
	{IntentEarlier, []string{"frueher", "frueheren", "earlier", "eher"}},
	{IntentStatus, []string{"wo bin ich", "wo stehe ich", "schlange", "wie lange noch", "wie viele vor mir", "wie viele sind vor mir", "wann komme ich dran", "noch warten", "bald dran", "before me", "ahead of me",
		"how long until", "my turn", "status", "wartezeit", "warteschlange", "wann bin ich dran", "where am i", "queue", "position",
		"dran", "warten noch", "dauert es noch", "still have to wait", "how long do i"}},
	{IntentReschedule, []string{"verschieben", "umbuchen", "verlegen", "vorverlegen", "different time", "different day", "aendern", "reschedule", "move", "change"}},
	{IntentCancel, []string{"absagen", "nicht wahrnehmen", "faellt aus", "streichen", "zurueckgeben", "brauch ich nicht mehr", "brauche ich nicht mehr",
		"nicht mehr noetig", "please cancel", "cancel please", "cancel it", "don t need the appointment", "dont need the appointment", "no longer need", "stornieren", "storno", "cancel my", "cancel the", "cancel appointment", "cancel an", "cancel a", "cancel booking",
		"want to cancel", "like to cancel", "need to cancel", "have to cancel", "cancellation", "loeschen",
		"doch nicht kommen", "kann nicht kommen", "kann doch nicht", "schaffe es nicht", "schaff es nicht", "komme nicht", "cannot come", "can t come", "cant come", "can t make it", "cant make it"}},
	{IntentDocs, []string{"unterlagen", "mitbringen", "was brauche", "dokumente", "gebuehr", "kosten", "kostet", "documents", "what do i need", "bring", "fee", "cost",
		"wie viel", "wieviel", "preis", "how much", "price", "passfoto", "photo",
		"passbild", "passbilder", "foto", "fotos", "geburtsurkunde", "birth certificate", "wohnungsgeberbestaetigung", "mitnehmen", "mitkommen", "vollmacht",
		"zahlen", "bezahlen", "teuer", "kostenlos", "umsonst", "pay", "free of charge"}},
	{IntentHours, []string{"oeffnungszeiten", "geoeffnet", "wann offen", "wann habt ihr", "opening hours", "opening times", "when are you open", "hours",
		"adresse", "anschrift", "anfahrt", "wo seid ihr", "wo sind sie", "wo finde ich", "wo ist das", "wie komme ich", "your address", "where are you", "location", "how do i get",
		"sprechzeiten", "schliesst", "schliessen", "close", "closing", "wo genau", "eingang", "stock", "etage", "welche adresse",
		"where is the office", "where is your office", "entrance"}},
	{IntentHelp, []string{"hilfe", "help", "was kannst du", "what can you do"}},
	{IntentBook, []string{"termin", "buchen", "vereinbaren", "reservieren", "appointment", "book", "booking"}},
	{IntentMenu, []string{"menue", "menu", "hauptmenue", "start", "neustart", "von vorne", "start over", "restart", "neu anfangen"}},
	{IntentStop, []string{"abbrechen", "stopp", "stop", "quit", "exit", "beenden", "cancel"}},
	{IntentBack, []string{"zurueck", "back"}},
	{IntentLanguage, []string{"english", "englisch", "deutsch", "german", "sprache", "language", "ukrainisch", "ukrainian", "russisch", "russian", "tuerkisch", "turkish", "arabisch", "arabic"}},
	{IntentMore, []string{"spaeter", "weiter", "mehr", "andere tage", "later", "more", "next"}},
	{IntentYes, []string{"ja", "jawohl", "jo", "ok", "okay", "yes", "yep", "sure", "passt", "genau", "richtig", "bestaetigen", "confirm", "gerne"}},
	{IntentNo, []string{"nein", "no", "nope", "noe", "nicht", "fertig", "done", "keine", "nichts", "none", "skip", "ueberspringen", "ohne", "without", "nothing", "nothing else", "thats all", "that s all", "das wars", "das war s", "das ist alles"}},
	{IntentThanks, []string{"danke", "dankeschoen", "vielen dank", "besten dank", "thanks", "thank you", "tschuess", "bye", "auf wiedersehen", "ciao",
		"lieben dank", "merci", "cheers"}},
	{IntentOffTopic, []string{"wetter", "weather", "regnet", "rain", "fussball", "football", "bundesliga", "witz", "joke", "rezept", "recipe", "lotto", "horoskop", "bus", "bahn",
		"wie spaet", "what time is it", "apotheke", "pharmacy", "pizza", "kino", "cinema", "movie", "wer bist du", "who are you",
		"roboter", "robot", "wie geht es dir", "wie gehts", "how are you"}},
}

// askWords and openWords make "Habt ihr samstags auf?" and "Is the office
// open tomorrow?" questions about opening hours.
var (
	askWords  = []string{"habt", "haben", "hat", "ist", "seid", "sind", "macht", "machen", "are", "is", "do"}
	openWords = []string{"auf", "zu", "da", "offen", "geoeffnet", "open"}
)

// asksIfOpen reports a question whether the office is open: an asking verb
// and "auf"/"offen" at its end, or "open" anywhere in English.
func asksIfOpen(toks []string) bool {
	if len(toks) < 2 || !slices.ContainsFunc(toks, func(t string) bool { return slices.Contains(askWords, t) }) {
		return false
	}
	return slices.Contains(openWords, toks[len(toks)-1]) || slices.Contains(toks, "open")
}

func intentOf(norm string, toks []string) Intent {
	joined := " " + strings.Join(toks, " ") + " "
	for _, iw := range intentWords {
		for _, w := range iw.words {
			if strings.Contains(joined, " "+w+" ") {
				return iw.intent
			}
		}
	}
	if strings.TrimSpace(norm) == "?" {
		return IntentHelp
	}
	if asksIfOpen(toks) {
		return IntentHours
	}
	return IntentNone
}

// refineIntent reads what word lists cannot: a separable verb ("Ich sage
// meinen Termin ab"), an appointment to be had at another time ("Geht der
// Termin auch später?", "Ich schaffe es um 10 nicht, geht auch 14 Uhr?"),
// a thank-you that ends with "das war's", and "Is registration free?".
func refineIntent(intent Intent, toks []string) Intent {
	joined := " " + strings.Join(toks, " ") + " "
	has := func(words ...string) bool {
		return slices.ContainsFunc(words, func(w string) bool { return strings.Contains(joined, " "+w+" ") })
	}
	weak := intent == IntentNone || intent == IntentBook || intent == IntentMore || intent == IntentEarlier || intent == IntentNo
	switch {
	case weak && len(toks) > 1 && toks[len(toks)-1] == "ab" && has("sage", "sagen", "sag"):
		return IntentCancel
	case weak && has(ownAppointment...) && has(otherTime...):
		return IntentReschedule
	case weak && has(cannotCome...) && has(otherTime...):
		return IntentReschedule
	case weak && has(cannotCome...):
		return IntentCancel
	case intent == IntentHelp && hasWord(toks, IntentThanks):
		return IntentThanks // "Danke für Ihre Hilfe"
	case intent == IntentNo && hasWord(toks, IntentThanks) && !has("nein", "no", "nope"):
		return IntentThanks // "Danke, das war's"; in a dialogue it still says no
	case intent == IntentNone && len(toks) > 1 && (toks[0] == "is" || toks[0] == "ist") && toks[len(toks)-1] == "free":
		return IntentDocs // "Is registration free?" asks the fee
	}
	return intent
}

// Words that make a message about moving an appointment the citizen has.
var (
	ownAppointment = []string{"mein termin", "meinen termin", "meinem termin", "der termin", "den termin", "dem termin", "my appointment", "the appointment"}
	otherTime      = []string{"spaeter", "frueher", "anderen tag", "andere zeit", "andere uhrzeit", "anderen zeit", "legen", "vorverlegen",
		"geht auch", "stattdessen", "lieber", "later", "earlier", "instead", "different time", "different day", "another time", "another day"}
	cannotCome = []string{"schaffe es", "schaff es", "schaffs", "schaffe das", "can t make it", "cannot make it", "cant make it", "i need a different time", "i need a different day"}
)

// mentionsOwn reports whether the tokens speak of the citizen's own
// appointment ("meinen Termin", "my appointment").
func mentionsOwn(toks []string) bool {
	joined := " " + strings.Join(toks, " ") + " "
	return slices.ContainsFunc(ownAppointment[:3], func(w string) bool { return strings.Contains(joined, " "+w+" ") }) ||
		strings.Contains(joined, " my appointment ")
}

// mentionsAppointment reports whether the tokens speak of an appointment
// ("Termin", "appointment", "booking").
func mentionsAppointment(toks []string) bool {
	for _, t := range toks {
		switch t {
		case "termin", "termine", "termins", "appointment", "appointments", "booking", "reservation":
			return true
		}
	}
	return false
}

// greetings open a conversation; alone they bring the menu, with anything
// else they are just polite ("Hallo, ich brauche einen Pass").
var greetings = []string{"hallo", "hi", "hello", "hey", "guten tag", "guten morgen", "moin", "servus", "gruess gott", "good morning", "good afternoon"}

// greeted reports whether the tokens contain a greeting.
func greeted(toks []string) bool {
	joined := " " + strings.Join(toks, " ") + " "
	for _, g := range greetings {
		if strings.Contains(joined, " "+g+" ") {
			return true
		}
	}
	return false
}

// hasWord reports whether the tokens contain a word or phrase of intent.
func hasWord(toks []string, intent Intent) bool {
	joined := " " + strings.Join(toks, " ") + " "
	for _, iw := range intentWords {
		if iw.intent != intent {
			continue
		}
		for _, w := range iw.words {
			if strings.Contains(joined, " "+w+" ") {
				return true
			}
		}
	}
	return false
}

// languageNames are the words that name a language of the catalogue, as
// the parser reads them (the other languages' names arrive translated).
var languageNames = map[string]string{
	"english": "en", "englisch": "en", "en": "en", "deutsch": "de", "german": "de", "de": "de",
	"ukrainisch": "uk", "ukrainian": "uk", "uk": "uk", "russisch": "ru", "russian": "ru", "ru": "ru",
	"tuerkisch": "tr", "turkish": "tr", "tr": "tr", "arabisch": "ar", "arabic": "ar", "ar": "ar",
}

// languageOf is the language a message names ("auf Türkisch"), or "".
func languageOf(toks []string) string {
	for _, t := range toks {
		if l, ok := languageNames[t]; ok {
			return l
		}
	}
	return ""
}

// concerns finds the concerns named in the tokens, longest phrases first,
// each token used once, with a count from a number just before ("2 Pässe",
// "zwei Ausweise").
func (p *Parser) concerns(toks []string, turkish bool) (found []office.ConcernCount, plural []string) {
	used := make([]bool, len(toks))
	counts, first := map[string]int{}, map[string]int{}
	var order []string
	// Words as written first, then slips and compounds: "Notausweis" is its
	// own concern before it is a kind of "Ausweis", and "abmelden" a
	// keyword before it is a slip of "anmelden".
	for _, loose := range []bool{false, true} {
		p.matchPhrases(toks, used, matching{loose, turkish}, counts, first, &order, &plural)
	}
	sort.SliceStable(order, func(i, j int) bool { return first[order[i]] < first[order[j]] }) // as the citizen named them
	people, unknown := peopleIn(toks)
	found = make([]office.ConcernCount, 0, len(order))
	for _, id := range order {
		n := counts[id]
		switch {
		case !p.perPerson[id]: // a car to deregister is one, whoever comes
		case n == 1 && people > 1 && p.maxCounts[id] > 1:
			n = min(people, p.maxCounts[id]) // "für meinen Mann und mich": one each
		case n == 1 && unknown && p.maxCounts[id] > 1 && !slices.Contains(plural, id):
			plural = append(plural, id) // "für die Kinder": how many?
		}
		found = append(found, office.ConcernCount{ID: id, Count: n})
	}
	return found, plural
}

// Words that say a message is for several people.
var (
	bothWords   = []string{"beide", "beiden", "both", "zu zweit", "wir zwei", "us two"}
	selfWords   = []string{"ich", "mich", "mir", "me", "i", "myself"}
	familyWords = []string{"mann", "ehemann", "frau", "ehefrau", "partner", "partnerin", "freund", "freundin", "sohn", "tochter", "mutter", "vater",
		"husband", "wife", "son", "daughter", "mother", "father", "kind", "child"}
	groupWords  = []string{"kinder", "kindern", "children", "kids", "familie", "family"}
	personWords = []string{"personen", "leute", "people", "persons"}
)

// peopleIn tells for how many people a message asks: 2 for "beide" or
// "meinen Mann und mich", 3 for "mich und meine beiden Kinder", and
// unknown for "die Kinder" or "die Familie".
func peopleIn(toks []string) (people int, unknown bool) {
	if n, ok := namedWithSelf(toks); ok {
		return n, false
	}
	for i, t := range toks[:max(0, len(toks)-1)] {
		n, ok := NumberWord(t)
		next := toks[i+1]
		if ok && n >= 2 && slices.Contains(personWords, next) {
			return n, false // "zwei Personen", "two people"
		}
		if n, ok := NumberWord(next); ok && n >= 2 && (t == "alle" || t == "wir" || t == "all") {
			return n, false // "alle vier", "wir drei"
		}
	}
	joined := " " + strings.Join(toks, " ") + " "
	for _, w := range bothWords {
		if strings.Contains(joined, " "+w+" ") {
			return 2, false
		}
	}
	if slices.ContainsFunc(toks, func(t string) bool { return slices.Contains(groupWords, t) }) {
		return 0, true
	}
	return 0, false
}

// namedWithSelf counts "me and" the people named beside: "meine Frau,
// meinen Sohn und mich" are three, "me and my two children" three.
func namedWithSelf(toks []string) (int, bool) {
	withSelf := false
	for i, t := range toks {
		if (t == "und" || t == "and") && i > 0 && i < len(toks)-1 &&
			(slices.Contains(selfWords, toks[i-1]) || slices.Contains(selfWords, toks[i+1])) {
			withSelf = true
		}
	}
	if !withSelf {
		return 0, false
	}
	n, others := 1, false
	for i, t := range toks {
		switch {
		case slices.Contains(familyWords, t):
			n, others = n+1, true
		case slices.Contains(groupWords, t) && i > 0:
			count, ok := NumberWord(toks[i-1])
			if toks[i-1] == "beiden" || toks[i-1] == "both" {
				count, ok = 2, true
			}
			if !ok || count < 1 {
				return 0, false // "mich und die Kinder": how many?
			}
			n, others = n+count, true
		}
	}
	return n, others
}

// matchPhrases marks the concerns whose phrases match unused tokens, with
// a count from a number just before; loose allows slips and compounds.
func (p *Parser) matchPhrases(toks []string, used []bool, m matching, counts, first map[string]int, order, plural *[]string) {
	for _, ph := range p.phrases {
		for i := 0; i+len(ph.tokens) <= len(toks); i++ {
			if !matchAt(toks, used, i, ph.tokens, m) || m.loose && !p.compoundFits(toks[i], ph) {
				continue
			}
			for j := range ph.tokens {
				used[i+j] = true
			}
			n, counted := 1, false
			if i > 0 && (i < 2 || !slices.Contains(timeWords, toks[i-2])) { // "um halb zehn, Reisepass" counts no ten
				if v, ok := NumberWord(toks[i-1]); ok && v >= 1 && v <= 10 {
					n, counted = v, true
				}
			}
			last := len(ph.tokens) - 1
			if !counted && pluralOf(toks[i+last], ph.tokens[last]) && !slices.Contains(*plural, ph.concern) {
				*plural = append(*plural, ph.concern) // "Ausweise": how many?
			}
			if _, seen := counts[ph.concern]; !seen {
				*order = append(*order, ph.concern)
				first[ph.concern] = i
			}
			counts[ph.concern] = max(counts[ph.concern], n) // two words for one concern are one case
		}
	}
}

// compoundFits keeps a compound's first part from making it another thing:
// "Kinderreisepass" and "Unterschriftsbeglaubigung" are the concern (a
// short first part, or one of the concern's own words), a
// "Bewohnerparkausweis" is not an ID card.
func (p *Parser) compoundFits(got string, ph phrase) bool {
	want := ph.tokens[0]
	if len(ph.tokens) > 1 || !compoundOf(got, want) {
		return true
	}
	first := strings.TrimSuffix(strings.TrimSuffix(got, want), "s")
	if len(first) <= 7 {
		return true
	}
	return slices.ContainsFunc(p.vocab[ph.concern], func(w string) bool { return strings.HasPrefix(w, first) })
}

// pluralOf reports whether got is a plural of want: "ausweise", "paesse"
// (for "Pässe"), "zeugnisse", "bescheinigungen", "kopien", "cards".
func pluralOf(got, want string) bool {
	switch {
	case len(want) < 3:
		return false
	case got == want+"e", got == want+"s":
		return true
	case strings.Contains(want, "a") && got == strings.Replace(want, "a", "ae", 1)+"e":
		return true
	case strings.HasSuffix(want, "nis") && got == want+"se",
		strings.HasSuffix(want, "ung") && got == want+"en",
		strings.HasSuffix(want, "e") && got == want+"n":
		return true
	}
	return false
}

// matching is how freely a concern's words are matched: loose allows
// slips and compounds, turkish Turkish suffixes.
type matching struct{ loose, turkish bool }

func matchAt(toks []string, used []bool, i int, want []string, m matching) bool {
	for j, w := range want {
		got := toks[i+j]
		exact := got == w || pluralOf(got, w) || inflects(got, w, m.turkish)
		if used[i+j] || !(exact || m.loose && (similar(got, w) || (len(want) == 1 && compoundOf(got, w)))) {
			return false
		}
	}
	return true
}

// compoundOf reports whether got is a German compound ending in want
// ("kinderreisepass"), for words long enough not to be found by chance.
func compoundOf(got, want string) bool {
	return len(want) >= 6 && len(got) > len(want)+2 && strings.HasSuffix(got, want)
}

// similar allows typing slips in longer words: one edit from 5 letters,
// two from 9.
func similar(got, want string) bool {
	if got == want {
		return true
	}
	allowed := 0
	n, m := utf8.RuneCountInString(want), utf8.RuneCountInString(got) // letters, not bytes: "مرحبا" is no slip of "مركبه"
	switch {
	case n >= 9:
		allowed = 2
	case n >= 5:
		allowed = 1
	}
	if allowed == 0 || abs(m-n) > allowed {
		return false
	}
	return editDistance(got, want, allowed) <= allowed
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// editDistance is the Levenshtein distance of a and b, giving up above max.
func editDistance(a, b string, max int) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			best = min(best, cur[j])
		}
		if best > max {
			return max + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// numberWord reads "2" or "zwei"/"two".
func NumberWord(s string) (int, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, true
	}
	words := map[string]int{"ein": 1, "eine": 1, "einen": 1, "einer": 1, "one": 1, "a": 1, "an": 1, "zwei": 2, "two": 2, "drei": 3, "three": 3,
		"vier": 4, "four": 4, "fuenf": 5, "five": 5, "sechs": 6, "six": 6, "sieben": 7, "seven": 7, "acht": 8, "eight": 8,
		"neun": 9, "nine": 9, "zehn": 10, "ten": 10, "elf": 11, "eleven": 11, "zwoelf": 12, "twelve": 12,
		// Counts in Ukrainian, Russian, Turkish and Arabic ("два паспорти", "iki pasaport").
		"один": 1, "одна": 1, "одну": 1, "одне": 1, "два": 2, "дві": 2, "две": 2, "три": 3, "чотири": 4, "четыре": 4, "пять": 5,
		"bir": 1, "iki": 2, "uec": 3, "uc": 3, "doert": 4, "dort": 4, "bes": 5, "واحد": 1, "اثنين": 2, "اثنان": 2, "ثلاث": 3, "ثلاثه": 3, "اربع": 4, "اربعه": 4}
	n, ok := words[s]
	return n, ok
}

var (
	dateDMY   = regexp.MustCompile(`\b(\d{1,2})\.\s?(\d{1,2})\.(\d{4}|\d{2})?`)
	dateISO   = regexp.MustCompile(`\b(\d{4})-(\d{2})-(\d{2})\b`)
	dateMonth = regexp.MustCompile(`\b(\d{1,2})\.?\s?(januar|jaenner|februar|maerz|april|mai|juni|juli|august|september|oktober|november|dezember|january|february|march|may|june|july|october|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|okt|oct|nov|dez|dec)\b`)
	dateMonEn = regexp.MustCompile(`\b(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\s(\d{1,2})(?:st|nd|rd|th)?\b`)
)

// dateShort finds "3.12" without its closing dot: a date only when the
// message names a time besides ("Perso 3.12 14h"); alone it is 03:12.
var dateShort = regexp.MustCompile(`\b(\d{1,2})\.(\d{1,2})(?:\s|$)`)

// shortDate reads such a date and returns the text without it.
func shortDate(norm string) (d, mo int, rest string, ok bool) {
	m := dateShort.FindStringSubmatchIndex(norm)
	if m == nil {
		return 0, 0, norm, false
	}
	rest = norm[:m[0]] + " " + norm[m[1]:]
	if _, hasTime := clockTime(rest); !hasTime {
		return 0, 0, norm, false
	}
	d, _ = strconv.Atoi(norm[m[2]:m[3]])
	mo, _ = strconv.Atoi(norm[m[4]:m[5]])
	return d, mo, rest, true
}

var monthNames = map[string]time.Month{
	"januar": 1, "jaenner": 1, "january": 1, "jan": 1, "februar": 2, "february": 2, "feb": 2, "maerz": 3, "march": 3, "mar": 3,
	"april": 4, "apr": 4, "mai": 5, "may": 5, "juni": 6, "june": 6, "jun": 6, "juli": 7, "july": 7, "jul": 7, "august": 8, "aug": 8,
	"september": 9, "sep": 9, "sept": 9, "oktober": 10, "october": 10, "okt": 10, "oct": 10, "november": 11, "nov": 11,
	"dezember": 12, "december": 12, "dez": 12, "dec": 12,
}

var weekdayNames = map[string]time.Weekday{
	"montag": time.Monday, "dienstag": time.Tuesday, "mittwoch": time.Wednesday, "donnerstag": time.Thursday,
	"freitag": time.Friday, "samstag": time.Saturday, "sonnabend": time.Saturday, "sonntag": time.Sunday,
	"monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday, "thursday": time.Thursday,
	"friday": time.Friday, "saturday": time.Saturday, "sunday": time.Sunday,
	"mon": time.Monday, "tue": time.Tuesday, "tues": time.Tuesday, "wed": time.Wednesday, "thu": time.Thursday,
	"thur": time.Thursday, "thurs": time.Thursday, "fri": time.Friday, "sat": time.Saturday, "sun": time.Sunday,
}

// Short German weekdays clash with words ("so", "do", "mi"): they count only
// alone or next to a date or time ("Di 14:30", "Do., 26.11.").
var shortWeekdays = map[string]time.Weekday{"mo": time.Monday, "di": time.Tuesday, "mi": time.Wednesday,
	"do": time.Thursday, "fr": time.Friday, "sa": time.Saturday, "so": time.Sunday}

// date finds a date and sets u's day fields: relative words ("morgen", "in zwei Wochen", "Dienstag
// nächste Woche"), weekdays, 25.11., 25.11.2026, 2026-11-25, "25. November",
// "November 25". A date that is written as one but does not exist comes back
// as bad, as written.
func (p *Parser) date(u *Understanding, norm string, toks []string, now time.Time) {
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, p.loc)
	checked := func(written string, t time.Time, ok bool) {
		if !ok {
			u.BadDate = strings.TrimSpace(written)
			return
		}
		u.Day, u.HasDay = t, true
	}
	if m := dateISO.FindStringSubmatch(norm); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		t, ok := validDate(y, mo, d, p.loc)
		checked(m[0], t, ok)
		return
	}
	if m := dateDMY.FindStringSubmatch(norm); m != nil {
		d, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		if m[3] != "" {
			y, _ := strconv.Atoi(m[3])
			if y < 100 {
				y += 2000
			}
			t, ok := validDate(y, mo, d, p.loc)
			checked(m[0], t, ok)
			return
		}
		t, ok := nextDate(today, mo, d)
		checked(m[0], t, ok)
		return
	}
	if d, mo, _, ok := shortDate(norm); ok {
		t, ok := nextDate(today, mo, d)
		checked(fmt.Sprintf("%d.%d", d, mo), t, ok)
		return
	}
	if m := dateMonth.FindStringSubmatch(norm); m != nil {
		d, _ := strconv.Atoi(m[1])
		t, ok := nextDate(today, int(monthNames[m[2]]), d)
		checked(m[0], t, ok)
		return
	}
	if m := dateMonEn.FindStringSubmatch(norm); m != nil {
		d, _ := strconv.Atoi(m[2])
		t, ok := nextDate(today, int(monthNames[m[1]]), d)
		checked(m[0], t, ok)
		return
	}
	joined := " " + strings.Join(toks, " ") + " "
	joined = strings.ReplaceAll(joined, " guten morgen ", " ") // a greeting, not tomorrow
	if dayInWords(u, joined, today) {
		return
	}
	switch {
	case strings.Contains(joined, " uebermorgen ") || strings.Contains(joined, " day after tomorrow "):
		u.Day, u.HasDay = today.AddDate(0, 0, 2), true
		return
	case strings.Contains(joined, " morgen ") || strings.Contains(joined, " tomorrow "):
		u.Day, u.HasDay = today.AddDate(0, 0, 1), true
		return
	case strings.Contains(joined, " heute ") || strings.Contains(joined, " today "):
		u.Day, u.HasDay = today, true
		return
	case strings.Contains(joined, " gestern ") || strings.Contains(joined, " yesterday "):
		u.Day, u.HasDay = today.AddDate(0, 0, -1), true // to be told it is past
		return
	}
	weeks, hasWeeks := weeksAhead(joined)
	if m := relativeDays.FindStringSubmatch(joined); m != nil {
		if n, ok := NumberWord(m[1]); ok && n <= 400 {
			if strings.HasPrefix(m[2], "w") {
				weeks, hasWeeks = n, true
			} else {
				u.Day, u.HasDay = today.AddDate(0, 0, n), true
				return
			}
		}
	}
	for i, t := range toks {
		wd, ok := weekdayNames[t]
		if !ok {
			if wd, ok = shortWeekdays[t]; ok && len(toks) > 1 && !nextToDigits(toks, i) && !(i+1 < len(toks) && slices.Contains(timeWords, toks[i+1])) {
				ok = false
			}
		}
		if !ok {
			continue
		}
		if hasWeeks { // that weekday in the week so many weeks on
			monday := today.AddDate(0, 0, -((int(today.Weekday())+6)%7)+7*weeks)
			u.Day, u.HasDay = monday.AddDate(0, 0, (int(wd)+6)%7), true
			return
		}
		u.ByWeekday = true
		next := i > 0 && (toks[i-1] == "next" || toks[i-1] == "naechsten" || toks[i-1] == "naechster" || toks[i-1] == "kommenden")
		ahead := (int(wd) - int(today.Weekday()) + 7) % 7
		if ahead == 0 && next {
			ahead = 7
		}
		u.Day, u.HasDay = today.AddDate(0, 0, ahead), true
		return
	}
	if hasWeeks {
		if strings.Contains(joined, " in ") { // "in drei Wochen": that many weeks from today
			u.Day, u.HasDay = today.AddDate(0, 0, 7*weeks), true
			u.Week = true
			return
		}
		// "nächste Woche": its Monday, so the day list starts there
		u.Day, u.HasDay = today.AddDate(0, 0, -((int(today.Weekday())+6)%7)+7*weeks), true
		u.Week = true
	}
}

// dayThenHour finds a bare hour right after a day word: "morgen 10",
// "Donnerstag 14".
var dayThenHour = regexp.MustCompile(`^(?:.* )?(?:morgen|uebermorgen|heute|tomorrow|today|montag|dienstag|mittwoch|donnerstag|freitag|monday|tuesday|wednesday|thursday|friday|mo|di|mi|do|fr|mon|tue|wed|thu|fri) (\d{1,2})(?: .*)?$`)

// hourAfterDay reads "morgen 10" as 10 o'clock, where no written date
// ("Di 12.12.") could own the number and it is an office hour (7 to 20).
func hourAfterDay(norm string, toks []string) (int, bool) {
	if dateDMY.MatchString(norm) || dateISO.MatchString(norm) || dateMonth.MatchString(norm) || dateMonEn.MatchString(norm) {
		return 0, false
	}
	m := dayThenHour.FindStringSubmatch(strings.Join(toks, " "))
	if m == nil {
		return 0, false
	}
	h, _ := strconv.Atoi(m[1])
	if h < 7 || h > 20 {
		return 0, false
	}
	return h * 60, true
}

// relativeDays finds "in 3 Tagen", "in zwei Wochen", "in a week", "in 10 days".
var relativeDays = regexp.MustCompile(`\bin (\d{1,3}|eine?r?|one|a|an|zwei|two|drei|three|vier|four|fuenf|five|sechs|six) (tag|tagen|day|days|woche|wochen|week|weeks)\b`)

// weeksAhead reads "nächste Woche" (1) and "übernächste Woche" (2).
func weeksAhead(joined string) (int, bool) {
	switch {
	case strings.Contains(joined, " uebernaechste woche ") || strings.Contains(joined, " uebernaechsten woche ") || strings.Contains(joined, " week after next "):
		return 2, true
	case strings.Contains(joined, " naechste woche ") || strings.Contains(joined, " naechsten woche ") || strings.Contains(joined, " next week "):
		return 1, true
	}
	return 0, false
}

func nextToDigits(toks []string, i int) bool {
	isNum := func(j int) bool {
		if j < 0 || j >= len(toks) {
			return false
		}
		_, err := strconv.Atoi(toks[j])
		return err == nil
	}
	return isNum(i-1) || isNum(i+1)
}

func validDate(y, mo, d int, loc *time.Location) (time.Time, bool) {
	if mo < 1 || mo > 12 || d < 1 || d > 31 || y < 2000 || y > 2200 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, loc)
	if t.Day() != d { // 31.02.
		return time.Time{}, false
	}
	return t, true
}

// nextDate is the next day/month on or after today (a date a week or less
// in the past is taken as meant, to be told it is past).
func nextDate(today time.Time, mo, d int) (time.Time, bool) {
	t, ok := validDate(today.Year(), mo, d, today.Location())
	if !ok {
		if t, ok = validDate(today.Year()+1, mo, d, today.Location()); !ok { // 29.02.
			return time.Time{}, false
		}
	}
	if t.Before(today.AddDate(0, 0, -7)) {
		return validDate(today.Year()+1, mo, d, today.Location())
	}
	return t, true
}

var (
	timeColon = regexp.MustCompile(`\b([01]?\d|2[0-3])[:.]([0-5]\d)(?:\s?uhr)?(?:\s?(am|pm|a\.m\.|p\.m\.))?(?:$|[^\d.]|\.\s|\.$)`)
	timeUhr   = regexp.MustCompile(`\b([01]?\d|2[0-3])\s?(?:uhr|h)(?:\s?([0-5]\d))?\b`)
	timeAmPm  = regexp.MustCompile(`\b(1[0-2]|0?[1-9])(?::([0-5]\d))?\s?(am|pm|a\.m\.|p\.m\.)`)
	timeAt    = regexp.MustCompile(`\b(?:um|gegen|at|around)\s+([01]?\d|2[0-3])(?:$|[^\d:.])`)
)

// clockTime finds a time of day: 14:30, 14.30, 14 Uhr, 14h30, 2pm, 2:30 pm.
// timeWords come before a number that is a time, not a count.
var timeWords = []string{"halb", "um", "gegen", "ab", "at", "saat", "о", "об", "в", "الساعه", "ساعه"}

// timeHalf reads "halb zehn" or "halb 10", German for half past nine.
var timeHalf = regexp.MustCompile(`\bhalb (\d{1,2}|[a-z]+)\b`)

// timeQuarter reads "viertel nach zehn", "viertel vor drei", "half past
// nine", "quarter to three"; hours before 7 are in the afternoon.
var timeQuarter = regexp.MustCompile(`\b(viertel nach|viertel vor|quarter past|quarter to|half past) (\d{1,2}|[a-z]+)\b`)

func quarterTime(norm string) (int, bool) {
	m := timeQuarter.FindStringSubmatch(norm)
	if m == nil {
		return 0, false
	}
	h, ok := NumberWord(m[2])
	if !ok || h < 1 || h > 23 {
		return 0, false
	}
	if h < 7 {
		h += 12 // "viertel vor drei" at an office is 14:45
	}
	offset := map[string]int{"viertel nach": 15, "quarter past": 15, "half past": 30, "viertel vor": -15, "quarter to": -15}[m[1]]
	return h*60 + offset, true
}

func clockTime(norm string) (int, bool) {
	if m := timeAmPm.FindStringSubmatch(norm); m != nil {
		h, _ := strconv.Atoi(m[1])
		mi, _ := strconv.Atoi(m[2])
		if strings.HasPrefix(m[3], "p") && h != 12 {
			h += 12
		}
		if strings.HasPrefix(m[3], "a") && h == 12 {
			h = 0
		}
		return h*60 + mi, true
	}
	for _, loc := range timeColon.FindAllStringSubmatchIndex(norm, -1) {
		// "25.11." is a date, not 25:11; a date's day part is followed by a dot.
		if norm[loc[3]] == '.' && loc[5] < len(norm) && norm[loc[5]] == '.' {
			continue
		}
		h, _ := strconv.Atoi(norm[loc[2]:loc[3]])
		mi, _ := strconv.Atoi(norm[loc[4]:loc[5]])
		return h*60 + mi, true
	}
	if m := timeUhr.FindStringSubmatch(norm); m != nil {
		h, _ := strconv.Atoi(m[1])
		mi, _ := strconv.Atoi(m[2])
		return h*60 + mi, true
	}
	if minute, ok := quarterTime(norm); ok {
		return minute, true
	}
	if m := timeHalf.FindStringSubmatch(norm); m != nil { // "halb zehn" is 9:30
		if h, ok := NumberWord(m[1]); ok && h >= 1 && h <= 24 {
			return (h-1)*60 + 30, true
		}
	}
	if m := timeAt.FindStringSubmatch(norm); m != nil { // "morgen um 9"
		h, _ := strconv.Atoi(m[1])
		return h * 60, true
	}
	return 0, false
}

// dayPart reads "vormittags", "nachmittags", "abends" and their English words.
func dayPart(toks []string) (int, int, bool) {
	for _, t := range toks {
		switch t {
		case "vormittag", "vormittags", "morgens", "frueh", "morning", "mornings", "forenoon":
			return 0, 12 * 60, true
		case "mittag", "mittags", "noon", "midday":
			return 11 * 60, 14 * 60, true
		case "nachmittag", "nachmittags", "afternoon", "afternoons":
			return 12 * 60, 24 * 60, true
		case "abend", "abends", "evening", "evenings", "spaet", "late", "feierabend":
			return 16 * 60, 24 * 60, true
		}
	}
	if joined := " " + strings.Join(toks, " ") + " "; strings.Contains(joined, " nach der arbeit ") || strings.Contains(joined, " after work ") {
		return 16 * 60, 24 * 60, true
	}
	return 0, 0, false
}

// rangeRe is a span of clock time: "zwischen 10 und 11", "von 9:30 bis
// 11 uhr", "between 2 and 4 pm".
var rangeRe = regexp.MustCompile(`\b(?:zwischen|von|between|from)\s+(\d{1,2})(?:[:.](\d{2}))?\s*(?:uhr\s*)?(?:und|bis|and|to|-)\s*(\d{1,2})(?:[:.](\d{2}))?\s*(uhr|am|pm)?\b`)

// clockRange reads a span of clock time as minutes after midnight, the
// end exclusive; "pm" moves both afternoon hours.
func clockRange(text string) (from, to int, ok bool) {
	m := rangeRe.FindStringSubmatch(text)
	if m == nil {
		return 0, 0, false
	}
	minutes := func(h, mm string) int {
		hour, _ := strconv.Atoi(h)
		minute, _ := strconv.Atoi(mm)
		if m[5] == "pm" && hour < 12 {
			hour += 12
		}
		return hour*60 + minute
	}
	from, to = minutes(m[1], m[2]), minutes(m[3], m[4])
	if from >= to || to > 24*60 {
		return 0, 0, false
	}
	return from, to, true
}

// OptionNumber reads a chosen option's number: "Nr. 2", "#2", "Option 2"
// always, a bare "2" or "2." only when bare is set (the options were shown
// numbered); n is how many were offered.
func OptionNumber(text string, n int, bare bool) (int, bool) {
	t := strings.TrimSpace(strings.ToLower(text))
	explicit := false
	for _, p := range []string{"nr.", "nr", "nummer", "number", "option", "#", "no."} {
		if rest, ok := strings.CutPrefix(t, p); ok {
			t, explicit = strings.TrimSpace(rest), true
		}
	}
	if !explicit && !bare {
		return 0, false
	}
	t = strings.TrimRight(t, ".)")
	v, err := strconv.Atoi(t)
	if err != nil || v < 1 || v > n {
		return 0, false
	}
	return v - 1, true
}

// nameIn finds a name given with "mein Name ist ...", "my name is ...",
// as the last comma-separated part of a line that is two to four
// capitalised words ("Termin für Ausweis am Dienstag, Max Mustermann"), or
// as the line under a closing ("Viele Grüße\nMax Mustermann").
func nameIn(text string) string {
	if m := nameRe.FindStringSubmatch(text); m != nil {
		return cleanName(m[1])
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	for i, line := range lines {
		line = strings.TrimSpace(line)
		if m := closingThenName.FindStringSubmatch(line); m != nil && LooksLikeName(m[1]) {
			return m[1] // "Führungszeugnis bitte. Gruß Klaus Meier"
		}
		if closingRe.MatchString(line) && i+1 < len(lines) {
			if name := strings.TrimSpace(lines[i+1]); LooksLikeName(name) {
				return name
			}
		}
		parts := strings.Split(line, ",")
		if len(parts) < 2 {
			continue
		}
		if last := strings.TrimSpace(strings.TrimRight(parts[len(parts)-1], ".!")); LooksLikeName(last) {
			return last
		}
	}
	return ""
}

// closingThenName finds a name after a closing on the same line.
var closingThenName = regexp.MustCompile(`(?i:grüße|gruesse|grüsse|gruß|gruss|regards|cheers|lg|mfg|vg)[,!.]?\s+(\p{Lu}[\p{L}'\-]+(?:\s+\p{Lu}[\p{L}'\-]+){1,3})[.!]?\s*$`)

var closingRe = regexp.MustCompile(`(?i)^(viele|liebe|beste|freundliche|herzliche)?\s*(grüße|gruesse|grüsse|gruß|gruss)[,!.]?$|^(mit freundlichen grüßen|mit freundlichen gruessen|mfg|best regards|kind regards|regards|best|cheers|thanks|thank you|danke)[,!.]?$`)

// looksLikeName: two to four capitalised words of letters.
func LooksLikeName(s string) bool {
	words := strings.Fields(s)
	if len(words) < 2 || len(words) > 4 {
		return false
	}
	for _, w := range words {
		r := []rune(w)
		if !unicode.IsUpper(r[0]) {
			return false
		}
		for _, c := range r {
			if !unicode.IsLetter(c) && c != '-' && c != '\'' && c != '.' {
				return false
			}
		}
	}
	return true
}

func cleanName(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, ".\n"); i > 0 && i < len(s)-1 {
		s = s[:i]
	}
	words := strings.Fields(s)
	for i, w := range words {
		if i > 0 && unicode.IsLower([]rune(w)[0]) && !(slices.Contains(nameParticles, w) && i+1 < len(words)) { // Arabic letters have no case
			words = words[:i] // "Mehmet Yılmaz und brauche einen Pass"
			break
		}
	}
	if len(words) > 4 {
		words = words[:4]
	}
	return strings.Join(words, " ")
}

// nameParticles are the small words inside names ("Ursula von der Leyen").
var nameParticles = []string{"von", "van", "der", "den", "de", "zu", "di", "da", "del", "la", "le", "al", "bin", "ibn"}

// IsOnlyCommand reports whether text is nothing but a command word.
func IsOnlyCommand(text string) bool {
	toks := Tokens(Normalize(text))
	joined := strings.Join(toks, " ")
	for _, iw := range intentWords {
		if iw.intent != IntentMenu && iw.intent != IntentStop && iw.intent != IntentBack && iw.intent != IntentHelp && iw.intent != IntentLanguage {
			continue
		}
		for _, w := range iw.words {
			if joined == w {
				return true
			}
		}
	}
	return strings.TrimSpace(text) == "?" || slices.Contains(greetings, joined)
}
