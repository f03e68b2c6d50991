package notify

import (
	"fmt"
	"html/template"
	"strings"
	textTemplate "text/template"
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
	rendered map[string]rendered
}

// rendered is a letter in one language, without its greeting.
type rendered struct {
	subject, text, htmlHead, htmlBody string
}

// NewLetters is the letter word writes in each language.
func NewLetters(word func(lang string) Letter) *Letters {
	return &Letters{word: word, rendered: map[string]rendered{}}
}

// To is the letter as a reader named name receives it in lang: its subject, and its text as
// plain text and as HTML (escaped).
func (ls *Letters) To(name, lang string) (subject, text, html string) {
	r, ok := ls.rendered[lang]
	if !ok {
		r = render(ls.word(lang), lang)
		ls.rendered[lang] = r
	}
	greeting := fmt.Sprintf(of(lang).greeting, name)
	var h strings.Builder
	h.WriteString(r.htmlHead)
	// The templates are fixed and take strings only: they cannot fail.
	_ = htmlLetter.ExecuteTemplate(&h, "greeting", greeting)
	h.WriteString(r.htmlBody)
	return r.subject, greeting + "\n" + r.text, h.String()
}

func render(l Letter, lang string) rendered {
	var t, head, body strings.Builder
	_ = textLetter.Execute(&t, l)
	_ = htmlLetter.ExecuteTemplate(&head, "head", struct {
		Letter
		Lang string
	}{l, lang})
	_ = htmlLetter.ExecuteTemplate(&body, "body", l)
	return rendered{subject: l.Subject, text: t.String(), htmlHead: head.String(), htmlBody: body.String()}
}
