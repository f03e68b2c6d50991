package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"reflect"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/naptracker/naptracker/internal/nap"
	"github.com/naptracker/naptracker/internal/service"
)

// Evidence supports a progress update: a stored file or a link.
type Evidence struct {
	ID           string           `json:"id" format:"uuid"`
	UpdateID     string           `json:"update_id" format:"uuid"`
	Kind         EvidenceKind     `json:"kind"`
	Title        Text             `json:"title"`
	Language     EvidenceLanguage `json:"language,omitempty"`
	DocumentDate *string          `json:"document_date,omitempty" format:"date"`
	URL          string           `json:"url,omitempty" format:"uri" doc:"For a link"`
	Filename     string           `json:"filename,omitempty" doc:"For a file: the name it was uploaded under, as a label"`
	MediaType    string           `json:"media_type,omitempty" doc:"For a file: sniffed from its content"`
	SizeBytes    int64            `json:"size_bytes,omitempty"`
	SHA256       string           `json:"sha256,omitempty" doc:"For a file: SHA-256 of its content, in hex"`
	ContentURL   string           `json:"content_url,omitempty" doc:"For a file: where to download it"`
	Visibility   Visibility       `json:"visibility"`
	CreatedAt    time.Time        `json:"created_at"`
}

func toEvidence(e nap.Evidence) Evidence {
	out := Evidence{ID: e.ID, UpdateID: e.UpdateID, Kind: EvidenceKind(e.Kind), Title: toText(e.Title), Language: EvidenceLanguage(e.Language),
		DocumentDate: optionalDate(e.DocumentDate), URL: e.URL, Filename: e.Filename, MediaType: e.MediaType,
		SizeBytes: e.SizeBytes, SHA256: e.SHA256, Visibility: Visibility(e.Visibility), CreatedAt: e.CreatedAt}
	if e.SHA256 != "" {
		out.ContentURL = "/v1/evidence/" + e.ID + "/content"
	}
	return out
}

// EvidenceMetadata describes a piece of evidence.
type EvidenceMetadata struct {
	Kind         EvidenceKind     `json:"kind"`
	Title        TextInput        `json:"title"`
	Language     EvidenceLanguage `json:"language,omitempty"`
	DocumentDate *string          `json:"document_date,omitempty" format:"date"`
	Visibility   Visibility       `json:"visibility,omitempty"`
}

// EvidenceLink cites a document or page by its address.
type EvidenceLink struct {
	EvidenceMetadata
	URL string `json:"url" format:"uri" maxLength:"2000" pattern:"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#\\s]+" example:"https://www.parlament.tj/" doc:"An http or https address"`
}

func (m EvidenceMetadata) evidence(updateID string) (nap.Evidence, error) {
	t := fromText(&m.Title)
	d, err := dates(map[string]*string{"document_date": m.DocumentDate})
	return nap.Evidence{UpdateID: updateID, Kind: string(m.Kind), Title: *t, Language: string(m.Language),
		DocumentDate: d["document_date"], Visibility: nap.Visibility(m.Visibility)}, err
}

// EvidenceOutput is one piece of evidence.
type EvidenceOutput struct {
	Body Evidence
}

// EvidenceListOutput is an update's evidence.
type EvidenceListOutput struct {
	Body List[Evidence]
}

// EvidencePath names a piece of evidence.
type EvidencePath struct {
	ID string `path:"id" format:"uuid" doc:"Evidence id"`
}

// UploadInput names the update evidence is added to. The body is read as a stream by the
// handler, not by huma, so a file is never held whole in memory.
type UploadInput struct {
	UpdatePath
}

type streamKey struct{}

// stream is a request body left for the handler to read.
type stream struct {
	body        io.Reader
	contentType string
}

// maxMetadataBytes bounds the JSON parts of an upload.
const maxMetadataBytes = 64 << 10

