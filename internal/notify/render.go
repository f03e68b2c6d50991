package notify

import (
	"fmt"
	"html/template"
	"strings"
	textTemplate "text/template"

	"github.com/naptracker/naptracker/internal/nap"
)

var textLetter = textTemplate.Must(textTemplate.New("text").Parse(`{{range .Paragraphs}}
{{.}}
{{end}}{{if .Items}}
{{range .Items}}- {{.Text}}{{if .URL}}
  {{.URL}}{{end}}
{{end}}{{end}}{{if .Action.URL}}
{{.Action.Text}}: {{.Action.URL}}
{{end}}
-- 
naptracker
`))

// htmlLetter is a letter's head, its greeting and its body, each escaped in the context it is
// written in: the greeting is written for each reader between the other two.
var htmlLetter = template.Must(template.New("html").Parse(`{{define "head"}}<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: sans-serif; color: #1a1a1a;">
{{end}}{{define "greeting"}}<p>{{.}}</p>
{{end}}{{define "body"}}{{range .Paragraphs}}<p>{{.}}</p>
{{end}}{{if .Items}}<ul>
{{range .Items}}<li>{{if .URL}}<a href="{{.URL}}">{{.Text}}</a>{{else}}{{.Text}}{{end}}</li>
{{end}}</ul>
{{end}}{{if .Action.URL}}<p><a href="{{.Action.URL}}">{{.Action.Text}}</a></p>
{{end}}<p style="color: #555;">naptracker</p>
</body></html>
{{end}}`))

// Letters is one letter to many readers, who differ only in their name and language: a review
// step tells every approver of an organization the same thing. It is worded and rendered once
// in each language its readers read, and each reader is greeted by name. One goroutine uses it.
type Letters struct {
	word     func(lang string) Letter
	rendered map[string]nap.Letter
}

// NewLetters is the letter word writes in each language.
func NewLetters(word func(lang string) Letter) *Letters {
	return &Letters{word: word, rendered: map[string]nap.Letter{}}
}

// To is the letter a reader named name receives in lang, and their greeting: as plain text
// and as HTML (escaped), it goes between the letter's halves.
func (ls *Letters) To(name, lang string) (nap.Letter, nap.Greeting) {
	l, ok := ls.rendered[lang]
	if !ok {
		l = render(ls.word(lang), lang)
		ls.rendered[lang] = l
	}
	greeting := fmt.Sprintf(of(lang).greeting, name)
	var h strings.Builder
	// The templates are fixed and take strings only: they cannot fail.
	_ = htmlLetter.ExecuteTemplate(&h, "greeting", greeting)
	return l, nap.Greeting{Text: greeting + "\n", HTML: h.String()}
}

// render is a letter in lang without its greeting, which goes before the text and between
// the HTML's head and body.
func render(l Letter, lang string) nap.Letter {
	var t, head, body strings.Builder
	_ = textLetter.Execute(&t, l)
	_ = htmlLetter.ExecuteTemplate(&head, "head", struct {
		Letter
		Lang string
	}{l, lang})
	_ = htmlLetter.ExecuteTemplate(&body, "body", l)
	return nap.Letter{Subject: l.Subject, TextAfter: t.String(), HTMLBefore: head.String(), HTMLAfter: body.String()}
}
