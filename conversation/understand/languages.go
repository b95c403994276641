package understand

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Ukrainian, Russian, Turkish and Arabic are read by translating their
// words into the German and English ones the rest of the parser knows
// ("завтра" → "morgen", "iptal" → "absagen", "الساعة 10" → "um 10"),
// before intents, days and times are read. Concerns and matters handled
// elsewhere are matched on the words as written, against the office's own
// names and keywords in every language, with the endings these languages
// put on words ("паспорта", "pasaportumu", "جوازي") allowed.

// lexiconEntry is a word or phrase of another language and what it says
// in the parser's words. A word ending in "*" matches any ending (up to
// eight letters); other words match as written or with a short inflection
// (inflects).
type lexiconEntry struct {
	from  []string
	to    string
	exact bool // only as written: "اليوم" is today, "يوم" a day
}

// lexiconSource lists the entries, grouped by what they say; each group's
// words are Ukrainian, Russian, Turkish and Arabic; a word starting with
// "=" matches only as written.
var lexiconSource = []struct {
	to    string
	words []string
}{
	// Appointments, cancelling, moving.
	{"meinen termin", []string{"мій запис", "мого запису", "свій запис", "мою запись", "моя запись", "моей записи", "свою запись", "randevum", "randevumu", "randevumuzu", "randevumun", "موعدي", "حجزي"}},
	{"termin", []string{"запис", "записи", "записатися", "записатись", "запишіть", "прийом", "прийому", "запись", "записаться", "запишите", "приём", "прием", "приёма", "приема",
		"randevu*", "موعد", "الموعد", "حجز", "احجز", "الحجز"}},
	{"nummer", []string{"номер черги", "номер очереди", "sira numarasi", "sira numaram", "رقم الانتظار", "رقم انتظار"}},
	{"abmelden", []string{"скасувати реєстрацію", "зняти з реєстрації", "зняти з обліку", "снять с регистрации", "снять с учета", "kaydini sil*", "trafikten cek*", "الغاء تسجيل"}},
	{"absagen", []string{"скасу*", "відмін*", "анулювати", "отмен*", "отказаться", "iptal*", "vazgectim", "الغاء", "الغي", "الغ", "لغي", "الغوا", "الغيت", "الغيه", "الغيها", "يلغي", "تلغي", "نلغي"}},
	{"kann nicht kommen", []string{"не зможу прийти", "не можу прийти", "не прийду", "не смогу прийти", "не могу прийти", "не приду", "gelemeyece*", "gelemiyorum", "gelemem",
		"لن اتمكن من الحضور", "لا استطيع الحضور", "لن احضر", "لا يمكنني الحضور", "لا اقدر احضر"}},
	{"verschieben", []string{"перенес*", "перенест*", "змінити час", "змінити дату", "інший час", "изменить время", "изменить дату", "другое время", "ertele*", "baska bir saat", "baska saat",
		"تاجيل", "اجل", "نقل", "انقل", "تغيير الموعد", "غير الموعد", "تغيير موعد", "وقت اخر", "موعد اخر"}},
	{"aendern", []string{"змінити", "изменить", "değiştir*", "تغيير", "تعديل"}},
	// Documents, fees, hours, the office's address.
	{"unterlagen", []string{"документ*", "belge*", "evrak*", "وثائق", "الوثائق", "مستندات", "المستندات", "اوراق", "الاوراق", "الاوراق المطلوبه"}},
	{"mitbringen", []string{"що взяти", "що потрібно взяти", "що треба взяти", "що принести", "що брати", "что взять", "что нужно взять", "что принести", "что брать", "взяти з собою", "взять с собой",
		"ne getir*", "yanimda ne", "neler gerek*", "ne gerek*", "gerekli", "ماذا احضر", "ماذا يجب ان احضر", "ما المطلوب", "ماذا احتاج", "ما الذي احتاجه", "احضر معي"}},
	{"kosten", []string{"скільки кошту*", "скільки буде коштувати", "вартість", "ціна", "сколько стои*", "стоимость", "цена", "ne kadar", "kac para", "ücret*", "fiyat*",
		"كم يكلف", "كم تكلف", "كم السعر", "كم سعر", "تكلفه", "التكلفه", "رسوم", "الرسوم", "كم الرسوم"}},
	{"foto", []string{"фото", "фотографі*", "фотограф*", "fotograf*", "vesikalik", "biyometrik", "صوره", "صور", "الصوره"}},
	{"oeffnungszeiten", []string{"працює*", "работае*", "години роботи", "графік роботи", "розклад", "коли працює*", "коли ви працюєте", "коли відкрито", "коли відчинено", "часы работы", "график работы", "расписание",
		"когда работае*", "когда открыт*", "çalışma saat*", "açılış saat*", "kaçta açıl*", "ne zaman açık", "saat kaçta açık", "ساعات العمل", "مواعيد العمل", "اوقات الدوام", "اوقات العمل", "متى تفتح*", "متى يفتح*", "الدوام", "دوام"}},
	{"wo ist das", []string{"де знаходит*", "де ви", "як дістатися", "як доїхати", "яка адреса", "ваша адреса", "где находит*", "где вы", "как добраться", "как доехать", "какой адрес", "ваш адрес",
		"adresiniz", "adres nedir", "nerede*", "nasil gide*", "nasil gelir*", "العنوان", "ما العنوان", "اين يقع", "اين المكتب", "اين انتم", "كيف اصل"}},
	{"hours", []string{"відчинено", "відкрито", "открыто", "açık mı", "açık mısınız", "مفتوح"}},
	{"ohne termin", []string{"без запису", "без записи", "randevusuz", "randevu olmadan", "randevu almadan", "بدون موعد", "من غير موعد", "بلا موعد", "بدون حجز", "من غير حجز", "без попереднього запису", "без предварительной записи"}},
	{"ich bin da", []string{"я тут", "я вже тут", "я на місці", "я прийшов", "я прийшла", "я вже прийшов", "я вже прийшла", "я здесь", "я уже здесь", "я на месте", "я пришел", "я пришла", "я уже пришел", "я уже пришла",
		"geldim", "buradayim", "burdayim", "vardim", "وصلت", "انا هنا", "انا موجود", "انا في المكتب"}},
	{"pin vergessen", []string{"забув пін", "забула пін", "забув pin", "забула pin", "загубив пін", "загубила пін", "де мій пін", "забыл пин", "забыла пин", "забыл pin", "забыла pin", "потерял пин", "потеряла пин", "где мой пин",
		"pin unuttum", "pini unuttum", "pin i unuttum", "pin kodumu unuttum", "pin kaybettim", "pinimi kaybettim", "نسيت الرقم السري", "نسيت pin", "فقدت الرقم السري", "اين الرقم السري"}},
	{"pin", []string{"пін", "пін код", "пин", "пин код", "pin kodu", "pini", "pinimi", "الرقم السري", "رمز pin"}},
	{"warteschlange", []string{"черга", "черзі", "очередь", "очереди", "sira", "sirada", "siram", "الدور", "دوري"}},
	{"wie lange noch", []string{"скільки чекати", "скільки ще чекати", "скільки людей переді мною", "коли моя черга", "сколько ждать", "сколько еще ждать", "сколько человек передо мной", "когда моя очередь",
		"ne kadar bekle*", "kac kisi var", "siram ne zaman", "siram gelecek mi", "كم انتظر", "كم من الوقت", "متى دوري", "كم شخص قبلي", "كم شخصا قبلي"}},
	{"so frueh wie moeglich", []string{"якнайшвидше", "якомога швидше", "якомога раніше", "як можна швидше", "найближчий", "найближче", "как можно скорее", "как можно раньше", "побыстрее", "ближайш*",
		"en erken", "en yakın", "bir an önce", "اقرب موعد", "في اقرب وقت", "باسرع وقت", "اسرع موعد", "اول موعد"}},
	{"kartenzahlung", []string{"оплат*", "карткою", "картою", "готівк*", "картой", "наличн*", "kartla", "kredi karti", "banka karti", "nakit", "ödeme", "ödeyebilir*",
		"الدفع", "ادفع", "بطاقه ائتمان", "بالبطاقه", "نقدا", "كاش"}},
	{"parken", []string{"паркув*", "припаркув*", "парков*", "припарков*", "стоянк*", "park yeri", "park edebilir*", "park etmek", "otopark*", "موقف", "مواقف", "اركن", "ركن السياره"}},
	{"barrierefrei", []string{"інвалідн*", "візок", "візку", "ліфт*", "сходин*", "лифт*", "коляск*", "ступен*", "инвалидн*", "tekerlekli sandalye", "asansor*", "engelli", "merdiven*",
		"كرسي متحرك", "مصعد", "المصعد", "درج", "ذوي الاعاقه", "اعاقه"}},
	{"ahead of me", []string{"переді мною", "передо мной", "önümde", "امامي", "قبلي"}},
	{"witz", []string{"анекдот*", "жарт*", "шутк*", "fıkra*", "şaka*", "نكته", "نكت"}},
	{"wetter", []string{"погод*", "hava durumu", "hava nasıl", "الطقس", "طقس"}},
	{"fussball", []string{"футбол*", "futbol*", "كره القدم"}},
	{"hilfe", []string{"допомога", "помощь", "yardim", "مساعده"}},
	{"hallo", []string{"добрий день", "доброго дня", "добрий ранок", "привіт", "вітаю", "здравствуйте", "здраствуйте", "добрый день", "доброе утро", "привет",
		"merhaba", "selam", "selamlar", "iyi günler", "günaydın", "مرحبا", "السلام عليكم", "اهلا", "صباح الخير", "مساء الخير"}},
	{"danke", []string{"дякую", "дуже дякую", "спасибі", "спасибо", "большое спасибо", "благодарю", "до побачення", "до свидания", "teşekkür*", "sagol*", "sag ol", "hosca kal", "eyvallah",
		"شكرا", "شكرا جزيلا", "مشكور", "مع السلامه"}},
	{"von vorne", []string{"спочатку", "почати спочатку", "почати заново", "сначала", "начать сначала", "заново", "bastan", "yeniden başla", "من جديد", "ابدا من جديد"}},
	{"abbrechen", []string{"стоп", "зупин*", "припин*", "хватит", "прекрат*", "останов*", "dur", "vazgec", "توقف", "اوقف"}},
	{"zurueck", []string{"назад", "geri", "رجوع", "ارجع"}},
	{"menue", []string{"меню", "menu", "القائمه"}},
	{"spaeter", []string{"пізніше", "інші дні", "інший день", "позже", "позднее", "другие дни", "другой день", "daha sonra", "sonraki", "başka gün", "başka bir gün", "لاحقا", "ايام اخرى", "يوم اخر"}},
	{"frueher", []string{"раніше", "раньше", "пораньше", "daha erken", "ابكر"}},
	{"ja", []string{"так", "звісно", "да", "конечно", "evet", "tabii", "نعم", "اجل", "ايوه"}},
	{"nein", []string{"ні", "нет", "hayir", "yok", "لا", "كلا"}},
	{"ok", []string{"добре", "гаразд", "хорошо", "ладно", "tamam", "olur", "حسنا", "موافق", "تمام"}},
	{"bestaetigen", []string{"підтверджую", "підтвердити", "подтверждаю", "подтвердить", "onayliyorum", "onayla", "اؤكد", "تاكيد", "اكد"}},
	{"nichts mehr", []string{"більше нічого", "це все", "больше ничего", "это все", "baska yok", "hepsi bu", "لا شيء اخر", "هذا كل شيء"}},
	// Languages.
	{"sprache", []string{"мова", "мову", "язык", "языке", "dil", "lisan", "اللغه", "لغه"}},
	{"ukrainisch", []string{"українськ*", "украинск*", "ukraynaca", "الاوكرانيه"}},
	{"russisch", []string{"російськ*", "русск*", "по русски", "rusca", "الروسيه"}},
	{"tuerkisch", []string{"турецьк*", "турецк*", "türkçe", "التركيه", "بالتركي"}},
	{"arabisch", []string{"арабськ*", "арабск*", "arapca", "العربيه", "عربي", "بالعربي", "بالعربيه"}},
	{"deutsch", []string{"німецьк*", "немецк*", "almanca", "الالمانيه", "بالالماني"}},
	{"english", []string{"англійськ*", "английск*", "ingilizce", "الانجليزيه", "بالانجليزي"}},
	// Days.
	{"uebermorgen", []string{"післязавтра", "послезавтра", "öbür gün", "yarindan sonra", "بعد غد", "بعد بكره"}},
	{"morgen", []string{"завтра", "yarin", "غدا", "بكره", "بكرا"}},
	{"heute", []string{"сьогодні", "сегодня", "bugün", "=اليوم"}},
	{"montag", []string{"понеділ*", "понедельник*", "pazartesi", "الاثنين", "يوم الاثنين"}},
	{"dienstag", []string{"вівтор*", "вторник*", "sali", "الثلاثاء", "يوم الثلاثاء"}},
	{"mittwoch", []string{"середа", "середу", "середи", "среда", "среду", "среды", "carsamba", "الاربعاء", "يوم الاربعاء"}},
	{"donnerstag", []string{"четвер*", "perşembe", "الخميس", "يوم الخميس"}},
	{"freitag", []string{"пятниц*", "cuma", "الجمعه", "يوم الجمعه"}},
	{"samstag", []string{"субот*", "суббот*", "cumartesi", "السبت", "يوم السبت"}},
	{"sonntag", []string{"неділ*", "воскресень*", "воскресенье", "pazar", "الاحد", "يوم الاحد"}},
	{"naechste woche", []string{"наступного тижня", "на наступному тижні", "наступний тиждень", "следующей неделе", "на следующей неделе", "следующая неделя", "на следующую неделю",
		"gelecek hafta", "haftaya", "önümüzdeki hafta", "الاسبوع القادم", "الاسبوع المقبل", "في الاسبوع القادم"}},
	{"uebernaechste woche", []string{"через тиждень після наступного", "через неделю после следующей"}},
	{"naechsten", []string{"наступн*", "следующ*", "gelecek", "önümüzdeki", "القادم", "المقبل"}},
	{"in einer woche", []string{"через тиждень", "через неделю", "bir hafta sonra", "بعد اسبوع"}},
	{"in zwei wochen", []string{"через два тижні", "через 2 тижні", "через две недели", "через 2 недели", "iki hafta sonra", "2 hafta sonra", "بعد اسبوعين"}},
	{"woche", []string{"тиждень", "тижня", "тижні", "неделя", "неделю", "недели", "hafta", "اسبوع", "الاسبوع"}},
	// Parts of the day.
	{"vormittags", []string{"вранці", "зранку", "з ранку", "до обіду", "ранок", "утром", "с утра", "до обеда", "утро", "sabah*", "öğleden önce", "صباحا", "الصباح", "في الصباح", "قبل الظهر", "صباح"}},
	{"nachmittags", []string{"після обіду", "по обіді", "вдень", "удень", "после обеда", "днем", "днём", "öğleden sonra", "öğle*", "بعد الظهر", "ظهرا", "العصر"}},
	{"abends", []string{"ввечері", "увечері", "вечором", "вечером", "вечер", "aksam*", "مساء", "المساء", "في المساء"}},
	// Months ("25 грудня" → "25 dezember").
	{"januar", []string{"січн*", "январ*", "ocak", "يناير", "كانون الثاني"}},
	{"februar", []string{"лют*", "феврал*", "subat", "فبراير", "شباط"}},
	{"maerz", []string{"берез*", "март*", "mart", "مارس", "اذار"}},
	{"april", []string{"квіт*", "апрел*", "nisan", "ابريل", "نيسان"}},
	{"mai", []string{"травн*", "мая", "май", "mayis", "مايو", "ايار"}},
	{"juni", []string{"червн*", "июн*", "haziran", "يونيو", "حزيران"}},
	{"juli", []string{"липн*", "июл*", "temmuz", "يوليو", "تموز"}},
	{"august", []string{"серпн*", "август*", "ağustos", "اغسطس"}},
	{"september", []string{"вересн*", "сентябр*", "eylül", "سبتمبر", "ايلول"}},
	{"oktober", []string{"жовтн*", "октябр*", "ekim", "اكتوبر", "تشرين الاول"}},
	{"november", []string{"листопад*", "ноябр*", "kasim", "نوفمبر", "تشرين الثاني"}},
	{"dezember", []string{"грудн*", "декабр*", "aralik", "ديسمبر", "كانون الاول"}},
	// Counts.
	{"zwei", []string{"два", "дві", "две", "двох", "двоє", "двое", "iki", "اثنين", "اثنان", "شخصين"}},
	{"drei", []string{"три", "трьох", "троє", "трое", "üç", "ثلاث", "ثلاثه"}},
	{"vier", []string{"чотири", "четыре", "dört", "اربع", "اربعه"}},
}

