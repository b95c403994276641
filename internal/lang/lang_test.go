package lang

import "testing"

func TestOf(t *testing.T) {
	for _, c := range []struct{ hint, want string }{
		{"", "de"}, {"de-DE", "de"}, {"de", "de"}, {"en", "en"}, {"en-US,en;q=0.9,de;q=0.8", "en"},
		{"de-AT,en;q=0.5", "de"}, {" EN ", "en"}, {"tr", "tr"}, {"tr-TR", "tr"}, {"uk", "uk"}, {"uk-UA,uk;q=0.9,en-US;q=0.8", "uk"},
		{"ru-RU", "ru"}, {"ar-SY", "ar"}, {"ar", "ar"}, {"fr-FR,fr;q=0.9,ru;q=0.8,en;q=0.5", "ru"}, {"fr", "en"}, {"pt-BR", "en"}, {"ua", "uk"},
	} {
		if got := Of(c.hint); got != c.want {
			t.Errorf("Of(%q) = %q, want %q", c.hint, got, c.want)
		}
	}
}

func TestOfText(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"Ich brauche einen Termin für den Personalausweis", "de"},
		{"I would like an appointment for my passport please", "en"},
		{"Хочу записатися на паспорт, будь ласка", "uk"},
		{"Мені потрібна довідка", "uk"},
		{"Здравствуйте, мне нужен загранпаспорт", "ru"},
		{"Здравствуйте, нужен паспорт", "ru"},
		{"Хочу записаться на паспорт", "ru"},
		{"Хочу на паспорт, будь ласка", "uk"},
		{"Merhaba, kimlik kartı için randevu almak istiyorum", "tr"},
		{"Yarın saat 10 uygun mu?", "tr"},
		{"Termin für Ayşe Yılmaz", "de"},
		{"Pasaportumu kaybettim", ""},
		{"مرحبا، أريد موعدا لجواز السفر", "ar"},
		{"ok", ""},
		{"12:30", ""},
	} {
		if got := OfText(c.text); got != c.want {
			t.Errorf("OfText(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

func TestNamesAndDirections(t *testing.T) {
	for _, l := range All() {
		if Name(l) == "" {
			t.Errorf("%s has no name", l)
		}
		want := "ltr"
		if l == "ar" {
			want = "rtl"
		}
		if Dir(l) != want {
			t.Errorf("Dir(%s) = %s", l, Dir(l))
		}
	}
}
