package nap

import "testing"

func TestSanitizeFilename(t *testing.T) {
	for in, want := range map[string]string{
		"report.pdf":                  "report.pdf",
		"../../etc/passwd":            "passwd",
		`C:\Users\me\Отчёт 2014.docx`: "Отчёт 2014.docx",
		"a\x00b\nc\td.txt":            "abcd.txt",
		"evil\u202efdp.exe":           "evilfdp.exe",
		"...hidden":                   "hidden",
		"":                            "file",
		"/":                           "file",
		"..":                          "file",
		`quote"d.pdf`:                 "quoted.pdf",
	} {
		if got := SanitizeFilename(in); got != want {
			t.Errorf("SanitizeFilename(%q) = %q, want %q", in, got, want)
		}
	}
	long := make([]rune, 300)
	for i := range long {
		long[i] = 'я'
	}
	if got := []rune(SanitizeFilename(string(long) + ".pdf")); len(got) != 200 || string(got[196:]) != ".pdf" {
		t.Errorf("a long name keeps its end: %d runes, ends %q", len(got), string(got[len(got)-4:]))
	}
}
