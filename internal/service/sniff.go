package service

import (
	"bytes"
	"net/http"
	"path"
	"strings"

	"github.com/naptracker/naptracker/internal/nap"
)

// sniffLength is how much of a file its media type is judged by.
const sniffLength = 512

// AcceptedMediaTypes are the media types evidence files may have: documents, images, tables
// and text. Anything else, an executable above all, is refused whatever its name says.
var AcceptedMediaTypes = []string{
	"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "text/plain", "text/csv",
	"application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation",
	"application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
	"application/vnd.oasis.opendocument.presentation",
}

// officeByExtension names the office formats, which share two containers (ZIP and OLE2), by
// the extension the client gave; the content decides the container.
var officeByExtension = map[string]string{
	".doc": "application/msword", ".xls": "application/vnd.ms-excel", ".ppt": "application/vnd.ms-powerpoint",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	".odt":  "application/vnd.oasis.opendocument.text", ".ods": "application/vnd.oasis.opendocument.spreadsheet",
	".odp": "application/vnd.oasis.opendocument.presentation",
}

var ole2Magic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// sniff judges a file's media type by its first bytes, and by its name only to tell office
// formats in the same container apart. EUNSUPPORTED for anything not accepted.
func sniff(head []byte, filename string) (string, error) {
	ext := strings.ToLower(path.Ext(filename))
	detected, _, _ := strings.Cut(http.DetectContentType(head), ";")
	office := officeByExtension[ext]
	switch {
	case bytes.HasPrefix(head, ole2Magic):
		if strings.HasPrefix(office, "application/vnd.ms-") || office == "application/msword" {
			return office, nil
		}
	case detected == "application/zip":
		// An office document is a ZIP whose first entry is its manifest: [Content_Types].xml
		// (OOXML) or mimetype (OpenDocument). Any other ZIP could carry anything.
		if len(head) > 30 {
			first := string(head[30:min(len(head), 30+int(head[26])|int(head[27])<<8)])
			switch {
			case first == "[Content_Types].xml" && strings.Contains(office, "openxmlformats"):
				return office, nil
			case first == "mimetype" && strings.Contains(office, "opendocument"):
				return office, nil
			}
		}
	case detected == "text/plain" && ext == ".csv":
		return "text/csv", nil
	default:
		for _, t := range AcceptedMediaTypes {
			if detected == t {
				return t, nil
			}
		}
	}
	return "", nap.Errorf(nap.EUNSUPPORTED, "the file's content is %s; accepted are PDF, images (PNG, JPEG, GIF, WebP), office documents, CSV and plain text", detected)
}