// Words that change with the word beside them: a number after "о" or
// "saat" is a time, after "з"/"с" a span's start; "годині" after a number
// is "Uhr".
var (
	atWords    = []string{"о", "об", "в", "во", "saat", "الساعه", "ساعه"}
	fromWords  = []string{"з", "із", "від", "с", "со", "от", "من", "بين"}
	toWords    = []string{"до", "по", "الى", "حتى", "لل", "و"}
	hourWords  = []string{"годині", "годину", "година", "годин", "години", "часов", "часа", "час", "da", "de", "ta", "te", "dan", "den"}
	amWords    = []string{"ранку", "утра", "sabah", "صباحا", "الصباح", "صباح"}
	pmWords    = []string{"вечора", "вечера", "дня", "aksam", "ogleden", "مساء", "المساء", "ظهرا", "العصر"}
	inWords    = []string{"через", "بعد"}
	unitDays   = []string{"день", "дні", "днів", "дня", "дней", "дни", "gun", "guen", "ايام", "يوم", "يومين"}
	unitWeeks  = []string{"тиждень", "тижні", "тижнів", "неделю", "недели", "недель", "hafta", "اسابيع", "اسبوع"}
	turkishFor = regexp.MustCompile(`\b(\d{1,3}|iki|uc|uec) (gun|guen|hafta) sonra\b`)
	turkishRng = regexp.MustCompile(`\b(\d{1,2}(?:[:.]\d{2})?)\s*(?:ile|-)\s*(\d{1,2}(?:[:.]\d{2})?)\s+aras`)
)

