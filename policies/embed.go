// Package policies holds the casbin access model and the role → permission policy, embedded
// in the binary. Who holds which role where is data, kept in PostgreSQL.
package policies

import _ "embed"

// Model is the casbin model: RBAC with domains.
//
//go:embed model.conf
var Model string

// Policy lists, one per line, what each role may do: "p, role, object, action".
//
//go:embed policy.csv
var Policy string
