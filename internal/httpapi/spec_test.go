package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"github.com/naptracker/naptracker/internal/httpapi"
)

// TestSpecIsCommitted fails when the committed OpenAPI documents differ from what the code
// declares; SDK generators read only the committed files.
func TestSpecIsCommitted(t *testing.T) {
	spec := httpapi.Spec()
	for file, render := range map[string]func() ([]byte, error){
		"../../openapi/openapi.yaml":     spec.YAML,
		"../../openapi/openapi-3.0.yaml": spec.DowngradeYAML,
	} {
		want, err := render()
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run `go run ./cmd/naptracker openapi --out openapi`", file)
		}
	}
}

// publicOperations may be called without a token. Any other operation must require one and
// name its permission (or "authenticated").
var publicOperations = []string{"get-health", "get-readiness", "list-organizations", "get-organization",
	"list-source-documents", "list-recommendations", "get-recommendation", "list-plans", "get-plan",
	"list-reporting-periods", "get-reporting-period", "get-period-completeness", "export-period-completeness", "get-plan-summary", "export-plan-matrix", "get-plan-report", "list-measures", "get-measure", "list-indicators", "get-indicator",
	"list-progress-updates", "get-progress-update", "list-review-actions", "list-evidence", "get-evidence",
	"get-evidence-content", "get-measure-history", "list-changes", "stream-changes", "list-audit-checkpoints", "get-audit-public-key"}

// TestEveryOperationDeclaresItsAccess walks the spec: every operation states its permission,
// and only the operations listed as public accept anonymous callers.
func TestEveryOperationDeclaresItsAccess(t *testing.T) {
	for path, item := range httpapi.Spec().Paths {
		for method, op := range operations(item) {
			where := method + " " + path
			perm, _ := op.Extensions["x-permission"].(string)
			anonymous := false
			for _, req := range op.Security {
				if len(req) == 0 {
					anonymous = true
				}
			}
			public := slices.Contains(publicOperations, op.OperationID)
			switch {
			case perm == "":
				t.Errorf("%s declares no permission", where)
			case public != (perm == "public") || public != anonymous:
				t.Errorf("%s: permission %q, anonymous %v, listed as public %v", where, perm, anonymous, public)
			case !public && !slices.ContainsFunc(op.Security, func(r map[string][]string) bool { _, ok := r["bearer"]; return ok }):
				t.Errorf("%s needs a caller but does not ask for a bearer token", where)
			}
		}
	}
}

// TestEveryOperationIsDocumented walks the spec: every operation has a stable id, a summary,
// a description, a tag, its security stated, and a 4xx or 5xx response beyond the default.
func TestEveryOperationIsDocumented(t *testing.T) {
	spec := httpapi.Spec()
	ids := map[string]bool{}
	for path, item := range spec.Paths {
		for method, op := range operations(item) {
			where := method + " " + path
			switch {
			case op.OperationID == "" || ids[op.OperationID]:
				t.Errorf("%s: operation id %q missing or repeated", where, op.OperationID)
			case op.Summary == "" || op.Description == "":
				t.Errorf("%s: no summary or description", where)
			case len(op.Tags) != 1:
				t.Errorf("%s: tags %v", where, op.Tags)
			case op.Security == nil:
				t.Errorf("%s: security not stated", where)
			}
			ids[op.OperationID] = true
			has4xx := false
			for code := range op.Responses {
				if code[0] == '4' || code[0] == '5' {
					has4xx = true
				}
			}
			if !has4xx {
				t.Errorf("%s: no error responses declared", where)
			}
		}
	}
	if len(ids) == 0 {
		t.Fatal("the spec has no operations")
	}
}

// TestEveryRequestBodyHasAValidExample walks the spec: every request body, in each of its
// media types, shows an example that its schema accepts, so SDK docs and mock servers have
// one that works.
func TestEveryRequestBodyHasAValidExample(t *testing.T) {
	spec := httpapi.Spec()
	bodies := 0
	for path, item := range spec.Paths {
		for method, op := range operations(item) {
			if op.RequestBody == nil {
				continue
			}
			for mediaType, content := range op.RequestBody.Content {
				where := method + " " + path + " " + mediaType
				bodies++
				if content.Example == nil {
					t.Errorf("%s: no example", where)
					continue
				}
				b, err := json.Marshal(content.Example)
				if err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				var example any
				if err := json.Unmarshal(b, &example); err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				res := &huma.ValidateResult{}
				huma.Validate(spec.Components.Schemas, content.Schema, huma.NewPathBuffer([]byte{}, 0), huma.ModeWriteToServer, example, res)
				for _, e := range res.Errors {
					t.Errorf("%s: the example is invalid: %v", where, e)
				}
			}
		}
	}
	if bodies == 0 {
		t.Fatal("the spec has no request bodies")
	}
}

