package nap

import (
	"io"
	"path"
	"strings"
	"time"
	"unicode"
)

// EvidenceKinds are the kinds of evidence an update can cite.
var EvidenceKinds = []string{"legal_act", "decree", "statistics", "report", "training_record", "agreement",
	"publication", "media", "photo", "web_page", "other"}

// EvidenceLanguages are the languages a piece of evidence may be in: those of Text, or
// another; the database checks them too.
var EvidenceLanguages = []string{"tg", "ru", "en", "other"}

// Evidence supports a progress update: a stored file or a link. It is frozen once its update
// is approved.
type Evidence struct {
	ID           string
	UpdateID     string
	Kind         string
	Title        Text
	Language     string
	DocumentDate *time.Time
	URL          string // a link, or "" for a stored file
	Filename     string // the client's name for the file, sanitized
	MediaType    string // sniffed from the content
	SizeBytes    int64
	SHA256       string // hex digest of the file's content
	Visibility   Visibility
	CreatedAt    time.Time
	CreatedBy    string
}

// Blob is stored file content, named by its SHA-256; until it is stored, by its staging name.
type Blob struct {
	SHA256 string
	Size   int64
	Staged string
}

// BlobReader reads stored content from any position, checking it against its digest as far
// as it can: content read from the start is checked whole by the time its last bytes would be
// returned. Check reads ahead to find a fault before anything is sent: the first chunk, which
// for small content is all of it, or, with whole, all the content (for reading a part of it).
type BlobReader interface {
	io.ReadSeekCloser
	Size() int64
	Check(whole bool) error
}

// SanitizeFilename keeps a client's file name only as a label: no folders, no control or
// formatting characters, no leading dots, at most 200 characters; "file" when nothing is left.
func SanitizeFilename(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	name = path.Base(name)
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '"' || r == '/' || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, name)
	name = strings.TrimLeft(strings.TrimSpace(name), ".")
	if r := []rune(name); len(r) > 200 {
		name = string(r[len(r)-200:])
	}
	if name == "" || name == "." || name == ".." {
		return "file"
	}
	return name
}