// compileLexicon normalises the entries (a Turkish word also without its
// dots, as it is often typed) and orders them longest first.
func compileLexicon() []lexiconEntry {
	var out []lexiconEntry
	seen := map[string]bool{}
	for _, group := range lexiconSource {
		for _, w := range group.words {
			for _, variant := range []string{w, foldDots(w)} {
				exact := strings.HasPrefix(variant, "=")
				toks := strings.Fields(strings.NewReplacer("-", " ").Replace(Normalize(strings.TrimPrefix(variant, "="))))
				key := strings.Join(toks, " ")
				if len(toks) == 0 || seen[key] {
					continue
				}
				seen[key] = true
				out = append(out, lexiconEntry{from: toks, to: group.to, exact: exact})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if len(out[i].from) != len(out[j].from) {
			return len(out[i].from) > len(out[j].from)
		}
		return utf8.RuneCountInString(strings.Join(out[i].from, " ")) > utf8.RuneCountInString(strings.Join(out[j].from, " "))
	})
	return out
}

// foldDots writes ü, ö, ä as u, o, a: how Turkish (and many a German
// keyboard-less) message is typed.
func foldDots(s string) string {
	return strings.NewReplacer("ü", "u", "ö", "o", "ä", "a", "Ü", "u", "Ö", "o", "Ä", "a").Replace(s)
}

// needsTranslation reports whether the text has letters of another script than
// Latin, or is Turkish: the lexicon has work to do.
func needsTranslation(norm, written string) bool {
	if written == "tr" {
		return true
	}
	for _, r := range norm {
		if unicode.Is(unicode.Cyrillic, r) || unicode.Is(unicode.Arabic, r) {
			return true
		}
	}
	return false
}

// translate rewrites a normalised message's words of the other languages
// into the parser's words, keeping digits and punctuation (times, dates)
// as they are.
func (p *Parser) translate(norm string, turkish bool) string {
	if turkish {
		norm = turkishFor.ReplaceAllString(norm, "in $1 ${2}x")
		norm = strings.NewReplacer(" gunx", " tagen", " guenx", " tagen", " haftax", " wochen").Replace(norm)
		norm = turkishRng.ReplaceAllString(norm, "zwischen $1 und $2 aras")
	}
	words, seps := splitWords(norm)
	out := make([]string, len(words))
	copy(out, words)
	for i := 0; i < len(words); i++ {
		if w, ok := contextWord(words, i); ok {
			out[i] = w
			continue
		}
		for _, e := range p.lexicon {
			if i+len(e.from) > len(words) || e.exact && !slices.Equal(words[i:i+len(e.from)], e.from) || !entryMatches(words[i:i+len(e.from)], e.from, turkish) {
				continue
			}
			out[i] = e.to
			for j := 1; j < len(e.from); j++ {
				out[i+j] = ""
			}
			i += len(e.from) - 1
			break
		}
	}
	for i := 0; i+1 < len(out); i++ {
		if _, ok := weekdayNames[out[i]]; ok && out[i+1] == "naechsten" { // "الثلاثاء القادم": Tuesday next
			out[i], out[i+1] = out[i+1], out[i]
		}
	}
	var b strings.Builder
	for i, w := range out {
		b.WriteString(seps[i])
		b.WriteString(w)
	}
	b.WriteString(seps[len(words)])
	return strings.Join(strings.Fields(b.String()), " ")
}

// contextWord reads a word by its neighbours: "о 10" is "um 10", "з 10 до
// 12" is "von 10 bis 12", "10 годині" is "10 uhr", "9 ранку" "9 am",
// "через 3 дні" "in 3 tagen".
func contextWord(words []string, i int) (string, bool) {
	w := words[i]
	next, prev := "", ""
	if i+1 < len(words) {
		next = words[i+1]
	}
	if i > 0 {
		prev = words[i-1]
	}
	nextNum, prevNum := isNumber(next), isNumber(prev)
	switch {
	case nextNum && slices.Contains(atWords, w):
		return "um", true
	case nextNum && slices.Contains(fromWords, w):
		return "von", true
	case nextNum && prevNum && slices.Contains(toWords, w):
		return "bis", true
	case nextNum && slices.Contains(inWords, w):
		return "in", true
	case prevNum && slices.Contains(hourWords, w):
		return "uhr", true
	case prevNum && slices.Contains(unitDays, w) && i > 1 && slices.Contains(inWords, words[i-2]):
		return "tagen", true
	case prevNum && slices.Contains(unitWeeks, w) && i > 1 && slices.Contains(inWords, words[i-2]):
		return "wochen", true
	case prevNum && slices.Contains(amWords, w):
		return "am", true
	case prevNum && slices.Contains(pmWords, w):
		return "pm", true
	}
	return "", false
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// splitWords splits text into its words (letters and digits) and the
// separators around them: len(seps) == len(words)+1.
func splitWords(s string) (words, seps []string) {
	var sep, word strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
			if sep.Len() > 0 || len(words) == len(seps) {
				seps = append(seps, sep.String())
				sep.Reset()
			}
			word.WriteRune(r)
			continue
		}
		if word.Len() > 0 {
			words = append(words, word.String())
			word.Reset()
		}
		sep.WriteRune(r)
	}
	if word.Len() > 0 {
		words = append(words, word.String())
	}
	if len(seps) == len(words) {
		seps = append(seps, sep.String())
	} else {
		seps[len(seps)-1] += sep.String()
	}
	return words, seps
}

