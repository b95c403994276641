package conversation

import (
	"strings"
	"testing"
)

// A whole booking in each new language, typed as its speakers write:
// the first message names concern, day and time, and the answer says which
// time was taken, in that language; the summary, the booking (with the
// office's documents in that language) and cancelling follow. Nothing of
// German is read but the German terms the translations keep on purpose.
func TestBookingInEveryNewLanguage(t *testing.T) {
	for _, c := range []struct {
		lang, first, taken, askName, name, summary, confirm, booked, docs, cancel, cancelled string
	}{
		{"uk", "Паспорт у четвер о 10", "Чт 26.11.2026, 10:00 вільно", "На чиє ім'я", "Олена Коваленко", "Записати вас на цей час?", "так", "Номер черги:",
			"біометричне фото", "скасувати запис", "скасовано"},
		{"ru", "Паспорт в четверг в 10", "Чт 26.11.2026, 10:00 свободно", "На чьё имя", "Ирина Петрова", "Записать вас на это время?", "да", "Номер очереди:",
			"биометрическая фотография", "отменить запись", "отменена"},
		{"tr", "Perşembe saat 10 pasaport", "Per 26.11.2026, 10:00 boş", "kimin adına", "Ayşe Yılmaz", "Bu randevuyu alayım mı?", "evet", "Sıra numarası:",
			"biyometrik vesikalık", "randevumu iptal etmek istiyorum", "iptal edildi"},
		{"ar", "جواز السفر يوم الخميس الساعة 10", "الخميس 26.11.2026, 10:00 متاح", "باسم من", "ليلى حداد", "هل أحجز هذا الموعد؟", "نعم", "رقم الانتظار:",
			"صورة شخصية بيومترية", "أريد إلغاء الموعد", "تم إلغاء موعدك"},
	} {
		t.Run(c.lang, func(t *testing.T) {
			ev := newEnv(t, "", tuesday)
			ch := ev.chat("1", c.lang)
			ch.buttons = true
			expect(t, "first message", ch.say(c.first), c.taken, c.askName)
			ch.say(c.name)
			expect(t, "no e-mail", ch.press(optNoEmail), c.summary)
			out := ch.say(c.confirm)
			expect(t, "booked", out, c.booked, c.docs)
			if strings.Contains(out, "Bitte bringen Sie") || strings.Contains(out, "Wartenummer") {
				t.Fatalf("German in the %s booking:\n%s", c.lang, out)
			}
			out = ch.say(c.cancel)
			for i := 0; i < 3 && !strings.Contains(out, c.cancelled); i++ { // the booking to cancel, then yes
				ch.press(ownOrYes(ch))
				out = joined(ch.last)
			}
			expect(t, "cancelled", out, c.cancelled)
		})
	}
}

// ownOrYes is the option that goes on towards cancelling: the chat's own
// booking, or yes.
func ownOrYes(c *chat) string {
	for i := len(c.last) - 1; i >= 0; i-- {
		for _, o := range c.last[i].Options {
			if strings.HasPrefix(o.ID, prefOwn) || o.ID == optConfirmYes {
				return o.ID
			}
		}
	}
	return "none"
}

// The menu's language button offers all six languages, each in its own
// name; choosing one switches, and typing in Cyrillic or Arabic letters
// switches a German dialogue by itself, while a name in Cyrillic letters
// does not.
func TestLanguagesAreChosenAndFollowed(t *testing.T) {
	ev := newEnv(t, "", tuesday)
	ch := ev.chat("1", "de")
	ch.buttons = true
	ch.say("Hallo")
	out := ch.press("Sprache")
	expect(t, "choice", dump(ch.last), "[Deutsch]", "[English]", "[Українська]", "[Русский]", "[Türkçe]", "[العربية]")
	expect(t, "choice text", out, "In welcher Sprache")
	expect(t, "switched", ch.press("Türkçe"), "Artık Türkçe yazıyorum")

	de := ev.chat("2", "de")
	expect(t, "Cyrillic", de.say("Здравствуйте, нужен паспорт"), "Ваши дела: Оформить или продлить заграничный паспорт")
	ar := ev.chat("3", "de")
	expect(t, "Arabic", ar.say("مرحبا، أحتاج جواز سفر"), "معاملاتك")

	named := ev.chat("4", "de")
	named.say("Perso Donnerstag 10 Uhr")
	expect(t, "a Cyrillic name", named.say("Олена Коваленко"), "Bestätigung per E-Mail")
}