func registerEvidence(api huma.API, d Deps, update func(huma.Context) ([]string, error)) {
	registry := api.OpenAPI().Components.Schemas
	register(api, d, huma.Operation{
		OperationID: "list-evidence",
		Method:      http.MethodGet,
		Path:        "/updates/{id}/evidence",
		Summary:     "List an update's evidence",
		Description: "The files and links that support the update, as far as the caller may read them.",
		Tags:        []string{tagProgress},
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity, internalError},
	}, access{public: true}, func(ctx context.Context, in *UpdatePath) (*EvidenceListOutput, error) {
		es, err := d.Service.ListEvidence(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		out := &EvidenceListOutput{}
		out.Body.Items = convert(es, toEvidence)
		return out, nil
	})

	register(api, d, huma.Operation{
		OperationID: "add-evidence",
		Method:      http.MethodPost,
		Path:        "/updates/{id}/evidence",
		Summary:     "Add evidence to an update",
		Description: "A file, as multipart/form-data with a `metadata` part (JSON, first) and a `file` part; or a link, as JSON with `url`. " +
			"The file's type is judged by its content: PDF, images, office documents, CSV and plain text are accepted (415 otherwise); " +
			"files over the upload limit (25 MiB by default) are refused with 413. Only while the update is draft or returned (409 otherwise).",
		Tags:          []string{tagProgress},
		DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusRequestTimeout, http.StatusConflict, http.StatusRequestEntityTooLarge,
			http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity, internalError},
		Middlewares: huma.Middlewares{func(ctx huma.Context, next func(huma.Context)) {
			_, w := humago.Unwrap(ctx)
			body := newPacedReader(ctx.BodyReader(), http.NewResponseController(w), d.Limits.uploadIdle(), d.Limits.uploadDeadline())
			next(huma.WithValue(ctx, streamKey{}, stream{body: body, contentType: ctx.Header("Content-Type")}))
		}},
	}, access{permission: nap.AddEvidence, domains: update}, func(ctx context.Context, in *UploadInput) (*EvidenceOutput, error) {
		e, err := addEvidence(ctx, d, in.ID)
		if err != nil {
			return nil, err
		}
		return &EvidenceOutput{Body: toEvidence(e)}, nil
	})
	// Documented only after registration: huma would otherwise read the body itself.
	describeBody(api, "add-evidence", &huma.RequestBody{
		Required: true,
		Content: map[string]*huma.MediaType{
			"multipart/form-data": {
				Schema: &huma.Schema{Type: "object", Required: []string{"metadata", "file"}, AdditionalProperties: false, Properties: map[string]*huma.Schema{
					"metadata": registry.Schema(reflect.TypeOf(EvidenceMetadata{}), true, ""),
					"file":     binarySchema("The file"),
				}},
				Encoding: map[string]*huma.Encoding{"metadata": {ContentType: "application/json"}},
				Example:  map[string]any{"metadata": exampleEvidenceMetadata, "file": "(the PDF's bytes)"},
			},
			"application/json": {Schema: registry.Schema(reflect.TypeOf(EvidenceLink{}), true, ""), Example: exampleEvidenceLink},
		},
	})

	register(api, d, huma.Operation{
		OperationID: "get-evidence",
		Method:      http.MethodGet,
		Path:        "/evidence/{id}",
		Summary:     "Get a piece of evidence",
		Description: "One piece of evidence, as far as its update and its own visibility let the caller read it.",
		Tags:        []string{tagProgress},
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity, internalError},
	}, access{public: true}, func(ctx context.Context, in *EvidencePath) (*EvidenceOutput, error) {
		e, err := d.Service.GetEvidence(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return &EvidenceOutput{Body: toEvidence(e)}, nil
	})

	register(api, d, huma.Operation{
		OperationID:   "delete-evidence",
		Method:        http.MethodDelete,
		Path:          "/evidence/{id}",
		Summary:       "Delete a piece of evidence",
		Description:   "Only while its update is draft or returned (409 otherwise); evidence of an approved update is frozen.",
		Tags:          []string{tagProgress},
		DefaultStatus: http.StatusNoContent,
		Errors:        []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity, internalError},
	}, access{permission: nap.DeleteEvidence, domains: byID(func(ctx context.Context, id string) ([]string, error) {
		e, err := d.Service.GetEvidence(ctx, id)
		if err != nil {
			return nil, err
		}
		u, err := d.Service.GetUpdate(ctx, e.UpdateID)
		return []string{nap.OrganizationDomain(u.ReportingOrgID)}, err
	})}, func(ctx context.Context, in *EvidencePath) (*struct{}, error) {
		return nil, d.Service.DeleteEvidence(ctx, in.ID)
	})

	register(api, d, huma.Operation{
		OperationID: "get-evidence-content",
		Method:      http.MethodGet,
		Path:        "/evidence/{id}/content",
		Summary:     "Download an evidence file",
		Description: "The file's bytes, with the media type judged from its content when it was uploaded, a Content-Disposition naming it, " +
			"and `Repr-Digest: sha-256=:…:` of the whole file. Its ETag is its SHA-256: If-None-Match answers 304 while it is current. " +
			"`Range` asks for part of it (206; several ranges come as multipart/byteranges), `If-Range` only while it is unchanged; " +
			"a range outside the file is 416, with the file's size in Content-Range.",
		Tags:   []string{tagProgress},
		Errors: []int{http.StatusNotFound, http.StatusRequestedRangeNotSatisfiable, http.StatusUnprocessableEntity, internalError},
		Responses: map[string]*huma.Response{
			"200": {Description: "The file", Content: fileContent(), Headers: contentHeaders(api, false)},
			"206": {Description: "The parts of the file the Range asked for", Content: partContent(), Headers: contentHeaders(api, true)},
			"304": {Description: "Not modified: the client holds the file already", Headers: map[string]*huma.Header{"ETag": contentETag}},
		},
	}, access{public: true}, func(ctx context.Context, in *EvidenceContentInput) (*huma.StreamResponse, error) {
		e, content, err := d.Service.OpenEvidence(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return &huma.StreamResponse{Body: func(hctx huma.Context) {
			defer content.Close() //nolint:errcheck // a reader of stored chunks; closing only drops its buffer
			r, w := humago.Unwrap(hctx)
			// What is stored is checked before a byte is sent: the first chunk (all of a small
			// file), or all of it for a part; the rest as it streams, the last bytes held back
			// unless the whole matches its digest, the connection cut if not.
			if err := content.Check(r.Header.Get("Range") != ""); err != nil {
				writeError(api, hctx, err)
				return
			}
			h := w.Header()
			h.Set("Content-Type", e.MediaType)
			h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": e.Filename}))
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("ETag", `"`+e.SHA256+`"`)
			if sum, err := hex.DecodeString(e.SHA256); err == nil {
				h.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":")
			}
			read := &firstError{r: content}
			// No modification time: the ETag, the content's digest, is the one validator.
			http.ServeContent(&servedContent{ResponseWriter: w}, r, "", time.Time{}, read)
			if read.err != nil && nap.ErrorCode(read.err) == nap.EINTEGRITY {
				slog.ErrorContext(ctx, "stored data does not match its record; the download was cut", "evidence", e.ID, "error", nap.ErrorMessage(read.err))
			}
		}}, nil
	})
	// The 416 is declared by registering the operation; what it says of the file, after.
	registered(api, "get-evidence-content").Responses["416"].Headers = map[string]*huma.Header{
		"Content-Range": {Required: true, Description: "The file's size: bytes */<size>", Schema: &huma.Schema{Type: huma.TypeString, Pattern: `^bytes \*/[0-9]+$`}},
	}
}