// entryMatches reports whether the words say the entry's words.
func entryMatches(got, want []string, turkish bool) bool {
	for i, w := range want {
		if stem, ok := strings.CutSuffix(w, "*"); ok {
			g := stripArabicPrefix(got[i])
			if !strings.HasPrefix(g, stem) || utf8.RuneCountInString(g)-utf8.RuneCountInString(stem) > 8 {
				return false
			}
			continue
		}
		if got[i] != w && !inflects(got[i], w, turkish) {
			return false
		}
	}
	return true
}

// inflects reports whether got is want with an ending these languages add:
// Ukrainian and Russian change the last vowel and add up to three letters
// ("паспорт" → "паспортом", "довідка" → "довідку"); Turkish adds suffixes,
// softening a last k, t or p ("kimlik" → "kimliğimi"); Arabic puts "و",
// "ب", "ال" in front and "ي", "ها" behind ("جواز" → "والجواز", "جوازي").
func inflects(got, want string, turkish bool) bool {
	if got == want {
		return true
	}
	r, _ := utf8.DecodeRuneInString(want)
	switch {
	case unicode.Is(unicode.Cyrillic, r):
		return stemOf(got, want, "аяоеиіїуюыьйєё", 3, 4)
	case unicode.Is(unicode.Arabic, r):
		g, w := stripArabicPrefix(got), strings.TrimPrefix(want, "ال")
		if g == w {
			return true
		}
		return stemOf(g, w, "هي", 3, 3)
	case turkish && unicode.Is(unicode.Latin, r):
		return turkishSuffixed(got, want)
	}
	return false
}

