package notify

import (
	"strings"
	"testing"

	"github.com/naptracker/naptracker/internal/nap"
)

// A letter to many readers is worded once in each of their languages, and each reader is
// greeted by name, escaped in the HTML, above the same letter.
func TestLettersGreetEachReader(t *testing.T) {
	worded := map[string]int{}
	letters := NewLetters(func(lang string) Letter {
		worded[lang]++
		return Review(nap.NotifyReturned, lang, ReviewData{Measure: "1.2", MeasureTitle: "Law <draft> & code", Period: "2026 H1",
			Organization: "MLME", Reason: "Add the minutes", URL: "https://nap.example.org/v1/updates/1"})
	})
	readers := []struct{ name, lang, text, html string }{
		{"Ali", "en", "Dear Ali,\n", "<p>Dear Ali,</p>\n"},
		{`O'Brien & <Co>`, "en", "Dear O'Brien & <Co>,\n", "<p>Dear O&#39;Brien &amp; &lt;Co&gt;,</p>\n"},
		{"Зарина", "ru", "Уважаемый(ая) Зарина!\n", "<p>Уважаемый(ая) Зарина!</p>\n"},
		{"Фарида", "ru", "Уважаемый(ая) Фарида!\n", "<p>Уважаемый(ая) Фарида!</p>\n"},
	}
	read := map[string]nap.Letter{}
	for _, r := range readers {
		letter, greeting := letters.To(r.name, r.lang)
		n := nap.Notification{Letter: letter, Greeting: greeting}
		subject, text, html := n.Subject(), n.Text(), n.HTML()
		if !strings.HasPrefix(subject, map[string]string{"en": "Returned: measure 1.2", "ru": "Возвращён: мера 1.2"}[r.lang]) {
			t.Errorf("%s: subject %q", r.name, subject)
		}
		if !strings.HasPrefix(text, r.text) || !strings.Contains(html, "\n"+r.html) {
			t.Errorf("%s is not greeted as %q:\n%s\n%s", r.name, r.text, text, html)
		}
		if !strings.Contains(html, "Law &lt;draft&gt; &amp; code") || !strings.Contains(text, "Law <draft> & code") {
			t.Errorf("%s: the measure's title is not escaped in the HTML alone:\n%s\n%s", r.name, text, html)
		}
		if greeting != (nap.Greeting{Text: r.text, HTML: r.html}) {
			t.Errorf("%s is greeted %+v, want %q and %q", r.name, greeting, r.text, r.html)
		}
		if l, ok := read[r.lang]; ok && l != letter {
			t.Errorf("%s reads another letter than the first reader in %s", r.name, r.lang)
		}
		read[r.lang] = letter
	}
	if worded["en"] != 1 || worded["ru"] != 1 || len(worded) != 2 {
		t.Errorf("worded %v, want once in each language", worded)
	}
}