// EvidenceContentInput names an evidence file and what of it the client wants. http.ServeContent
// reads the headers; they are here to be documented.
type EvidenceContentInput struct {
	EvidencePath
	Range       string `header:"Range" example:"bytes=0-1023" doc:"Byte ranges to send (RFC 9110, 14.2): 206 with only those bytes"`
	IfRange     string `header:"If-Range" doc:"The ETag of the file as held: the Range applies only while it is current, the whole file comes otherwise"`
	IfNoneMatch string `header:"If-None-Match" doc:"ETags of copies the client holds: 304 without a body when one of them is current"`
}

// contentETag is the ETag of an evidence file: its SHA-256 in hex, in quotes.
var contentETag = &huma.Header{Required: true, Description: "The file's SHA-256 in hex",
	Schema: &huma.Schema{Type: huma.TypeString, Pattern: `^"[0-9a-f]{64}"$`}}

// contentHeaders are the headers of a download, whole or in part.
func contentHeaders(api huma.API, part bool) map[string]*huma.Header {
	h := with(attachmentHeaders(api), map[string]*huma.Header{
		"ETag": contentETag,
		"Repr-Digest": sharedHeader(api, "ReprDigest", &huma.Header{Required: true, Description: "SHA-256 of the whole file (RFC 9530)",
			Schema: &huma.Schema{Type: huma.TypeString, Pattern: `^sha-256=:[A-Za-z0-9+/]{43}=:$`}}),
		"Accept-Ranges": sharedHeader(api, "AcceptRanges", &huma.Header{Required: true, Description: "Parts may be asked for in bytes",
			Schema: &huma.Schema{Type: huma.TypeString, Enum: []any{"bytes"}}}),
	})
	if part {
		h["Content-Range"] = &huma.Header{Description: "The part sent and the file's size; absent when several parts come as multipart/byteranges",
			Schema: &huma.Schema{Type: huma.TypeString, Pattern: `^bytes [0-9]+-[0-9]+/[0-9]+$`}}
	}
	return h
}