// TestVocabulariesAreNamed walks the OpenAPI document: each shared vocabulary is one named
// schema that every use refers to, and no list of values is written out inline twice, so an
// SDK generator makes one type of each rather than one per field.
func TestVocabulariesAreNamed(t *testing.T) {
	b, err := json.Marshal(httpapi.Spec())
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for _, name := range []string{"ImplementationStatus", "ReportedStatus", "UpdateState", "ReviewAction",
		"Visibility", "Provenance", "EvidenceKind", "EvidenceLanguage", "Language", "Role", "PlanStatus",
		"PeriodState", "OrganizationKind", "IndicatorKind", "Disaggregation"} {
		s, _ := schemas[name].(map[string]any)
		if s["type"] != "string" || len(s["enum"].([]any)) < 2 || s["description"] == "" {
			t.Errorf("%s is not a described string vocabulary: %v", name, s)
		}
	}
	named := map[string]string{}
	for name, s := range schemas {
		if enum, ok := s.(map[string]any)["enum"]; ok {
			named[fmt.Sprint(enum)] = name
		}
	}
	inline := map[string][]string{}
	var walk func(where string, v any)
	walk = func(where string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if enum, ok := v["enum"]; ok && named[fmt.Sprint(enum)] == "" {
				inline[fmt.Sprint(enum)] = append(inline[fmt.Sprint(enum)], where)
			}
			for k, e := range v {
				walk(where+"/"+k, e)
			}
		case []any:
			for i, e := range v {
				walk(fmt.Sprintf("%s/%d", where, i), e)
			}
		}
	}
	walk("#", doc)
	for enum, where := range inline {
		if len(where) > 1 {
			t.Errorf("the values %s are written out at %v: name them once and refer to them", enum, where)
		}
	}
	yaml, err := httpapi.Spec().YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"ImplementationStatus", "ReportedStatus", "Visibility", "Provenance", "Language", "PlanStatus"} {
		if n := bytes.Count(yaml, []byte(`$ref: "#/components/schemas/`+ref+`"`)); n < 2 {
			t.Errorf("%s is referred to %d times, want it shared", ref, n)
		}
	}
}

func operations(item *huma.PathItem) map[string]*huma.Operation {
	ops := map[string]*huma.Operation{}
	for method, op := range map[string]*huma.Operation{"GET": item.Get, "POST": item.Post, "PUT": item.Put,
		"PATCH": item.Patch, "DELETE": item.Delete} {
		if op != nil {
			ops[method] = op
		}
	}
	return ops
}

// TestRequestsTakeOnlyWhatClientsWrite walks every request body's schema: no property is
// read-only, and no object takes properties it does not name, so a field the server fills in
// (an id, a version, an indicator's code) is refused when a client sends it.
func TestRequestsTakeOnlyWhatClientsWrite(t *testing.T) {
	spec := httpapi.Spec()
	var walk func(where string, s *huma.Schema, seen map[string]bool)
	walk = func(where string, s *huma.Schema, seen map[string]bool) {
		if s == nil || seen[s.Ref] {
			return
		}
		if s.Ref != "" {
			seen[s.Ref] = true
			walk(where, spec.Components.Schemas.SchemaFromRef(s.Ref), seen)
			return
		}
		if s.ReadOnly {
			t.Errorf("%s is read-only", where)
		}
		if len(s.Properties) > 0 && s.AdditionalProperties != false {
			t.Errorf("%s takes properties it does not name", where)
		}
		for name, p := range s.Properties {
			walk(where+"."+name, p, seen)
		}
		walk(where+"[]", s.Items, seen)
	}
	bodies := 0
	for path, item := range spec.Paths {
		for method, op := range operations(item) {
			if op.RequestBody == nil {
				continue
			}
			for mediaType, content := range op.RequestBody.Content {
				bodies++
				walk(method+" "+path+" "+mediaType, content.Schema, map[string]bool{})
			}
		}
	}
	if bodies < 20 {
		t.Fatalf("only %d request bodies", bodies)
	}
}