// turkishSuffixed reports whether got is want with Turkish suffixes
// ("pasaportumu"), a last k, t, p or ç softened before them ("kimliğimi").
func turkishSuffixed(got, want string) bool {
	n := utf8.RuneCountInString(want)
	if n < 4 || utf8.RuneCountInString(got)-n > 6 {
		return false
	}
	if strings.HasPrefix(got, want) {
		return true
	}
	soft := map[byte]string{'k': "g", 't': "d", 'p': "b", 'c': "c"}[want[len(want)-1]]
	return soft != "" && strings.HasPrefix(got, want[:len(want)-1]+soft)
}

// stemOf reports whether got starts with want less its last letter (when
// that is one of endings) and adds at most extra letters; want must keep
// at least minStem letters.
func stemOf(got, want, endings string, extra, minStem int) bool {
	stem := []rune(want)
	if strings.ContainsRune(endings, stem[len(stem)-1]) {
		stem = stem[:len(stem)-1]
	}
	if len(stem) < minStem {
		return false
	}
	s := string(stem)
	return strings.HasPrefix(got, s) && utf8.RuneCountInString(got)-len(stem) <= extra+1
}

// stripArabicPrefix drops an Arabic word's article and one-letter
// prepositions ("والجواز" → "جواز"), when a word of three letters stays.
func stripArabicPrefix(w string) string {
	for _, p := range []string{"وال", "بال", "فال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "ك"} {
		if rest, ok := strings.CutPrefix(w, p); ok && utf8.RuneCountInString(rest) >= 3 {
			return rest
		}
	}
	return w
}