// fileContent is a stored file in each media type evidence may have.
func fileContent() map[string]*huma.MediaType {
	content := map[string]*huma.MediaType{}
	for _, t := range service.AcceptedMediaTypes {
		content[t] = &huma.MediaType{Schema: binarySchema("The file's bytes")}
	}
	return content
}

// partContent is a part of a stored file, or several as multipart/byteranges.
func partContent() map[string]*huma.MediaType {
	content := fileContent()
	content["multipart/byteranges"] = &huma.MediaType{Schema: binarySchema("The parts, each with its Content-Type and Content-Range")}
	return content
}

// servedContent trims what http.ServeContent answers besides the file: a 304 keeps only its
// ETag (RFC 9110, 15.4.5), and a range outside the file, which it refuses in plain text,
// becomes a problem that keeps only the Content-Range giving the file's size.
type servedContent struct {
	http.ResponseWriter
	refused bool
}

func (w *servedContent) WriteHeader(status int) {
	switch status {
	case http.StatusNotModified:
		keepOnly(w.Header(), "ETag")
	case http.StatusRequestedRangeNotSatisfiable:
		w.refused = true
		keepOnly(w.Header(), "Content-Range")
		writeProblem(w.ResponseWriter, problem(status, "the range asks for bytes the file does not have; Content-Range gives its size"))
		return
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *servedContent) Write(b []byte) (int, error) {
	if w.refused {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// keepOnly removes every header but the request id and those named.
func keepOnly(h http.Header, names ...string) {
	for name := range h {
		if name != "X-Request-Id" && !slices.ContainsFunc(names, func(n string) bool { return http.CanonicalHeaderKey(n) == name }) {
			h.Del(name)
		}
	}
}

// firstError remembers the first error of reading r.
type firstError struct {
	r   io.ReadSeeker
	err error
}

func (f *firstError) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && f.err == nil {
		f.err = err
	}
	return n, err
}

func (f *firstError) Seek(offset int64, whence int) (int64, error) { return f.r.Seek(offset, whence) }

// pacedReader reads an upload that must keep arriving: each read may wait for idle at most,
// and the whole upload may take until a deadline. A client that stalls or crawls is cut off
// with ETIMEOUT.
type pacedReader struct {
	r           io.Reader
	conn        *http.ResponseController
	idle, whole time.Duration
	deadline    time.Time
}

func newPacedReader(r io.Reader, conn *http.ResponseController, idle, whole time.Duration) *pacedReader {
	return &pacedReader{r: r, conn: conn, idle: idle, whole: whole, deadline: time.Now().Add(whole)}
}

func (p *pacedReader) Read(b []byte) (int, error) {
	next := time.Now().Add(p.idle)
	if next.After(p.deadline) {
		next = p.deadline
	}
	if err := p.conn.SetReadDeadline(next); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return 0, err
	}
	n, err := p.r.Read(b)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if time.Now().Before(p.deadline) {
			return n, nap.Errorf(nap.ETIMEOUT, "the upload sent nothing for %s; send it again", p.idle)
		}
		return n, nap.Errorf(nap.ETIMEOUT, "the upload took longer than the %s any upload may take; send it again", p.whole)
	}
	return n, err
}

