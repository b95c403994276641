package email

import "testing"

// A mail is answered in the language it is written in: its letters and
// common words tell; German when it says too little.
func TestMailLanguageGuessed(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"Guten Tag, ich brauche einen Termin für den Personalausweis", "de"},
		{"Hello, I would like an appointment for my passport", "en"},
		{"Добрий день! Хочу записатися на реєстрацію", "uk"},
		{"Здравствуйте, нужна справка о регистрации", "ru"},
		{"Merhaba, pasaport için randevu almak istiyorum", "tr"},
		{"مرحبا، أريد موعدا لتسجيل السكن", "ar"},
		{"T-042 123456", "de"},
	} {
		if got := guessLang(c.text); got != c.want {
			t.Errorf("guessLang(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}
