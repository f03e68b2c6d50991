package notify

import (
	"bytes"
	"html/template"
	"strings"
	textTemplate "text/template"
)

var textLetter = textTemplate.Must(textTemplate.New("text").Parse(`{{.Greeting}}
{{range .Paragraphs}}
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

var htmlLetter = template.Must(template.New("html").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: sans-serif; color: #1a1a1a;">
<p>{{.Greeting}}</p>
{{range .Paragraphs}}<p>{{.}}</p>
{{end}}{{if .Items}}<ul>
{{range .Items}}<li>{{if .URL}}<a href="{{.URL}}">{{.Text}}</a>{{else}}{{.Text}}{{end}}</li>
{{end}}</ul>
{{end}}{{if .Action.URL}}<p><a href="{{.Action.URL}}">{{.Action.Text}}</a></p>
{{end}}<p style="color: #555;">naptracker</p>
</body></html>
`))

// Render writes a letter in lang as plain text and as HTML (escaped).
func Render(l Letter, lang string) (text, html string) {
	var t, h bytes.Buffer
	// Both templates are fixed and take strings only: they cannot fail.
	_ = textLetter.Execute(&t, l)
	_ = htmlLetter.Execute(&h, struct {
		Letter
		Lang string
	}{l, lang})
	return strings.TrimLeft(t.String(), "\n"), h.String()
}