// addEvidence reads an upload as it arrives: a link as JSON, or a file as multipart with its
// metadata first, passing the file's part on to the service unread.
func addEvidence(ctx context.Context, d Deps, updateID string) (nap.Evidence, error) {
	s, _ := ctx.Value(streamKey{}).(stream)
	mediaType, params, err := mime.ParseMediaType(s.contentType)
	if err != nil || s.body == nil {
		return nap.Evidence{}, nap.Errorf(nap.EUNSUPPORTED, "send multipart/form-data (a file) or application/json (a link)")
	}
	switch mediaType {
	case "application/json":
		var link EvidenceLink
		if err := decodeJSON(io.LimitReader(s.body, maxMetadataBytes+1), &link); err != nil {
			return nap.Evidence{}, err
		}
		e, err := link.evidence(updateID)
		if err != nil {
			return nap.Evidence{}, err
		}
		e.URL = link.URL
		return d.Service.AddEvidenceLink(ctx, e)
	case "multipart/form-data":
		mr := multipart.NewReader(s.body, params["boundary"])
		var meta *EvidenceMetadata
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nap.Evidence{}, nap.Errorf(nap.EINVALID, "the upload has no file part")
			}
			if nap.ErrorCode(err) == nap.ETIMEOUT {
				return nap.Evidence{}, err
			}
			if err != nil {
				return nap.Evidence{}, nap.Errorf(nap.EMALFORMED, "the multipart body is malformed")
			}
			switch part.FormName() {
			case "metadata":
				meta = &EvidenceMetadata{}
				if err := decodeJSON(io.LimitReader(part, maxMetadataBytes+1), meta); err != nil {
					return nap.Evidence{}, err
				}
			case "file":
				if meta == nil {
					return nap.Evidence{}, nap.Errorf(nap.EINVALID, "send the metadata part before the file part")
				}
				e, err := meta.evidence(updateID)
				if err != nil {
					return nap.Evidence{}, err
				}
				e.Filename = part.FileName()
				return d.Service.AddEvidenceFile(ctx, e, part)
			default:
				return nap.Evidence{}, nap.Errorf(nap.EINVALID, "unexpected part %q: send metadata, then file", part.FormName())
			}
		}
	}
	return nap.Evidence{}, nap.Errorf(nap.EUNSUPPORTED, "send multipart/form-data (a file) or application/json (a link), not %s", mediaType)
}

// binarySchema describes bytes. The format is set as an extension: huma writes a Format of
// "binary" with contentMediaType too, which the OpenAPI 3.0 document may not carry.
func binarySchema(description string) *huma.Schema {
	return &huma.Schema{Type: "string", Description: description, Extensions: map[string]any{"format": "binary"}}
}

// describeBody sets the documented request body of a registered operation.
func describeBody(api huma.API, operationID string, body *huma.RequestBody) {
	registered(api, operationID).RequestBody = body
}

// registered is the operation with the given id in api's document.
func registered(api huma.API, operationID string) *huma.Operation {
	for _, item := range api.OpenAPI().Paths {
		for _, op := range []*huma.Operation{item.Get, item.Post, item.Put, item.Patch, item.Delete} {
			if op != nil && op.OperationID == operationID {
				return op
			}
		}
	}
	panic("no operation " + operationID)
}

// decodeJSON reads one JSON object of known fields, or fails with EINVALID.
func decodeJSON(r io.Reader, v any) error {
	b, err := io.ReadAll(r)
	if nap.ErrorCode(err) == nap.ETIMEOUT {
		return err
	}
	if err != nil {
		return nap.Errorf(nap.EINVALID, "the body could not be read: %v", err)
	}
	if len(b) > maxMetadataBytes {
		return nap.Errorf(nap.ETOOLARGE, "the metadata is larger than %d bytes", maxMetadataBytes)
	}
	if !json.Valid(b) {
		return nap.Errorf(nap.EMALFORMED, "the metadata is not JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return nap.Errorf(nap.EINVALID, "the metadata is not valid: %v", err)
	}
	return nil
}