// normalizeScripts folds what the other languages write in several ways:
// Turkish's dotless ı and its ç, ş, ğ; the Ukrainian apostrophe inside a
// word and Russian ё; Arabic's vowel marks, the forms of alef, tāʾ
// marbūṭa, and Arabic-Indic digits (which are also set apart from letters).
func normalizeScripts(s string) string {
	s = strings.NewReplacer("ç", "c", "ş", "s", "ğ", "g", "ı", "i", "\u0307", "", "ё", "е",
		"أ", "ا", "إ", "ا", "آ", "ا", "ى", "ي", "ة", "ه", "ـ", "", "؟", "?", "،", ",").Replace(s)
	var b strings.Builder
	var prev rune
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case r >= 0x064B && r <= 0x0652: // harakat
			continue
		case r >= '٠' && r <= '٩':
			r = '0' + (r - '٠')
		case r >= '۰' && r <= '۹':
			r = '0' + (r - '۰')
		case (r == '\'' || r == 'ʼ' || r == '`') && unicode.Is(unicode.Cyrillic, prev) && i+1 < len(rs) && unicode.Is(unicode.Cyrillic, rs[i+1]):
			continue // "п'ятниця"
		}
		if unicode.IsDigit(r) && unicode.Is(unicode.Arabic, prev) || unicode.Is(unicode.Arabic, r) && unicode.IsDigit(prev) && r < '٠' {
			b.WriteByte(' ') // "و11" is "و 11"
		}
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}
